#include "xmpp/modules/muc/store.hpp"

#include "tests/unit/test_database.hpp"

using namespace hearth;
using namespace hearth::xmpp;
using namespace hearth::xmpp::muc;

namespace {

archived message(int i) {
  archived a;
  a.stanza_id = "s" + std::to_string(i);
  a.with = i % 2 ? "Bob" : "Alice";
  a.stamp_us = 1000 + i;
  a.stanza = "<message><body>" + std::to_string(i) + "</body></message>";
  return a;
}

const std::string lobby = "lobby@conference.x.test";

}  // namespace

// Every case runs on both engines: a temporary SQLite file, and a schema of its own in the
// PostgreSQL cluster the test runs in.
TEST_CASE("muc store: rooms, affiliations, vCard and the archive survive a reopen") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  {
    auto st = open_store(t.target).value();
    stored_room r{lobby, "persistent=1\n", "hi", "alice@x.test", {{"alice@x.test", "owner", "", ""}}};
    st->save_room(r);
    r.subject = "hello";
    r.affiliations = {{"alice@x.test", "owner", "Al", ""}, {"bob@x.test", "outcast", "", "spam"}};
    st->save_room(r);  // replaces the room and its affiliations
    st->save_room({"other@conference.y.test", "", "", "", {}});
    st->set_vcard(lobby, "<vCard xmlns='vcard-temp'/>");
    for (int i = 0; i < 5; ++i) st->archive_add(lobby, message(i));
    st->archive_add(lobby, message(2));  // the same stanza id again: kept once
  }
  auto st = open_store(t.target).value();  // reopened: migrations are idempotent
  auto rooms = st->rooms("conference.x.test");
  REQUIRE(rooms.size() == 1);
  CHECK(rooms[0].jid == lobby);
  CHECK(rooms[0].config == "persistent=1\n");
  CHECK(rooms[0].subject == "hello");
  CHECK(rooms[0].subject_from == "alice@x.test");
  REQUIRE(rooms[0].affiliations.size() == 2);
  CHECK(rooms[0].affiliations[0].nick == "Al");
  CHECK(rooms[0].affiliations[1].affiliation == "outcast");
  CHECK(rooms[0].affiliations[1].reason == "spam");
  CHECK(st->rooms("conference.y.test").size() == 1);
  CHECK(st->vcard(lobby) == "<vCard xmlns='vcard-temp'/>");
  CHECK(st->vcard("none@conference.x.test").empty());

  archive_query q;
  q.max = 2;
  auto p1 = st->archive_find(lobby, q);
  CHECK(p1.count == 5);
  REQUIRE(p1.items.size() == 2);
  CHECK(!p1.complete);
  CHECK(p1.items[0].stanza == "<message><body>0</body></message>");
  CHECK(p1.items[0].stamp_us == 1000);
  q.after_id = p1.items.back().stanza_id;
  auto p2 = st->archive_find(lobby, q);
  REQUIRE(p2.items.size() == 2);
  CHECK(p2.items[0].stanza_id == "s2");
  archive_query last;
  last.before_id = "";
  last.max = 2;
  auto p3 = st->archive_find(lobby, last);
  REQUIRE(p3.items.size() == 2);
  CHECK(p3.items[1].stanza_id == "s4");
  archive_query bob_only;
  bob_only.with = "Bob";
  CHECK(st->archive_find(lobby, bob_only).count == 2);
  archive_query window;
  window.start_us = 1001;
  window.end_us = 1003;
  window.with = "Alice";
  auto w = st->archive_find(lobby, window);
  REQUIRE(w.items.size() == 1);
  CHECK(w.items[0].stanza_id == "s2");
  auto tail = st->archive_last(lobby, 3);
  REQUIRE(tail.size() == 3);
  CHECK(tail.front().stanza_id == "s2");
  CHECK(tail.back().stanza_id == "s4");

  st->delete_room(lobby);
  CHECK(st->rooms("conference.x.test").empty());
  CHECK(st->archive_find(lobby, archive_query{}).count == 0);
  CHECK(st->rooms("conference.y.test").size() == 1);
}

TEST_CASE("muc store: two stores on one database (two nodes) see each other's rooms and messages") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto a = open_store(t.target).value();
  auto b = open_store(t.target).value();
  a->save_room({lobby, "", "", "", {}});
  for (int i = 0; i < 4; ++i) (i % 2 ? a : b)->archive_add(lobby, message(i));
  CHECK(b->rooms("conference.x.test").size() == 1);
  auto all = a->archive_last(lobby, 10);
  REQUIRE(all.size() == 4);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].id < all[i].id);
}

TEST_CASE("muc store: the origin of a held stanza is found among the room's last messages only") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto a = open_store(t.target).value();
  auto b = open_store(t.target).value();  // another node: the room's new home
  a->archive_add(lobby, message(0), "17/A");
  a->archive_add(lobby, message(1));
  a->archive_add("other@conference.x.test", message(2), "18/A");
  CHECK(b->archived_origin(lobby, "17/A"));
  CHECK_FALSE(b->archived_origin(lobby, "18/A"));  // another room's
  CHECK_FALSE(b->archived_origin(lobby, "17/B"));
  CHECK_FALSE(b->archived_origin(lobby, ""));      // a stanza handled where it arrived names none
  a->archive_add(lobby, message(0), "19/A");       // its stanza id again: kept once, as first written
  CHECK_FALSE(b->archived_origin(lobby, "19/A"));
  // Bounded: past the last `recent` rows it is not looked for.
  CHECK(b->archived_origin(lobby, "17/A", 2));
  CHECK_FALSE(b->archived_origin(lobby, "17/A", 1));
}

// A data directory written before the store moved to core/sql: the table and the migration
// row of component "muc" are there already, and opening keeps both.
TEST_CASE("muc store: an existing SQLite xmpp.db opens unchanged") {
  test_database t{sql::engine::sqlite};
  {
    auto d = sql::open(t.target).value();
    REQUIRE(d->get().exec(R"sql(
CREATE TABLE schema_migrations(component TEXT NOT NULL, version INT NOT NULL, description TEXT NOT NULL,
  applied_at INT NOT NULL, PRIMARY KEY(component, version));
INSERT INTO schema_migrations VALUES('muc', 1, 'muc: rooms, affiliations, room archive', 1);
CREATE TABLE muc_room(jid TEXT PRIMARY KEY, domain TEXT NOT NULL, config TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '', subject_from TEXT NOT NULL DEFAULT '', vcard TEXT NOT NULL DEFAULT '');
CREATE TABLE muc_affiliation(room TEXT NOT NULL, jid TEXT NOT NULL, affiliation TEXT NOT NULL,
  nick TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', PRIMARY KEY(room, jid));
CREATE TABLE muc_archive(id INTEGER PRIMARY KEY, room TEXT NOT NULL, stanza_id TEXT NOT NULL, nick TEXT NOT NULL,
  stamp INTEGER NOT NULL, stanza TEXT NOT NULL, UNIQUE(room, stanza_id));
INSERT INTO muc_room VALUES('old@conference.x.test', 'conference.x.test', 'c', 's', 'f', '');
INSERT INTO muc_archive VALUES(7, 'old@conference.x.test', 'x7', 'Nick', 5, '<message/>');
)sql"));
  }
  auto st = open_store(t.target).value();
  REQUIRE(st->rooms("conference.x.test").size() == 1);
  auto tail = st->archive_last("old@conference.x.test", 5);
  REQUIRE(tail.size() == 1);
  CHECK(tail[0].id == 7);
  st->archive_add("old@conference.x.test", message(1));
  CHECK(st->archive_last("old@conference.x.test", 5).back().id > 7);
  auto d = sql::open(t.target).value();
  // Version 1 kept as it was; the later ones added.
  CHECK(d->get().query_int("SELECT count(*) FROM schema_migrations WHERE component = 'muc' AND version = 1").value() == 1);
  CHECK(d->get().query_int("SELECT count(*) FROM schema_migrations WHERE component = 'muc'").value() == 3);
}

TEST_CASE("muc store: occupants written by one node are read by another, and go with the room") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto a = open_store(t.target).value();
  auto b = open_store(t.target).value();
  a->save_room({lobby, "persistent=1\n", "topic", "Al", {{"alice@x.test", "owner", "", ""}}});
  a->occupant_put(lobby, {"Al", "alice@x.test/pc", "moderator", "<presence><show>away</show></presence>"});
  a->occupant_put(lobby, {"Bo", "bob@x.test/phone", "participant", ""});
  a->occupant_put("other@conference.x.test", {"Bo", "bob@x.test/phone", "visitor", ""});
  a->occupant_put(lobby, {"Al", "alice@x.test/pc", "participant", "<presence/>"});  // replaced by nick
  auto seated = b->occupants(lobby);
  REQUIRE(seated.size() == 2);
  CHECK(seated[0].nick == "Al");
  CHECK(seated[0].jid == "alice@x.test/pc");
  CHECK(seated[0].role == "participant");
  CHECK(seated[0].presence == "<presence/>");
  CHECK(seated[1].nick == "Bo");
  auto seats = b->seats_of("bob@x.test/phone");
  REQUIRE(seats.size() == 2);
  CHECK(seats[0].room == lobby);
  CHECK(seats[0].nick == "Bo");
  CHECK(seats[1].room == "other@conference.x.test");
  CHECK(b->seats_of("bob@x.test/other").empty());

  auto one = b->room(lobby);
  REQUIRE(one);
  CHECK(one->subject == "topic");
  REQUIRE(one->affiliations.size() == 1);
  CHECK(one->affiliations[0].affiliation == "owner");
  CHECK_FALSE(b->room("other@conference.x.test"));

  b->occupant_drop(lobby, "Al");
  b->occupant_drop(lobby, "nobody");
  CHECK(a->occupants(lobby).size() == 1);
  a->delete_room(lobby);
  CHECK(b->occupants(lobby).empty());
  CHECK(b->seats_of("bob@x.test/phone").size() == 1);  // the other room's seat stays
}
