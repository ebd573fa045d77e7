// The schedule inbox and outbox (RFC 6638 §2.1, §2.2) and the scheduling properties (§2.4,
// §9): which requests they take, and what PROPFIND shows of them.
#include <mutex>
#include <set>

#include "dav/server/schedule.hpp"

namespace hearth::dav::sched {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

std::string el(const xml::qname& q, std::string_view inner) {
  return "<" + xml::writer::tag(q, true) + ">" + std::string(inner) + "</" + xml::writer::tag(q, false) + ">";
}
std::string href(std::string_view h) { return "<d:href>" + xml::escape(h) + "</d:href>"; }

void make_box(service& s, const std::string& user, std::string_view name, const char* display) {
  if (must(s.store_.find_collection(user, kind::calendar, std::string(name)))) return;
  collection c;
  c.owner = user;
  c.kind = kind::calendar;
  c.name = std::string(name);
  c.displayname = display;
  c.components = "VEVENT,VTODO,VJOURNAL,VFREEBUSY";
  auto made = s.store_.create_collection(c);
  if (!made && made.error().code != "dav.exists") throw error_exception(made.error());
}

}  // namespace

bool is_inbox(kind k, std::string_view coll) { return k == kind::calendar && coll == inbox_name; }
bool is_outbox(kind k, std::string_view coll) { return k == kind::calendar && coll == outbox_name; }
bool is_special(const collection& c) {
  return is_inbox(c.kind, c.name) || is_outbox(c.kind, c.name) || is_birthday_calendar(c.kind, c.name);
}

void ensure_boxes(service& s, const std::string& user) {
  // One look-up per user and process; the set only grows with accounts that used DAV.
  static std::mutex mu;
  static std::set<std::pair<const void*, std::string>> known;
  const std::pair<const void*, std::string> key{&s.store_, user};
  {
    std::lock_guard lock(mu);
    if (known.count(key)) return;
  }
  make_box(s, user, inbox_name, "Scheduling inbox");
  make_box(s, user, outbox_name, "Scheduling outbox");
  std::lock_guard lock(mu);
  if (known.size() > 100000) known.clear();
  known.insert(key);
}

std::optional<http::response> post_outbox(service& s, const std::string& user, const http::request& req);

std::optional<http::response> guard(service& s, const std::string& user, const target& t, const http::request& req) {
  if (t.type != target::coll && t.type != target::obj) return std::nullopt;
  const bool in = is_inbox(t.kind, t.coll_name), out = is_outbox(t.kind, t.coll_name);
  if (!in && !out) return std::nullopt;
  const auto& m = req.method;
  if (m == "PROPFIND" || m == "REPORT" || m == "GET" || m == "HEAD") return std::nullopt;
  if (out && m == "POST" && t.type == target::coll) return post_outbox(s, user, req);
  // RFC 6638 §2.1.1/§2.2.1: clients only read the outbox; in the inbox they read and delete
  // the messages; neither collection itself can be removed or replaced.
  if (in && t.type == target::obj && m == "DELETE") return std::nullopt;
  if (m == "PROPPATCH" && t.type == target::coll) return std::nullopt;
  return error_response(403, xml::dav("need-privileges"));
}

std::optional<std::string> property(const service& s, const std::string& user, const service::node& n, const xml::qname& q) {
  const auto& t = n.t;
  if (q.is(xml::ns_dav, "resourcetype") && t.type == target::coll && n.coll) {
    if (is_inbox(n.coll->kind, n.coll->name)) return el(q, "<d:collection/><c:schedule-inbox/>");
    if (is_outbox(n.coll->kind, n.coll->name)) return el(q, "<d:collection/><c:schedule-outbox/>");
    return std::nullopt;
  }
  if (q.ns != xml::ns_caldav) return std::nullopt;
  const auto& l = q.local;
  if (t.type == target::principal) {
    if (l == "schedule-inbox-URL") return el(q, href(href_coll(kind::calendar, user, inbox_name)));
    if (l == "schedule-outbox-URL") return el(q, href(href_coll(kind::calendar, user, outbox_name)));
    if (l == "calendar-user-address-set") {
      std::string inner;
      for (const auto& a : addresses_of(s, user)) inner += href("mailto:" + a);
      return el(q, inner + href(href_principal(user)));
    }
    return std::nullopt;
  }
  if (t.type == target::coll && n.coll && n.coll->kind == kind::calendar) {
    if (l == "schedule-default-calendar-URL" && is_inbox(n.coll->kind, n.coll->name) && !n.coll->dead.count(q.ns + " " + l))
      return el(q, href(href_coll(kind::calendar, user, "personal")));
    // RFC 6638 §9.1: calendars count for free-busy unless the user set them transparent.
    if (l == "schedule-calendar-transp" && !is_special(*n.coll) && !n.coll->dead.count(q.ns + " " + l))
      return el(q, "<c:opaque/>");
    return std::nullopt;
  }
  if (l == "schedule-tag" && t.type == target::obj && n.obj && !n.obj->data.empty() &&
      ical::mentions_organizer(n.obj->data) && !(n.coll && is_special(*n.coll)))
    return el(q, xml::escape(ical::schedule_tag(n.obj->data)));
  return std::nullopt;
}

}  // namespace hearth::dav::sched

namespace hearth::dav {
bool is_schedule_box(std::string_view calendar_name) {
  return calendar_name == sched::inbox_name || calendar_name == sched::outbox_name;
}
}  // namespace hearth::dav
