#include "core/http/target.hpp"

#include <vector>

#include "core/util/strings.hpp"

namespace hearth::http {
namespace {

constexpr std::size_t max_target = 8 * 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

result<parsed_target> parse_target(std::string_view target) {
  if (target.size() > max_target) return fail("http.target", "request target too long");
  parsed_target out;
  // RFC 9112 §3.2.2: a server MUST accept the absolute form; the authority then overrides Host.
  for (std::string_view scheme : {"https://", "http://"}) {
    if (util::istarts_with(target, scheme)) {
      target.remove_prefix(scheme.size());
      std::size_t end = target.find_first_of("/?");
      out.authority = std::string(target.substr(0, end));
      target = end == std::string_view::npos ? std::string_view("/") : target.substr(end);
      if (target.front() == '?') return fail("http.target", "absolute-form target without a path");
      break;
    }
  }
  if (target.empty() || target.front() != '/') return fail("http.target", "target is not an absolute path");
  std::string_view raw_path = target;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    raw_path = target.substr(0, q);
    out.query = std::string(target.substr(q + 1));
  }
  // RFC 3986 §5.2.4 would resolve ".." against the base; a server has no business accepting a
  // client's attempt to climb, so it is refused instead of resolved.
  std::vector<std::string> segments;
  auto raw = util::split(raw_path.substr(1), '/');
  bool trailing_slash = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const bool last = i + 1 == raw.size();
    auto seg = percent_decode(raw[i], false);
    if (!seg) return fail("http.target", "malformed percent-encoding in the path");
    if (*seg == "..") return fail("http.target", "'..' in the path");
    for (char c : *seg) {
      if (c == '/') return fail("http.target", "encoded '/' in a path segment");
      if (is_control(c)) return fail("http.target", "control character in the path");
    }
    if (seg->empty() || *seg == ".") {
      if (last) trailing_slash = true;
      continue;
    }
    segments.push_back(std::move(*seg));
  }
  std::string path;
  for (const auto& seg : segments) {
    path += '/';
    path += seg;
  }
  if (path.empty() || trailing_slash) path += '/';
  out.path = std::move(path);
  return out;
}

std::optional<std::string> normalize_host(std::string_view host) {
  if (host.size() > 255 + 6) return std::nullopt;
  std::string out;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view inside = host.substr(1, close - 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || (rest.size() > 1 && !all_digits(rest.substr(1)))))
      return std::nullopt;
    if (inside.empty()) return std::nullopt;
    for (char c : inside)
      if (hex_value(c) < 0 && c != ':' && c != '.') return std::nullopt;
    return util::to_lower(inside);
  }
  if (auto colon = host.find(':'); colon != std::string_view::npos) {
    // RFC 3986 §3.2.3: the port may be empty ("host:").
    std::string_view port = host.substr(colon + 1);
    if (!port.empty() && !all_digits(port)) return std::nullopt;
    host = host.substr(0, colon);
  }
  out = util::to_lower(host);
  if (!out.empty() && out.back() == '.') out.pop_back();
  if (out.size() > 255) return std::nullopt;
  for (char c : out)
    if (!is_host_char(c)) return std::nullopt;
  return out;
}

}  // namespace hearth::http
