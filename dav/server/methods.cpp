// OPTIONS, GET/HEAD, PUT, DELETE, MKCOL/MKCALENDAR (RFC 4918, 4791 §5.3.1, 5689), PROPPATCH.
#include <algorithm>
#include <atomic>
#include <chrono>

#include "dav/server/internal.hpp"
#include "dav/server/schedule.hpp"

namespace hearth::dav {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}
void must(result<void> r) {
  if (!r) throw error_exception(r.error());
}

// "W/\"x\"" and "\"x\"" -> "\"x\""; lists (a, b) are not supported for If-Match on one resource
// beyond their first entry, which is what clients send.
std::optional<std::string> if_match_of(const http::request& req) {
  auto v = req.header("if-match");
  if (v.empty()) return std::nullopt;
  if (v == "*") return std::string("*");
  if (v.starts_with("W/")) v = v.substr(2);
  return v;
}

const char* content_type(kind k) { return k == kind::calendar ? "text/calendar; charset=utf-8" : "text/vcard; charset=utf-8"; }

bool acceptable_type(kind k, std::string_view content_type) {
  auto media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  std::string m(media);
  for (auto& ch : m) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  if (m.empty()) return true;
  if (k == kind::calendar) return m == "text/calendar";
  return m == "text/vcard" || m == "text/x-vcard" || m == "text/directory";
}

}  // namespace

xml::qname res_precondition(kind k, std::string_view local) {
  return k == kind::calendar ? xml::cal(local) : xml::card(local);
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 255 || n == "." || n == "..") return false;
  return std::none_of(n.begin(), n.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == '/' || ch == '\\'; });
}

http::response service::do_options(ctx& c) {
  auto r = plain(200, "");
  r.body.clear();
  r.headers.emplace_back("DAV", std::string(dav_header));
  r.headers.emplace_back("Allow",
                         "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT, COPY, MOVE, ACL, POST");
  (void)c;
  return r;
}

http::response service::do_get(ctx& c, bool head) {
  auto& t = c.t;
  if (t.type != target::obj) {
    if (t.type == target::coll) {
      auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
      if (!col) return plain(404, "Not Found");
    }
    return plain(200, "Hearth CalDAV/CardDAV: use a CalDAV or CardDAV client with this URL.");
  }
  auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!col) return plain(404, "Not Found");
  // HEAD: the session drops the body but sends the GET's Content-Length, so the body is built.
  (void)head;
  auto o = must(store_.find_object(col->id, t.obj_name, true));
  if (!o) return plain(404, "Not Found");
  auto inm = c.req.header("if-none-match");
  if (!inm.empty() && (inm == "*" || inm.find(o->etag) != std::string::npos)) {
    http::response r;
    r.status = 304;
    r.headers.emplace_back("ETag", o->etag);
    return r;
  }
  auto r = http::response::text(200, std::move(o->data), content_type(t.kind));
  r.headers.emplace_back("ETag", o->etag);
  if (t.kind == kind::calendar) sched::tag_response(r.body, r);
  return r;
}

http::response service::do_put(ctx& c) {
  auto& t = c.t;
  if (t.type != target::obj) return plain(405, "PUT needs an object URL inside a collection");
  if (!valid_name(t.obj_name)) return plain(403, "bad resource name");
  auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!col) return plain(409, "no such collection");
  if (c.req.body.size() > opts_.max_resource_size) return error_response(403, res_precondition(t.kind, "max-resource-size"));
  // RFC 4791 §5.3.2.1 / RFC 6352 §6.3.2.1: only iCalendar and vCard media types (a missing
  // Content-Type is taken as the right one).
  if (!acceptable_type(t.kind, c.req.header("content-type")))
    return error_response(403, t.kind == kind::calendar ? xml::cal("supported-calendar-data") : xml::card("supported-address-data"));
  new_object o;
  o.name = t.obj_name;
  o.data = c.req.body;
  if (t.kind == kind::calendar) {
    auto info = ical::inspect(o.data);
    if (!info) {
      if (info.error().code == "ical.syntax") return error_response(403, xml::cal("valid-calendar-data"));
      return error_response(403, xml::cal("valid-calendar-object-resource"));
    }
    auto comps = "," + col->components + ",";
    if (comps.find("," + info->component + ",") == std::string::npos)
      return error_response(403, xml::cal("supported-calendar-component"));
    o.uid = info->uid;
    o.component = info->component;
    o.first_start = info->first_start;
    o.last_end = info->last_end;
  } else {
    auto info = ical::inspect_vcard(o.data);
    if (!info) return error_response(403, xml::card("valid-address-data"));
    o.uid = info->uid;
    o.component = "VCARD";
  }
  sched::plan sp;
  if (t.kind == kind::calendar)
    if (auto denied = sched::before_put(*this, c.user, *col, c.req, o, sp)) return *denied;
  auto im = if_match_of(c.req);
  const bool none_star = c.req.header("if-none-match") == "*";
  std::optional<std::string> match;
  if (im && *im == "*") {
    auto cur = must(store_.find_object(col->id, o.name, false));
    if (!cur) return plain(412, "Precondition Failed");
    match = cur->etag;
  } else {
    match = im;
  }
  auto res = store_.put_object(col->id, o, match, none_star);
  if (!res) {
    const auto& code = res.error().code;
    if (code == "dav.precondition") return plain(412, "Precondition Failed");
    if (code == "dav.uid_conflict")
      return error_response(403, res_precondition(t.kind, "no-uid-conflict"),
                            "<d:href>" + xml::escape(href_obj(t.kind, c.user, t.coll_name, res.error().message)) + "</d:href>");
    throw error_exception(res.error());
  }
  changed(c.user, *col);
  if (t.kind == kind::addressbook) sync_birthdays(c.user, col->name, o.name, &o.data);
  http::response r;
  r.status = res->created ? 201 : 204;
  // Stored as sent, so the ETag is the one of the body the client has (RFC 4791 §5.3.4).
  r.headers.emplace_back("ETag", res->obj.etag);
  if (t.kind == kind::calendar) sched::after_put(*this, c.user, sp, o, r);
  return r;
}

http::response service::do_delete(ctx& c) {
  auto& t = c.t;
  if (t.type == target::coll) {
    auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
    if (!col) return plain(404, "Not Found");
    must(store_.delete_collection(col->id));
    if (t.kind == kind::addressbook) rebuild_birthdays(c.user);
    http::response r;
    r.status = 204;
    return r;
  }
  if (t.type != target::obj) return plain(403, "Forbidden");
  auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!col) return plain(404, "Not Found");
  auto im = if_match_of(c.req);
  std::optional<std::string> match = im;
  if (im && *im == "*") {
    auto cur = must(store_.find_object(col->id, t.obj_name, false));
    if (!cur) return plain(412, "Precondition Failed");
    match = cur->etag;
  }
  sched::plan sp;
  if (t.kind == kind::calendar)
    if (auto denied = sched::before_delete(*this, c.user, *col, c.req, t.obj_name, sp)) return *denied;
  auto res = store_.delete_object(col->id, t.obj_name, match);
  if (!res) {
    if (res.error().code == "dav.precondition") return plain(412, "Precondition Failed");
    throw error_exception(res.error());
  }
  if (!*res) return plain(404, "Not Found");
  changed(c.user, *col);
  if (t.kind == kind::addressbook) sync_birthdays(c.user, col->name, t.obj_name, nullptr);
  if (t.kind == kind::calendar) sched::after_delete(*this, c.user, sp);
  http::response r;
  r.status = 204;
  return r;
}

namespace {
struct prop_status {
  int status = 200;
  std::optional<xml::qname> error{};  // a precondition element for the propstat (RFC 4918 §14.22)
  prop_status(int s) : status(s) {}  // NOLINT: statuses read naturally as ints
  prop_status(int s, xml::qname e) : status(s), error(std::move(e)) {}
};

// Applies one property to a collection. Returns the status for this property: 200, 403
// (protected or invalid value), 507.
prop_status apply_prop(collection& col, const proppatch_op& op, bool creating) {
  const auto& q = op.prop.name;
  const std::string value = op.remove ? std::string() : op.prop.text;
  if (q.is(xml::ns_dav, "displayname")) col.displayname = value;
  else if (q.is(xml::ns_caldav, "calendar-description") && col.kind == kind::calendar) col.description = value;
  else if (q.is(xml::ns_carddav, "addressbook-description") && col.kind == kind::addressbook) col.description = value;
  else if (q.is(xml::ns_apple, "calendar-color") && col.kind == kind::calendar) col.color = value;
  else if (q.is(xml::ns_apple, "calendar-order") && col.kind == kind::calendar) col.order = value;
  else if (q.is(xml::ns_caldav, "calendar-timezone") && col.kind == kind::calendar) {
    // RFC 4791 §5.2.2: a VCALENDAR with exactly one VTIMEZONE, else valid-calendar-data.
    if (!value.empty() && !ical::zone::parse(value)) return {403, xml::cal("valid-calendar-data")};
    col.timezone = value;
  } else if (q.is(xml::ns_caldav, "supported-calendar-component-set")) {
    if (!creating || col.kind != kind::calendar) return 403;  // RFC 4791 §5.2.3: protected after creation
    std::string comps;
    for (auto& comp : op.prop.children) {
      if (!comp.name.is(xml::ns_caldav, "comp")) continue;
      auto n = comp.attr("name");
      if (n != "VEVENT" && n != "VTODO" && n != "VJOURNAL" && n != "VFREEBUSY") return 403;
      comps += (comps.empty() ? "" : ",") + n;
    }
    if (comps.empty()) return 403;
    col.components = comps;
  } else if (q.is(xml::ns_dav, "resourcetype")) {
    if (!creating) return 403;
  } else if (q.ns == xml::ns_dav || (q.ns == xml::ns_caldav && col.kind != kind::calendar) ||
             (q.ns == xml::ns_carddav && col.kind != kind::addressbook) || q.ns == xml::ns_cs) {
    return 403;  // live or protected properties we do not let clients write
  } else {
    const std::string key = q.ns + " " + q.local;
    if (op.remove) col.dead.erase(key);
    else {
      auto xml_text = xml::serialize(op.prop);
      if (xml_text.size() > 64 * 1024 || col.dead.size() >= 64) return 507;
      col.dead[key] = xml_text;
    }
  }
  return 200;
}

// PROPPATCH: <multistatus><response><href/><propstat/>...; MKCALENDAR and extended MKCOL
// failures: <CALDAV:mkcalendar-response> (RFC 4791 §5.3.1.2) or <DAV:mkcol-response> (RFC 5689
// §3.4) holding the propstats directly (`root`).
std::string propstat_response(const std::string& href, const std::vector<std::pair<xml::qname, prop_status>>& results,
                              bool failed, const std::optional<xml::qname>& root = std::nullopt) {
  xml::writer w;
  if (root) w.open_root(*root);
  else w.open_root(xml::dav("multistatus")).open(xml::dav("response")).text_element(xml::dav("href"), href);
  std::map<std::pair<int, std::string>, std::string> by_status;  // (status, error element) -> props
  for (auto& [q, st] : results) {
    int s = failed && st.status == 200 ? 424 : st.status;
    std::string err = st.error ? "<d:error><" + xml::writer::tag(*st.error, true) + "/></d:error>" : "";
    by_status[{s, err}] += "<" + xml::writer::tag(q, true) + "/>";
  }
  for (auto& [key, props] : by_status)
    w.raw("<d:propstat><d:prop>" + props + "</d:prop><d:status>" + status_line(key.first) + "</d:status>" + key.second +
          "</d:propstat>");
  if (root) w.close(*root);
  else w.close(xml::dav("response")).close(xml::dav("multistatus"));
  return w.take();
}
}  // namespace

http::response service::do_mkcol(ctx& c, bool mkcalendar) {
  auto& t = c.t;
  if (t.type != target::coll) return plain(t.type == target::obj ? 409 : 405, "collections can only be made in a home");
  if (!valid_name(t.coll_name)) return plain(403, "bad collection name");
  if (mkcalendar && t.kind != kind::calendar) return error_response(403, xml::cal("calendar-collection-location-ok"));
  if (must(store_.find_collection(c.user, t.kind, t.coll_name)))
    return error_response(405, xml::dav("resource-must-be-null"));
  auto ops = parse_proppatch(c.req.body);
  if (!ops) return plain(400, ops.error().message);
  collection col;
  col.owner = c.user;
  col.kind = t.kind;
  col.name = t.coll_name;
  // RFC 4791 §5.2.3: without supported-calendar-component-set a calendar takes every
  // component type (the default "Personal" calendar is VEVENT+VTODO, as the issue asks).
  col.components = t.kind == kind::calendar ? "VEVENT,VTODO,VJOURNAL" : "";
  std::vector<std::pair<xml::qname, prop_status>> results;
  bool failed = false;
  for (auto& op : *ops) {
    if (op.prop.name.is(xml::ns_dav, "resourcetype")) {
      // RFC 5689 §3: the resource type must be one we can make here.
      bool is_cal = op.prop.child(xml::ns_caldav, "calendar"), is_ab = op.prop.child(xml::ns_carddav, "addressbook");
      bool ok = (t.kind == kind::calendar && is_cal && !is_ab) || (t.kind == kind::addressbook && is_ab && !is_cal);
      if (!ok) return error_response(403, xml::dav("valid-resourcetype"));
    }
    auto st = apply_prop(col, op, true);
    results.emplace_back(op.prop.name, st);
    failed = failed || st.status != 200;
  }
  if (failed)
    return xml_response(403, propstat_response(href_coll(t.kind, c.user, t.coll_name), results, true,
                                               mkcalendar ? xml::cal("mkcalendar-response") : xml::dav("mkcol-response")));
  auto created = store_.create_collection(col);
  if (!created) {
    if (created.error().code == "dav.exists") return error_response(405, xml::dav("resource-must-be-null"));
    throw error_exception(created.error());
  }
  http::response r;
  r.status = 201;
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

http::response service::do_proppatch(ctx& c) {
  auto& t = c.t;
  if (t.type != target::coll) return plain(403, "properties can only be changed on collections");
  auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!col) return plain(404, "Not Found");
  auto ops = parse_proppatch(c.req.body);
  if (!ops) return plain(400, ops.error().message);
  std::vector<std::pair<xml::qname, prop_status>> results;
  bool failed = false;
  collection updated = *col;
  for (auto& op : *ops) {
    auto st = apply_prop(updated, op, false);
    results.emplace_back(op.prop.name, st);
    failed = failed || st.status != 200;
  }
  // RFC 4918 §9.2: all or nothing.
  if (!failed) {
    must(store_.update_collection(updated));
    changed(c.user, updated);
  }
  return xml_response(207, propstat_response(href_coll(t.kind, c.user, t.coll_name), results, failed));
}

}  // namespace hearth::dav
