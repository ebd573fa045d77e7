// The IDLE hub against a real event bus: which sessions an event wakes (the mailbox, the ones
// below it, all on a nameless event or a resync), that a watch's end stops its waker, and that
// the hub's bus subscriptions come and go with the owners' watches.
#include "mail/imap/server/idle_hub.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

using namespace hearth;
using namespace hearth::mail::imap;

TEST_CASE("idle hub: an event wakes the sessions of its mailbox and of the ones below it") {
  events::bus bus;
  idle_hub hub(bus);
  std::map<std::string, int> woken;
  auto counter = [&](std::string name) { return [&woken, name] { ++woken[name]; }; };
  auto inbox = hub.add("alice@home.test", "INBOX", counter("inbox"));
  auto inbox2 = hub.add("alice@home.test", "INBOX", counter("inbox2"));
  auto work = hub.add("alice@home.test", "Work", counter("work"));
  auto child = hub.add("alice@home.test", "Work/2026", counter("child"));
  auto sibling = hub.add("alice@home.test", "Work-old", counter("sibling"));
  auto sibling2 = hub.add("alice@home.test", "Workshop", counter("sibling2"));
  auto bob = hub.add("bob@home.test", "INBOX", counter("bob"));
  CHECK(hub.owners() == 2);
  CHECK(bus.subscribers("mail.new") == 2);

  bus.publish({"mail.new", "alice@home.test", "INBOX"});
  CHECK(woken == std::map<std::string, int>{{"inbox", 1}, {"inbox2", 1}});
  woken.clear();
  // A RENAME or DELETE of a parent carries the parent's name.
  bus.publish({"mail.changed", "alice@home.test", "Work"});
  CHECK(woken == std::map<std::string, int>{{"work", 1}, {"child", 1}});
  woken.clear();
  bus.publish({"mail.changed", "alice@home.test", "Work/2026"});
  CHECK(woken == std::map<std::string, int>{{"child", 1}});
  woken.clear();
  bus.publish({"mail.new", "alice@home.test", "Archive"});
  bus.publish({"other.topic", "alice@home.test", "INBOX"});
  CHECK(woken.empty());
  // No name, or a resync: every session of the owner.
  bus.publish({"mail.changed", "alice@home.test", ""});
  CHECK(woken.size() == 6);
  CHECK(woken.count("bob") == 0);
  woken.clear();
  bus.resync();
  CHECK(woken.size() == 7);
  woken.clear();

  // A watch that went never wakes again; the owner's subscriptions go with its last watch.
  inbox.reset();
  bus.publish({"mail.new", "alice@home.test", "INBOX"});
  CHECK(woken == std::map<std::string, int>{{"inbox2", 1}});
  woken.clear();
  bob.reset();
  CHECK(hub.owners() == 1);
  bus.publish({"mail.new", "bob@home.test", "INBOX"});
  CHECK(woken.empty());
  idle_hub::watch moved = std::move(inbox2);
  inbox2.reset();  // moved from: nothing to stop
  bus.publish({"mail.new", "alice@home.test", "INBOX"});
  CHECK(woken == std::map<std::string, int>{{"inbox2", 1}});
  for (auto* w : {&moved, &work, &child, &sibling, &sibling2}) w->reset();
  CHECK(hub.owners() == 0);
  CHECK(bus.subscribers("mail.new") == 0);
  CHECK(bus.subscribers("mail.changed") == 0);
}

TEST_CASE("idle hub: ten thousand watches on one owner, an event runs only its mailbox's wakers") {
  events::bus bus;
  idle_hub hub(bus);
  int archive = 0, inbox = 0;
  std::vector<idle_hub::watch> watches;
  for (int i = 0; i < 10000; ++i) watches.push_back(hub.add("alice@home.test", "Archive", [&] { ++archive; }));
  for (int i = 0; i < 10; ++i) watches.push_back(hub.add("alice@home.test", "INBOX", [&] { ++inbox; }));
  CHECK(bus.subscribers("mail.new") == 1);
  CHECK(bus.publish({"mail.new", "alice@home.test", "INBOX"}) == 1);  // one bus callback
  CHECK(inbox == 10);
  CHECK(archive == 0);
  watches.clear();
  CHECK(hub.owners() == 0);
}
