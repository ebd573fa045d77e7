// Implicit scheduling (RFC 6638 §3): a PUT or DELETE of a calendar object by its organizer
// sends REQUEST or CANCEL to the attendees; by an attendee, a REPLY to the organizer.
#include "dav/server/schedule.hpp"

#include <algorithm>
#include <set>

#include "core/log/log.hpp"

namespace hearth::dav::sched {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

bool server_agent(const std::string& agent) { return agent.empty() || agent == "SERVER"; }

// Which of the user's addresses the object uses for them, and in which role.
void decide_role(service& s, const std::string& user, plan& p) {
  const auto& info = p.now.organizer.empty() ? p.before : p.now;
  if (info.organizer.empty()) return;
  auto mine = addresses_of(s, user);
  auto is_mine = [&](const std::string& a) { return std::find(mine.begin(), mine.end(), a) != mine.end(); };
  if (is_mine(info.organizer)) {
    if (!server_agent(info.organizer_agent)) return;
    p.role = plan::organizer;
    p.me = info.organizer;
    return;
  }
  for (const auto& a : info.attendees)
    if (is_mine(a.address)) {
      if (!server_agent(a.agent)) return;
      p.role = plan::attendee;
      p.me = a.address;
      return;
    }
}

std::optional<http::response> check_tag(const http::request& req, const std::string& current) {
  auto want = req.header("if-schedule-tag-match");
  if (want.empty()) return std::nullopt;
  // RFC 6638 §8.3: the precondition fails when the resource is gone or its tag differs.
  if (current.empty() || ical::schedule_tag(current) != want) return plain(412, "Precondition Failed");
  return std::nullopt;
}

std::string partstat_of(const ical::scheduling& s, const std::string& me) {
  for (const auto& a : s.attendees)
    if (a.address == me) return a.partstat;
  return {};
}

// Attendees the organizer's messages go to: scheduled by the server, not the organizer.
std::vector<const ical::attendee*> recipients(const ical::scheduling& s, const std::string& me) {
  std::vector<const ical::attendee*> out;
  for (const auto& a : s.attendees)
    if (a.address != me && server_agent(a.agent)) out.push_back(&a);
  return out;
}

// Sends `msg` to every attendee in `to`: local ones through their inbox, the rest as iMIP.
void fan_out(service& s, const std::string& from, const std::vector<std::string>& to, const std::string& msg) {
  auto parsed = ical::scheduling_of(msg);
  if (!parsed) return;
  const auto& info = *parsed;
  std::vector<std::string> remote;
  delivery d;
  for (const auto& a : to) {
    if (auto acct = local_account(s, a)) deliver_to_attendee(s, *acct, a, msg, info, d);
    else if (!local_domain(s, a)) remote.push_back(a);
  }
  commit(s, d);
  // One queued message for every remote attendee (the queue stores it once).
  if (!remote.empty()) send_imip(s, from, remote, msg, info);
}

void reply_to_organizer(service& s, const plan& p, const std::string& reply) {
  const auto& org = p.now.organizer.empty() ? p.before.organizer : p.now.organizer;
  const auto& uid = p.now.uid.empty() ? p.before.uid : p.now.uid;
  auto info = ical::scheduling_of(reply);
  if (!info) return;
  if (auto acct = local_account(s, org)) deliver_reply(s, *acct, p.me, reply, uid);
  else if (!local_domain(s, org)) send_imip(s, p.me, {org}, reply, *info);
}

}  // namespace

std::optional<http::response> before_put(service& s, const std::string& user, const collection& col,
                                         const http::request& req, new_object& o, plan& p) {
  if (col.kind != kind::calendar || is_special(col)) return std::nullopt;
  // Most objects are nobody's meeting: no parse and no read of the old copy for them.
  if (!ical::mentions_organizer(o.data) && req.header("if-schedule-tag-match").empty()) return std::nullopt;
  auto now = ical::scheduling_of(o.data);
  if (!now) {
    if (now.error().code == "itip.too_many") return error_response(403, xml::cal("max-attendees-per-instance"));
    return std::nullopt;  // inspect() has judged the syntax already
  }
  p.now = std::move(*now);
  auto cur = must(s.store_.find_object(col.id, o.name, true));
  if (cur) p.old_data = cur->data;
  if (auto r = check_tag(req, p.old_data)) return r;
  if (!p.old_data.empty())
    if (auto b = ical::scheduling_of(p.old_data)) p.before = std::move(*b);
  decide_role(s, user, p);
  if (p.role == plan::attendee) {
    // An answer to an invitation the server marked tentative: the organizer's STATUS is back.
    auto settled = ical::answered(o.data, p.me);
    if (settled != o.data) {
      o.data = std::move(settled);
      p.modified = true;
    }
  }
  if (p.role != plan::organizer) return std::nullopt;
  // RFC 6638 §3.2.3: the organizer cannot reuse a UID to take over an attendee's copy.
  if (!p.before.organizer.empty() && p.before.organizer != p.now.organizer && p.now.uid == p.before.uid)
    return error_response(403, xml::cal("allowed-organizer-scheduling-object-change"));
  const bool changed = p.old_data.empty() || ical::schedule_tag(p.old_data) != ical::schedule_tag(o.data);
  for (const auto* a : recipients(p.now, p.me)) {
    std::string st;
    if (local_account(s, a->address)) st = "1.2";                  // delivered
    else if (local_domain(s, a->address)) st = "3.7";              // invalid calendar user
    else st = s.opts_.imip ? "1.1" : "5.1";                        // sent / could not deliver
    if (changed) p.status[a->address] = st;
  }
  if (!p.status.empty()) {
    auto updated = ical::with_schedule_status(o.data, p.status);
    p.modified = updated != o.data;
    o.data = std::move(updated);
  }
  return std::nullopt;
}

void after_put(service& s, const std::string& user, const plan& p, const new_object& o, http::response& r) {
  (void)user;
  if (p.now.organizer.empty() && p.before.organizer.empty()) return;
  tag_response(o.data, r);
  if (p.modified)
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(), [](const auto& h) { return h.first == "ETag"; }),
                    r.headers.end());
  if (p.role == plan::organizer) {
    std::vector<std::string> to;
    for (const auto& [a, st] : p.status)
      if (st == "1.2" || st == "1.1") to.push_back(a);
    if (!to.empty()) fan_out(s, p.me, to, ical::itip_request(o.data));
    // Attendees taken off the list are told the meeting is off for them (RFC 5546 §2.1.5).
    std::vector<std::string> removed;
    for (const auto* a : recipients(p.before, p.me))
      if (std::none_of(p.now.attendees.begin(), p.now.attendees.end(), [&](const auto& n) { return n.address == a->address; }))
        removed.push_back(a->address);
    if (!removed.empty()) fan_out(s, p.me, removed, ical::itip_cancel(p.old_data));
    log::info("dav.schedule", {{"user", user}, {"uid", p.now.uid}, {"method", "REQUEST"},
                               {"attendees", std::to_string(to.size())}, {"removed", std::to_string(removed.size())}});
  } else if (p.role == plan::attendee) {
    // RFC 6638 §3.2.2.1 (attendee): a change of the attendee's participation is a REPLY.
    auto was = partstat_of(p.before, p.me), is = partstat_of(p.now, p.me);
    if (is.empty() || is == was || (p.old_data.empty() && is == "NEEDS-ACTION")) return;
    reply_to_organizer(s, p, ical::itip_reply(o.data, p.me));
    log::info("dav.schedule", {{"user", user}, {"uid", p.now.uid}, {"method", "REPLY"}, {"partstat", is}});
  }
}

std::optional<http::response> before_delete(service& s, const std::string& user, const collection& col,
                                            const http::request& req, const std::string& name, plan& p) {
  if (col.kind != kind::calendar || is_special(col)) return std::nullopt;
  p.deleting = true;
  auto cur = must(s.store_.find_object(col.id, name, true));
  if (cur) p.old_data = cur->data;
  if (auto r = check_tag(req, p.old_data)) return r;
  if (p.old_data.empty()) return std::nullopt;
  if (auto b = ical::scheduling_of(p.old_data)) p.before = std::move(*b);
  decide_role(s, user, p);
  return std::nullopt;
}

void after_delete(service& s, const std::string& user, const plan& p) {
  if (p.role == plan::organizer) {
    std::vector<std::string> to;
    for (const auto* a : recipients(p.before, p.me)) to.push_back(a->address);
    if (!to.empty()) fan_out(s, p.me, to, ical::itip_cancel(p.old_data));
    log::info("dav.schedule", {{"user", user}, {"uid", p.before.uid}, {"method", "CANCEL"},
                               {"attendees", std::to_string(to.size())}});
  } else if (p.role == plan::attendee) {
    // RFC 6638 §3.2.2.2: an attendee removing the event declines it.
    auto declined = ical::with_partstat(p.old_data, p.me, "DECLINED");
    reply_to_organizer(s, p, ical::itip_reply(declined, p.me));
    log::info("dav.schedule", {{"user", user}, {"uid", p.before.uid}, {"method", "REPLY"}, {"partstat", "DECLINED"}});
  }
}

void tag_response(const std::string& data, http::response& r) {
  if (!ical::mentions_organizer(data)) return;
  r.headers.emplace_back("Schedule-Tag", ical::schedule_tag(data));
}

}  // namespace hearth::dav::sched
