// Delivery of iTIP messages (RFC 6638 §4): to local calendar users through their schedule
// inbox and their calendars, to everyone else through the iMIP sender.
#include <algorithm>
#include <atomic>
#include <set>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "dav/ical/imip.hpp"
#include "dav/server/imip.hpp"
#include "dav/server/schedule.hpp"
#include "directory/directory.hpp"

namespace hearth::dav::sched {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}
void must(result<void> r) {
  if (!r) throw error_exception(r.error());
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

struct found {
  collection coll;
  object obj;
};

// The user's own copy of the object with this UID, wherever they keep it.
std::optional<found> find_by_uid(service& s, const std::string& account, const std::string& uid) {
  for (auto& c : must(s.store_.collections(account, kind::calendar))) {
    if (is_special(c)) continue;
    for (auto& o : must(s.store_.objects(c.id, false)))
      if (o.uid == uid) {
        auto full = must(s.store_.find_object(c.id, o.name, true));
        if (full) return found{c, std::move(*full)};
      }
  }
  return std::nullopt;
}

// The href inside a stored schedule-default-calendar-URL property ("" when it has none).
std::string href_inside(const std::string& xml_text) {
  auto h = xml_text.find("href");
  if (h == std::string::npos) return {};
  auto open = xml_text.find('>', h);
  auto close = open == std::string::npos ? open : xml_text.find('<', open);
  if (close == std::string::npos) return {};
  return xml_text.substr(open + 1, close - open - 1);
}

// RFC 6638 §9.2 schedule-default-calendar-URL: the calendar the user set on their inbox (an
// empty value: invitations stay in the inbox only), else "personal" (the calendar every
// account gets) when it takes the component, else the first calendar that does.
std::optional<collection> default_calendar(service& s, const std::string& account, const std::string& component) {
  auto all = must(s.store_.collections(account, kind::calendar));
  auto takes = [&](const collection& c) {
    return !is_special(c) && ("," + c.components + ",").find("," + component + ",") != std::string::npos;
  };
  for (auto& c : all) {
    if (!is_inbox(c.kind, c.name)) continue;
    auto it = c.dead.find(std::string(xml::ns_caldav) + " schedule-default-calendar-URL");
    if (it == c.dead.end()) break;
    auto path = href_to_path(href_inside(it->second));
    if (!path) return std::nullopt;
    auto t = parse_path(*path);
    for (auto& d : all)
      if (t.type == target::coll && t.user == account && d.name == t.coll_name && takes(d)) return d;
    break;
  }
  for (auto& c : all)
    if (c.name == "personal" && takes(c)) return c;
  for (auto& c : all)
    if (takes(c)) return c;
  return std::nullopt;
}

// The attendee's choice, a property of their schedule inbox: how a new invitation shows in
// their calendar until they answer. "tentative" (the default: STATUS:TENTATIVE, so that the
// calendar shows it as unconfirmed) or "as-sent" (the organizer's STATUS kept).
bool wants_tentative(service& s, const std::string& account) {
  auto inbox = must(s.store_.find_collection(account, kind::calendar, std::string(inbox_name)));
  if (!inbox) return true;
  auto it = inbox->dead.find(std::string(invitation_setting_ns) + " " + std::string(invitation_setting));
  return it == inbox->dead.end() || it->second.find("as-sent") == std::string::npos;
}

void add(delivery& d, const std::string& account, const collection& c, store::write w) {
  d.writes.push_back(std::move(w));
  d.owners.emplace_back(account, c);
}

void put_in_inbox(service& s, const std::string& account, const std::string& msg, const ical::scheduling& info,
                  delivery& d) {
  auto inbox = must(s.store_.find_collection(account, kind::calendar, std::string(inbox_name)));
  if (!inbox) return;
  store::write w;
  w.coll = inbox->id;
  auto& o = w.o;
  // The inbox keeps every message, several per UID: each is its own resource.
  o.name = "itip-" + hex(crypto::random_bytes(12)) + ".ics";
  o.uid = o.name;
  o.data = msg;
  o.component = info.component.empty() ? "VEVENT" : info.component;
  o.first_start = ical::min_time;
  o.last_end = ical::max_time;
  add(d, account, *inbox, std::move(w));
}

bool store_copy(const std::string& account, const collection& coll, const std::string& name, const std::string& data,
                delivery& d) {
  auto info = ical::inspect(data);
  if (!info) return false;
  store::write w;
  w.coll = coll.id;
  w.o.name = name;
  w.o.data = data;
  w.o.uid = info->uid;
  w.o.component = info->component;
  w.o.first_start = info->first_start;
  w.o.last_end = info->last_end;
  add(d, account, coll, std::move(w));
  return true;
}

}  // namespace

std::optional<std::string> local_account(const service& s, const std::string& address) {
  if (!s.opts_.dir || address.empty()) return std::nullopt;
  if (auto a = s.opts_.dir->find_account(address)) return a->address;
  auto r = s.opts_.dir->resolve(address);
  if (r.size() == 1 && r[0] != address && s.opts_.dir->find_account(r[0])) return r[0];
  return std::nullopt;
}

bool local_domain(const service& s, const std::string& address) {
  auto at = address.rfind('@');
  if (!s.opts_.dir || at == std::string::npos) return false;
  return s.opts_.dir->is_local_domain(address.substr(at + 1));
}

std::vector<std::string> addresses_of(const service& s, const std::string& user) {
  std::vector<std::string> out{user};
  if (!s.opts_.dir) return out;
  for (const auto& a : s.opts_.dir->aliases()) {
    if (a.source.empty() || a.source.front() == '@') continue;  // catch-alls are nobody's address
    auto r = s.opts_.dir->resolve(a.source);
    if (r.size() == 1 && r[0] == user) out.push_back(a.source);
  }
  return out;
}

void commit(service& s, delivery& d) {
  if (d.writes.empty()) return;
  auto st = must(s.store_.apply_writes(d.writes));
  std::set<std::pair<std::string, std::int64_t>> told;
  for (std::size_t i = 0; i < st.size() && i < d.owners.size(); ++i) {
    if (st[i] != store::write_status::done) continue;
    auto& [account, coll] = d.owners[i];
    if (told.emplace(account, coll.id).second) s.changed(account, coll);
  }
  d.writes.clear();
  d.owners.clear();
}

void deliver_to_attendee(service& s, const std::string& account, const std::string& address, const std::string& msg,
                         const ical::scheduling& info, delivery& d) {
  must(s.store_.ensure_defaults(account));
  ensure_boxes(s, account);
  put_in_inbox(s, account, msg, info, d);
  auto mine = find_by_uid(s, account, info.uid);
  if (info.method == "CANCEL") {
    // The issue's choice: a cancelled meeting leaves the attendee's calendar.
    if (mine) {
      store::write w;
      w.coll = mine->coll.id;
      w.erase = true;
      w.o.name = mine->obj.name;
      add(d, account, mine->coll, std::move(w));
    }
    return;
  }
  auto copy = ical::attendee_copy(msg, mine ? mine->obj.data : std::string(), address);
  if (mine) {
    store_copy(account, mine->coll, mine->obj.name, copy, d);
    return;
  }
  auto cal = default_calendar(s, account, info.component.empty() ? "VEVENT" : info.component);
  if (!cal) return;  // no calendar takes it: the inbox has it
  if (wants_tentative(s, account)) copy = ical::as_tentative(copy, address);
  // Named as clients name their own events (UID.ics), so that a client that accepts by saving
  // the invitation into its calendar (python-caldav) replaces this copy instead of clashing.
  std::string name = info.uid + ".ics";
  if (info.uid.size() > 200 || !valid_name(name) || name.find_first_of("%?#") != std::string::npos)
    name = hex(crypto::sha256(info.uid)).substr(0, 32) + ".ics";
  store_copy(account, *cal, name, copy, d);
}

void deliver_to_attendee(service& s, const std::string& account, const std::string& address, const std::string& msg,
                         const ical::scheduling& info) {
  delivery d;
  deliver_to_attendee(s, account, address, msg, info, d);
  commit(s, d);
}

bool deliver_reply(service& s, const std::string& account, const std::string& from, const std::string& msg,
                   const std::string& uid) {
  must(s.store_.ensure_defaults(account));
  ensure_boxes(s, account);
  auto mine = find_by_uid(s, account, uid);
  if (!mine) return false;
  auto updated = ical::apply_reply(mine->obj.data, msg, from);
  if (!updated) return false;
  auto info = ical::scheduling_of(msg);
  if (!info) return false;
  delivery d;
  put_in_inbox(s, account, msg, *info, d);
  if (!store_copy(account, mine->coll, mine->obj.name, *updated, d)) return false;
  commit(s, d);
  return true;
}

bool send_imip(service& s, const std::string& from, const std::vector<std::string>& to, const std::string& msg,
               const ical::scheduling& info) {
  if (!s.opts_.imip) return false;
  auto mail = ical::imip_message(from, to, info, msg);
  auto r = s.opts_.imip->send(from, to, mail);
  log::info("dav.imip.out", {{"from", from}, {"rcpts", std::to_string(to.size())}, {"method", info.method},
                             {"uid", info.uid}, {"status", r ? "queued" : r.error().message}});
  return static_cast<bool>(r);
}

}  // namespace hearth::dav::sched
