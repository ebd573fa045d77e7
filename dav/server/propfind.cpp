// PROPFIND (RFC 4918 §9.1) and the live properties of every resource type.
#include <ctime>

#include "dav/server/internal.hpp"
#include "dav/server/schedule.hpp"

namespace hearth::dav {
namespace {

using xml::qname;
using xml::writer;

std::string http_date(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string el(const qname& n, std::string_view inner_xml) {
  if (inner_xml.empty()) return "<" + writer::tag(n, true) + "/>";
  return "<" + writer::tag(n, true) + ">" + std::string(inner_xml) + "</" + writer::tag(n, false) + ">";
}
std::string text_el(const qname& n, std::string_view text) { return el(n, xml::escape(text)); }
std::string href(std::string_view h) { return "<d:href>" + xml::escape(h) + "</d:href>"; }

std::string sync_token(const collection& c) {
  return "http://hearth.invalid/ns/sync/" + std::to_string(c.id) + "-" + std::to_string(c.seq);
}

bool is_calendar(const service::node& n) { return n.coll && n.coll->kind == kind::calendar; }
bool is_book(const service::node& n) { return n.coll && n.coll->kind == kind::addressbook; }
bool is_coll(const service::node& n) { return n.t.type == target::coll && n.coll; }
bool is_obj(const service::node& n) { return n.t.type == target::obj && n.obj; }

std::string privileges(bool write) {
  std::string p = "<d:privilege><d:read/></d:privilege><d:privilege><d:read-current-user-privilege-set/></d:privilege>";
  if (write)
    p += "<d:privilege><d:all/></d:privilege><d:privilege><d:write/></d:privilege><d:privilege><d:write-properties/>"
         "</d:privilege><d:privilege><d:write-content/></d:privilege><d:privilege><d:bind/></d:privilege>"
         "<d:privilege><d:unbind/></d:privilege>";
  return p;
}

std::string reports(const service::node& n) {
  auto rep = [](const qname& q) { return "<d:supported-report><d:report>" + el(q, "") + "</d:report></d:supported-report>"; };
  std::string s;
  if (is_calendar(n) || (n.t.type == target::obj && n.t.kind == kind::calendar)) {
    s += rep(xml::cal("calendar-multiget")) + rep(xml::cal("calendar-query")) + rep(xml::cal("free-busy-query"));
  }
  if (is_book(n) || (n.t.type == target::obj && n.t.kind == kind::addressbook)) {
    s += rep(xml::card("addressbook-multiget")) + rep(xml::card("addressbook-query"));
  }
  if (is_coll(n)) s += rep(xml::dav("sync-collection"));
  return s;
}

}  // namespace

// The value of one live or dead property as a complete element, or nullopt (404).
static std::optional<std::string> value_of(const service& s, const std::string& user, const service::node& n,
                                           const qname& q, const xml::element* raw, const report_req* rep) {
  const auto& t = n.t;
  const bool own = !t.user.empty();
  if (auto v = sched::property(s, user, n, q)) return v;
  // caldav-sharing.txt §5.2: where the sharing invitations wait (sharing_invites.cpp).
  if (q.is(xml::ns_cs, "notification-URL") && t.type == target::principal && s.opts_.shares)
    return el(q, href(href_coll(kind::calendar, user, notifications_name)));
  bool found = true;
  if (auto v = s.sharing_prop(user, n, q, found); v || !found) return v;  // sharing_props.cpp
  if (q.ns == xml::ns_dav) {
    const auto& l = q.local;
    if (l == "resourcetype") {
      switch (t.type) {
        case target::obj: return el(q, "");
        case target::principal: return el(q, "<d:collection/><d:principal/>");
        case target::coll:
          return el(q, std::string("<d:collection/>") + (is_calendar(n) ? "<c:calendar/>" : "<card:addressbook/>"));
        default: return el(q, "<d:collection/>");
      }
    }
    if (l == "displayname") {
      if (n.coll && t.type == target::coll) return n.coll->displayname.empty() ? std::nullopt : std::optional(text_el(q, n.coll->displayname));
      if (t.type == target::principal) return text_el(q, user);
      return std::nullopt;
    }
    if (l == "current-user-principal") return el(q, href(href_principal(user)));
    if (l == "principal-URL" && t.type == target::principal) return el(q, href(href_principal(user)));
    if (l == "principal-collection-set") return el(q, href("/dav/principals/"));
    if (l == "owner" && own) return el(q, href(href_principal(user)));
    if (l == "current-user-privilege-set") return el(q, privileges(own && !is_birthday_calendar(t.kind, t.coll_name)));
    if (l == "supported-report-set") return el(q, reports(n));
    if (l == "sync-token" && is_coll(n)) return text_el(q, sync_token(*n.coll));
    if (is_obj(n)) {
      if (l == "getetag") return text_el(q, n.obj->etag);
      if (l == "getcontenttype")
        return text_el(q, t.kind == kind::calendar ? "text/calendar; charset=utf-8; component=" + n.obj->component
                                                   : std::string("text/vcard; charset=utf-8"));
      if (l == "getlastmodified") return text_el(q, http_date(n.obj->modified));
      if (l == "getcontentlength") return text_el(q, std::to_string(n.obj->size));
    }
    if (l == "getcontenttype" && t.type != target::obj) return text_el(q, "httpd/unix-directory");
  } else if (q.ns == xml::ns_caldav) {
    const auto& l = q.local;
    if (t.type == target::principal) {
      if (l == "calendar-home-set") return el(q, href(href_home(kind::calendar, user)));
      if (l == "calendar-user-address-set") return el(q, href("mailto:" + user) + href(href_principal(user)));
      if (l == "calendar-user-type") return text_el(q, "INDIVIDUAL");
    }
    if (is_calendar(n) && t.type == target::coll) {
      const auto& c = *n.coll;
      if (l == "calendar-description") return c.description.empty() ? std::nullopt : std::optional(text_el(q, c.description));
      if (l == "calendar-timezone") return c.timezone.empty() ? std::nullopt : std::optional(text_el(q, c.timezone));
      if (l == "supported-calendar-component-set") {
        std::string inner;
        std::size_t i = 0;
        while (i <= c.components.size()) {
          auto j = c.components.find(',', i);
          if (j == std::string::npos) j = c.components.size();
          if (j > i) inner += "<c:comp name=\"" + xml::escape(c.components.substr(i, j - i)) + "\"/>";
          i = j + 1;
        }
        return el(q, inner);
      }
      if (l == "supported-calendar-data")
        return el(q, "<c:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>");
      if (l == "max-resource-size") return text_el(q, std::to_string(s.opts_.max_resource_size));
      if (l == "supported-collation-set")
        return el(q, "<c:supported-collation>i;ascii-casemap</c:supported-collation><c:supported-collation>i;octet"
                     "</c:supported-collation><c:supported-collation>i;unicode-casemap</c:supported-collation>");
    }
    if (l == "calendar-data" && is_obj(n) && t.kind == kind::calendar && !n.obj->data.empty()) {
      if (rep && rep->cal_data) return text_el(q, ical::calendar_data(n.obj->data, *rep->cal_data, rep->floating));
      return text_el(q, n.obj->data);
    }
  } else if (q.ns == xml::ns_carddav) {
    const auto& l = q.local;
    if (t.type == target::principal && l == "addressbook-home-set") return el(q, href(href_home(kind::addressbook, user)));
    if (t.type == target::principal && l == "principal-address") return std::nullopt;
    if (is_book(n) && t.type == target::coll) {
      if (l == "addressbook-description")
        return n.coll->description.empty() ? std::nullopt : std::optional(text_el(q, n.coll->description));
      if (l == "supported-address-data")
        return el(q, "<card:address-data-type content-type=\"text/vcard\" version=\"3.0\"/>"
                     "<card:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>");
      if (l == "max-resource-size") return text_el(q, std::to_string(s.opts_.max_resource_size));
    }
    if (l == "address-data" && is_obj(n) && t.kind == kind::addressbook && !n.obj->data.empty()) {
      if (rep && rep->card_version) {
        auto card = ical::convert_vcard(n.obj->data, *rep->card_version);
        if (rep->card_props) return text_el(q, ical::address_data(card, *rep->card_props));
        return text_el(q, card);
      }
      if (rep && rep->card_props) return text_el(q, ical::address_data(n.obj->data, *rep->card_props));
      return text_el(q, n.obj->data);
    }
  } else if (q.ns == xml::ns_cs) {
    if (q.local == "getctag" && is_coll(n)) return text_el(q, sync_token(*n.coll));
    if ((q.local == "calendar-proxy-read-for" || q.local == "calendar-proxy-write-for") && t.type == target::principal)
      return el(q, "");
    if (q.local == "email-address-set" && t.type == target::principal)
      return el(q, "<cs:email-address>" + xml::escape(user) + "</cs:email-address>");
  } else if (q.ns == xml::ns_apple) {
    if (is_calendar(n) && t.type == target::coll) {
      if (q.local == "calendar-color") return n.coll->color.empty() ? std::nullopt : std::optional(text_el(q, n.coll->color));
      if (q.local == "calendar-order") return n.coll->order.empty() ? std::nullopt : std::optional(text_el(q, n.coll->order));
    }
  }
  if (n.coll && t.type == target::coll) {
    auto it = n.coll->dead.find(q.ns + " " + q.local);
    if (it != n.coll->dead.end()) return it->second;
  }
  (void)raw;
  return std::nullopt;
}

namespace {
// What allprop (RFC 4918 §9.1: the live properties of RFC 4918 plus dead ones) and propname show.
std::vector<qname> names_of(const service& s, const std::string& user, const service::node& n, bool all) {
  std::vector<qname> cands = {xml::dav("resourcetype"), xml::dav("displayname"), xml::dav("getetag"),
                              xml::dav("getcontenttype"), xml::dav("getcontentlength"), xml::dav("getlastmodified")};
  if (all) {
    for (auto* l : {"current-user-principal", "principal-URL", "owner", "current-user-privilege-set", "supported-report-set",
                    "sync-token", "principal-collection-set"})
      cands.push_back(xml::dav(l));
    for (auto* l : {"calendar-home-set", "calendar-user-address-set", "calendar-description", "calendar-timezone",
                    "supported-calendar-component-set", "supported-calendar-data", "max-resource-size"})
      cands.push_back(xml::cal(l));
    for (auto* l : {"addressbook-home-set", "addressbook-description", "supported-address-data", "max-resource-size"})
      cands.push_back(xml::card(l));
    cands.push_back(xml::cs("getctag"));
    cands.push_back(xml::apple("calendar-color"));
    cands.push_back(xml::apple("calendar-order"));
  }
  std::vector<qname> out;
  for (auto& q : cands)
    if (value_of(s, user, n, q, nullptr, nullptr)) out.push_back(q);
  if (n.coll && n.t.type == target::coll)
    for (auto& [k, v] : n.coll->dead) {
      auto sp = k.rfind(' ');
      out.push_back({k.substr(0, sp), k.substr(sp + 1)});
    }
  return out;
}
}  // namespace

void service::render(xml::writer& w, const std::string& user, const node& n, const propfind_req& pf, const report_req* rep) {
  std::string ok, missing;
  if (pf.mode == propfind_req::propname) {
    for (auto& q : names_of(*this, user, n, true)) ok += el(q, "");
  } else {
    std::vector<qname> names = pf.mode == propfind_req::allprop ? names_of(*this, user, n, false) : std::vector<qname>{};
    for (auto& q : pf.props)
      if (std::find(names.begin(), names.end(), q) == names.end()) names.push_back(q);
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto v = value_of(*this, user, n, names[i], nullptr, rep);
      if (v) ok += *v;
      else if (pf.mode == propfind_req::prop) missing += el(names[i], "");
    }
  }
  w.open(xml::dav("response")).text_element(xml::dav("href"), n.href);
  if (!ok.empty() || missing.empty())
    w.raw("<d:propstat><d:prop>" + ok + "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>");
  if (!missing.empty())
    w.raw("<d:propstat><d:prop>" + missing + "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>");
  w.close(xml::dav("response"));
}

http::response service::do_propfind(ctx& c) {
  auto pf = parse_propfind(c.req.body);
  if (!pf) return plain(400, pf.error().message);
  std::string depth = c.req.header("depth");
  if (depth == "infinity" || depth == "Infinity") return error_response(403, xml::dav("propfind-finite-depth"));
  const bool deep = depth != "0";  // absent: one level (we never walk deeper)
  xml::writer w;
  w.open_root(xml::dav("multistatus"));
  const std::string& user = c.user;
  auto& t = c.t;
  std::string self_href = c.req.path;
  if (t.type != target::obj && !self_href.ends_with('/')) self_href += '/';
  switch (t.type) {
    case target::root: {
      const bool alias = c.req.path.starts_with("/.well-known/") || c.req.path == "/";
      render(w, user, {t, alias ? c.req.path : std::string(root_path)}, *pf);
      if (deep && !alias) {
        auto p = make_target(target::principals);
        render(w, user, {p, "/dav/principals/"}, *pf);
      }
      break;
    }
    case target::principals: {
      render(w, user, {t, "/dav/principals/"}, *pf);
      if (deep) {
        auto p = make_target(target::principal, kind::calendar, user);
        render(w, user, {p, href_principal(user)}, *pf);
      }
      break;
    }
    case target::principal: render(w, user, {t, href_principal(user)}, *pf); break;
    case target::home: {
      render(w, user, {t, href_home(t.kind, user)}, *pf);
      if (deep) {
        auto cols = store_.collections(user, t.kind);
        if (!cols) throw error_exception(cols.error());
        for (auto& col : *cols) {
          auto ct = make_target(target::coll, t.kind, user, col.name);
          render(w, user, {ct, href_coll(t.kind, user, col.name), &col}, *pf);
        }
      }
      break;
    }
    case target::coll: {
      auto col = store_.find_collection(user, t.kind, t.coll_name);
      if (!col) throw error_exception(col.error());
      if (!*col) return plain(404, "Not Found");
      render(w, user, {t, href_coll(t.kind, user, t.coll_name), &**col}, *pf);
      if (deep) {
        // Some clients ask for calendar-data / address-data in a Depth 1 PROPFIND: load the text then.
        bool need_data = false;
        for (auto& q : pf->props)
          need_data = need_data || q.is(xml::ns_caldav, "calendar-data") || q.is(xml::ns_carddav, "address-data");
        auto objs = store_.objects((*col)->id, need_data);
        if (!objs) throw error_exception(objs.error());
        for (auto& o : *objs) {
          auto ot = make_target(target::obj, t.kind, user, t.coll_name, o.name);
          render(w, user, {ot, href_obj(t.kind, user, t.coll_name, o.name), &**col, &o}, *pf);
        }
      }
      break;
    }
    case target::obj: {
      auto col = store_.find_collection(user, t.kind, t.coll_name);
      if (!col) throw error_exception(col.error());
      if (!*col) return plain(404, "Not Found");
      auto o = store_.find_object((*col)->id, t.obj_name, true);
      if (!o) throw error_exception(o.error());
      if (!*o) return plain(404, "Not Found");
      render(w, user, {t, href_obj(t.kind, user, t.coll_name, t.obj_name), &**col, &**o}, *pf);
      break;
    }
    default: return plain(404, "Not Found");
  }
  w.close(xml::dav("multistatus"));
  return xml_response(207, w.take());
}

}  // namespace hearth::dav
