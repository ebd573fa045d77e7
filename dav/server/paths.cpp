// URL layout of the DAV tree (see service.hpp) and response helpers.
#include <algorithm>

#include "core/http/target.hpp"
#include "dav/server/internal.hpp"

namespace hearth::dav {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

}  // namespace

target parse_path(std::string_view path) {
  target t;
  if (path == "/" || path == "/.well-known/caldav" || path == "/.well-known/caldav/" || path == "/.well-known/carddav" ||
      path == "/.well-known/carddav/") {
    t.type = target::root;
    return t;
  }
  auto seg = segments(path);
  if (seg.empty() || seg[0] != "dav") return t;
  for (auto s : seg)
    if (s == "." || s == ".." || s.size() > 255) return t;
  if (seg.size() == 1) {
    t.type = target::root;
    return t;
  }
  if (seg[1] == "principals") {
    if (seg.size() == 2) t.type = target::principals;
    else if (seg.size() == 3) t.type = target::principal, t.user = lower(seg[2]);
    return t;
  }
  if (seg[1] != "calendars" && seg[1] != "addressbooks") return t;
  if (seg.size() < 3 || seg.size() > 5) return t;
  t.kind = seg[1] == "calendars" ? kind::calendar : kind::addressbook;
  t.user = lower(seg[2]);
  if (seg.size() == 3) t.type = target::home;
  else if (seg.size() == 4) t.type = target::coll, t.coll_name = std::string(seg[3]);
  else t.type = target::obj, t.coll_name = std::string(seg[3]), t.obj_name = std::string(seg[4]);
  return t;
}

std::string pct(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == '+' || c == '=' || c == ',' ||
        c == ':' || c == '!' || c == '$' || c == '\'' || c == '(' || c == ')' || c == '*' || c == ';')
      out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string href_principal(std::string_view user) { return "/dav/principals/" + pct(user) + "/"; }
std::string href_home(kind k, std::string_view user) {
  return std::string(k == kind::calendar ? "/dav/calendars/" : "/dav/addressbooks/") + pct(user) + "/";
}
std::string href_coll(kind k, std::string_view user, std::string_view coll) {
  return href_home(k, user) + pct(coll) + "/";
}
std::string href_obj(kind k, std::string_view user, std::string_view coll, std::string_view obj) {
  return href_coll(k, user, coll) + pct(obj);
}

std::optional<std::string> href_to_path(std::string_view href) {
  while (!href.empty() && (href.front() == ' ' || href.front() == '\n' || href.front() == '\t' || href.front() == '\r'))
    href.remove_prefix(1);
  while (!href.empty() && (href.back() == ' ' || href.back() == '\n' || href.back() == '\t' || href.back() == '\r'))
    href.remove_suffix(1);
  if (auto scheme = href.find("://"); scheme != std::string_view::npos && scheme < 10) {
    auto slash = href.find('/', scheme + 3);
    if (slash == std::string_view::npos) return std::string("/");
    href = href.substr(slash);
  }
  if (href.empty() || href.front() != '/') return std::nullopt;
  auto q = href.find_first_of("?#");
  if (q != std::string_view::npos) href = href.substr(0, q);
  auto decoded = http::percent_decode(href, false);
  if (!decoded) return std::nullopt;
  for (char c : *decoded)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  return decoded;
}

std::string status_line(int status) {
  switch (status) {
    case 200: return "HTTP/1.1 200 OK";
    case 201: return "HTTP/1.1 201 Created";
    case 204: return "HTTP/1.1 204 No Content";
    case 403: return "HTTP/1.1 403 Forbidden";
    case 404: return "HTTP/1.1 404 Not Found";
    case 409: return "HTTP/1.1 409 Conflict";
    case 412: return "HTTP/1.1 412 Precondition Failed";
    case 424: return "HTTP/1.1 424 Failed Dependency";
    case 507: return "HTTP/1.1 507 Insufficient Storage";
    default: return "HTTP/1.1 " + std::to_string(status) + " Status";
  }
}

http::response xml_response(int status, std::string body) {
  return http::response::text(status, std::move(body), "application/xml; charset=utf-8");
}

http::response error_response(int status, const xml::qname& precondition, std::string_view inner) {
  xml::writer w;
  w.open_root(xml::dav("error"));
  if (inner.empty()) w.empty(precondition);
  else w.open(precondition).raw(inner).close(precondition);
  w.close(xml::dav("error"));
  return xml_response(status, w.take());
}

http::response plain(int status, std::string_view text) { return http::response::text(status, std::string(text) + "\n"); }

}  // namespace hearth::dav
