// The read-only birthday calendar: kept in step with the owner's contacts as they change.
//
// It is an ordinary calendar collection, so sync tokens, time-range queries and every client
// work as for any other; what makes it special is that only this file writes to it, and
// dispatch() refuses clients' writes (service.cpp).
#include <set>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "dav/server/internal.hpp"

namespace hearth::dav {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

// One object per (address book, contact, date): a hash keeps the name a safe URL segment
// whatever the contact's resource name is.
std::string event_name(const std::string& book, const std::string& obj, const std::string& suffix) {
  auto h = crypto::sha256(book + "/" + obj);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 12; ++i) {
    out += hex[static_cast<unsigned char>(h[i]) >> 4];
    out += hex[static_cast<unsigned char>(h[i]) & 15];
  }
  return out + "-" + suffix + ".ics";
}

}  // namespace

bool is_birthday_calendar(kind k, std::string_view coll_name) {
  return k == kind::calendar && coll_name == birthday_calendar;
}

namespace {

std::optional<collection> find_or_make(store& st, const std::string& user, bool create) {
  auto c = must(st.find_collection(user, kind::calendar, std::string(birthday_calendar)));
  if (c || !create) return c;
  collection nc;
  nc.owner = user;
  nc.kind = kind::calendar;
  nc.name = std::string(birthday_calendar);
  nc.displayname = "Birthdays";
  nc.description = "Birthdays and anniversaries of your contacts (read-only)";
  nc.components = "VEVENT";
  auto made = st.create_collection(nc);
  if (!made) {
    if (made.error().code == "dav.exists") return must(st.find_collection(user, kind::calendar, nc.name));
    throw error_exception(made.error());
  }
  return *made;
}

// The birthday calendar when this changed it.
std::optional<collection> sync_one(store& st, const std::string& user, const std::string& book, const std::string& obj,
                                   const std::string* card) {
  std::vector<ical::birthday_event> want;
  if (card) want = ical::birthday_events(*card);
  auto cal = find_or_make(st, user, !want.empty());
  if (!cal) return std::nullopt;
  bool touched = false;
  for (const char* suffix : {"bday", "anniv"}) {
    const auto name = event_name(book, obj, suffix);
    const ical::birthday_event* ev = nullptr;
    for (const auto& e : want)
      if (e.suffix == suffix) ev = &e;
    auto cur = must(st.find_object(cal->id, name, ev != nullptr));
    if (!ev) {
      if (cur) touched |= must(st.delete_object(cal->id, name, std::nullopt));
      continue;
    }
    if (cur && cur->data == ev->ics) continue;  // unchanged: the sync token stays
    auto info = ical::inspect(ev->ics);
    if (!info) continue;
    new_object o{name, ev->ics, info->uid, info->component, info->first_start, info->last_end};
    auto res = st.put_object(cal->id, o, std::nullopt, false);
    if (!res) {
      // Two contacts with one UID in different address books: the second one's event is
      // left out rather than failing the contact's own write.
      log::warn("dav.birthday", {{"user", user}, {"error", res.error().message}});
      continue;
    }
    touched = true;
  }
  if (!touched) return std::nullopt;
  return cal;
}

}  // namespace

result<bool> rebuild_birthdays(store& st, const std::string& user) {
  try {
    bool touched = false;
    std::set<std::string> keep;
    for (const auto& book : must(st.collections(user, kind::addressbook))) {
      if (book.owner != user) continue;  // a shared address book feeds its owner's birthdays
      for (const auto& o : must(st.objects(book.id, true))) {
        touched |= sync_one(st, user, book.name, o.name, &o.data).has_value();
        for (const char* s : {"bday", "anniv"}) keep.insert(event_name(book.name, o.name, s));
      }
    }
    auto cal = find_or_make(st, user, false);
    if (cal)
      for (const auto& o : must(st.objects(cal->id, false)))
        if (!keep.count(o.name)) touched |= must(st.delete_object(cal->id, o.name, std::nullopt));
    return touched;
  } catch (const error_exception& e) {
    return e.err();
  }
}

void service::sync_birthdays(const std::string& user, const std::string& book, const std::string& obj,
                             const std::string* card) {
  // A shared address book (its mount name has a '~') feeds its owner's calendar (share_gate).
  if (opts_.shares && book.find('~') != std::string::npos && must(opts_.shares->find_mount(user, kind::addressbook, book)))
    return;
  if (auto cal = sync_one(store_, user, book, obj, card)) changed(user, *cal);
}

void service::rebuild_birthdays(const std::string& user) {
  auto touched = dav::rebuild_birthdays(store_, user);
  if (!touched) throw error_exception(touched.error());
  if (*touched)
    if (auto cal = find_or_make(store_, user, false)) changed(user, *cal);
}

}  // namespace hearth::dav
