#include "xmpp/modules/muc/room.hpp"

#include "xmpp/stream/parser.hpp"

using namespace hearth;
using namespace hearth::xmpp;
using namespace hearth::xmpp::muc;

namespace {

const jid room_jid = *jid::parse("lobby@conference.x.test");
const jid alice = *jid::parse("alice@x.test/pc");
const jid bob = *jid::parse("bob@x.test/phone");
const jid carol = *jid::parse("carol@y.test/web");

struct fixture {
  room r{room_jid, "secret", limits{100, 0}};
  int ids = 0;
  std::int64_t now = 1700000000LL * 1000000;
  context ctx() {
    return context{now, [this] { return "id" + std::to_string(++ids); }};
  }
  outcome presence(const jid& from, std::string nick, std::string extra = "<x xmlns='http://jabber.org/protocol/muc'/>",
                   std::string type = "") {
    std::string xml = "<presence" + (type.empty() ? std::string() : " type='" + type + "'") + ">" + extra + "</presence>";
    auto p = parse_fragment(xml);
    REQUIRE(p);
    p->set("from", from.full());
    p->set("to", room_jid.bare() + "/" + nick);
    return r.on_presence(*p, from, *jid::parse(room_jid.bare() + "/" + nick), ctx());
  }
  outcome message(const jid& from, std::string xml, std::string to_nick = "") {
    auto m = parse_fragment(xml);
    REQUIRE(m);
    m->set("from", from.full());
    std::string to = room_jid.bare() + (to_nick.empty() ? "" : "/" + to_nick);
    m->set("to", to);
    return r.on_message(*m, from, *jid::parse(to), ctx());
  }
  outcome iq(const jid& from, std::string type, std::string payload) {
    auto q = parse_fragment(payload);
    REQUIRE(q);
    element e("iq", std::string(ns_client));
    e.set("type", type).set("id", "q1").set("from", from.full()).set("to", room_jid.bare());
    e.add(*q);
    auto res = r.on_iq(e, from, ctx());
    REQUIRE(res);
    return *res;
  }
  void create_instant() {
    r.create(alice);
    presence(alice, "Alice");
    auto res = iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>");
    REQUIRE(!r.locked);
  }
};

std::string all(const outcome& o) {
  std::string s;
  for (const auto& e : o.out) s += serialize(e) + "\n";
  return s;
}

std::vector<const element*> to_whom(const outcome& o, const jid& j) {
  std::vector<const element*> v;
  for (const auto& e : o.out)
    if (e.get("to") == j.full()) v.push_back(&e);
  return v;
}

bool has_status(const element& p, int code) {
  const element* x = p.child("x", ns_user);
  if (!x) return false;
  for (const auto& c : x->children)
    if (!c.is_text() && c.name == "status" && c.get("code") == std::to_string(code)) return true;
  return false;
}

std::string error_of(const outcome& o) {
  for (const auto& e : o.out)
    if (e.get("type") == "error")
      if (const element* err = e.child("error"))
        if (const element* c = err->child_ns(ns_stanzas)) return c->name;
  return "";
}

}  // namespace

TEST_CASE("muc: a new room is locked until its owner configures it") {
  fixture f;
  f.r.create(alice);
  auto res = f.presence(alice, "Alice");
  auto self = to_whom(res, alice);
  REQUIRE(self.size() >= 2);
  CHECK(has_status(*self[0], 110));
  CHECK(has_status(*self[0], 201));
  CHECK(self[0]->child("x", ns_user)->child("item")->get("affiliation") == "owner");
  CHECK(self[0]->child("x", ns_user)->child("item")->get("role") == "moderator");
  CHECK(self.back()->child("subject") != nullptr);  // the subject ends the join
  CHECK(error_of(f.presence(bob, "Bob")) == "item-not-found");
  f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>");
  CHECK(!f.r.locked);
  auto join = f.presence(bob, "Bob");
  CHECK(error_of(join).empty());
  // Bob gets Alice's presence, then his own (110); Alice gets Bob's.
  auto to_bob = to_whom(join, bob);
  REQUIRE(to_bob.size() >= 2);
  CHECK(to_bob[0]->get("from") == "lobby@conference.x.test/Alice");
  CHECK(to_bob[1]->get("from") == "lobby@conference.x.test/Bob");
  CHECK(has_status(*to_bob[1], 110));
  CHECK(to_bob[1]->child("x", ns_user)->child("item")->get("role") == "participant");
  auto to_alice = to_whom(join, alice);
  REQUIRE(to_alice.size() == 1);
  // Semi-anonymous: Alice moderates, so she sees Bob's real JID; Bob does not see hers.
  CHECK(to_alice[0]->child("x", ns_user)->child("item")->get("jid") == bob.full());
  CHECK(!to_bob[0]->child("x", ns_user)->child("item")->attr("jid"));
  CHECK(to_bob[0]->child("occupant-id", ns_occupant_id) != nullptr);
}

TEST_CASE("muc: nick conflicts, nick changes and exits") {
  fixture f;
  f.create_instant();
  CHECK(error_of(f.presence(bob, "Alice")) == "conflict");
  f.presence(bob, "Bob");
  auto change = f.presence(bob, "Robert", "");
  auto to_alice = to_whom(change, alice);
  REQUIRE(to_alice.size() == 2);
  CHECK(to_alice[0]->get("type") == "unavailable");
  CHECK(has_status(*to_alice[0], 303));
  CHECK(to_alice[0]->child("x", ns_user)->child("item")->get("nick") == "Robert");
  CHECK(to_alice[1]->get("from") == "lobby@conference.x.test/Robert");
  CHECK(f.r.occupants().count("Robert") == 1);
  auto leave = f.presence(bob, "Robert", "", "unavailable");
  CHECK(to_whom(leave, alice).size() == 1);
  CHECK(has_status(*to_whom(leave, bob)[0], 110));
  CHECK(f.r.occupants().count("Robert") == 0);
  // The last occupant of a temporary room leaving destroys it.
  auto last = f.presence(alice, "Alice", "", "unavailable");
  CHECK(last.destroyed);
}

TEST_CASE("muc: groupchat messages are reflected to every occupant, kept as history") {
  fixture f;
  f.create_instant();
  f.presence(bob, "Bob");
  for (int i = 1; i <= 3; ++i) {
    auto m = f.message(bob, "<message type='groupchat' id='m" + std::to_string(i) + "'><body>hello " + std::to_string(i) +
                                "</body><stanza-id xmlns='urn:xmpp:sid:0' by='lobby@conference.x.test' id='forged'/></message>");
    REQUIRE(m.out.size() == 2);
    CHECK(m.archive);
    for (const auto& e : m.out) {
      CHECK(e.get("from") == "lobby@conference.x.test/Bob");
      CHECK(e.get("id") == "m" + std::to_string(i));
      const element* sid = e.child("stanza-id", "urn:xmpp:sid:0");
      REQUIRE(sid);
      CHECK(sid->get("id") == m.archive_id);  // the forged one is gone
    }
  }
  // Not an occupant: refused.
  CHECK(error_of(f.message(carol, "<message type='groupchat'><body>x</body></message>")) == "not-acceptable");
  // History on join, limited by maxstanzas; delayed; then the subject.
  auto join = f.presence(carol, "Carol", "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='2'/></x>");
  auto to_carol = to_whom(join, carol);
  std::vector<const element*> hist;
  for (auto* e : to_carol)
    if (e->name == "message" && e->child("body")) hist.push_back(e);
  REQUIRE(hist.size() == 2);
  CHECK(hist[0]->child("body")->body() == "hello 2");
  CHECK(hist[1]->child("body")->body() == "hello 3");
  CHECK(hist[0]->child("delay", "urn:xmpp:delay") != nullptr);
  CHECK(to_carol.back()->child("subject") != nullptr);
  auto none = f.presence(*jid::parse("dave@x.test/a"), "Dave", "<x xmlns='http://jabber.org/protocol/muc'><history maxchars='0'/></x>");
  int bodies = 0;
  for (auto* e : to_whom(none, *jid::parse("dave@x.test/a")))
    if (e->child("body")) ++bodies;
  CHECK(bodies == 0);
}

TEST_CASE("muc: subject changes follow the room's rule") {
  fixture f;
  f.create_instant();
  f.presence(bob, "Bob");
  CHECK(error_of(f.message(bob, "<message type='groupchat'><subject>mine</subject></message>")) == "forbidden");
  auto ok = f.message(alice, "<message type='groupchat'><subject>Plans</subject></message>");
  CHECK(error_of(ok).empty());
  CHECK(f.r.subject == "Plans");
  CHECK(f.r.subject_from == "Alice");
}

TEST_CASE("muc: members-only, passwords and bans") {
  fixture f;
  f.create_instant();
  auto conf = f.iq(alice, "set",
                   "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
                   "<field var='muc#roomconfig_membersonly'><value>1</value></field>"
                   "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>"
                   "<field var='muc#roomconfig_roomsecret'><value>s3cret</value></field>"
                   "<field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query>");
  CHECK(conf.save);
  CHECK(f.r.config().members_only);
  CHECK(error_of(f.presence(bob, "Bob")) == "registration-required");
  f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@x.test'/></query>");
  CHECK(error_of(f.presence(bob, "Bob")) == "not-authorized");
  CHECK(error_of(f.presence(bob, "Bob", "<x xmlns='http://jabber.org/protocol/muc'><password>s3cret</password></x>")).empty());
  // A ban removes him (301) and keeps him out.
  auto ban = f.iq(alice, "set",
                  "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='bob@x.test'>"
                  "<reason>spam</reason></item></query>");
  auto to_bob = to_whom(ban, bob);
  REQUIRE(to_bob.size() == 1);
  CHECK(to_bob[0]->get("type") == "unavailable");
  CHECK(has_status(*to_bob[0], 301));
  CHECK(f.r.occupants().count("Bob") == 0);
  CHECK(error_of(f.presence(bob, "Bob", "<x xmlns='http://jabber.org/protocol/muc'><password>s3cret</password></x>")) ==
        "forbidden");
  // Only admins and owners read the ban list.
  auto list = f.iq(alice, "get", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query>");
  CHECK(all(list).find("bob@x.test") != std::string::npos);
  // The last owner cannot leave ownership.
  CHECK(error_of(f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='alice@x.test'/></query>")) ==
        "conflict");
}

TEST_CASE("muc: kicks, voice and moderation") {
  fixture f;
  f.create_instant();
  f.presence(bob, "Bob");
  f.presence(carol, "Carol");
  // A participant cannot kick.
  CHECK(error_of(f.iq(bob, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Carol' role='none'/></query>")) ==
        "forbidden");
  // Nobody kicks an owner.
  CHECK(error_of(f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Alice' role='none'/></query>")) ==
        "not-allowed");
  auto kick = f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Carol' role='none'><reason>bye</reason></item></query>");
  auto to_carol = to_whom(kick, carol);
  REQUIRE(to_carol.size() == 1);
  CHECK(has_status(*to_carol[0], 307));
  CHECK(has_status(*to_carol[0], 110));
  CHECK(to_carol[0]->child("x", ns_user)->child("item")->child("reason")->body() == "bye");
  // Revoke voice: Bob becomes a visitor and may no longer speak.
  f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='visitor'/></query>");
  CHECK(error_of(f.message(bob, "<message type='groupchat'><body>hi</body></message>")) == "forbidden");
}

TEST_CASE("muc: private messages between occupants") {
  fixture f;
  f.create_instant();
  f.presence(bob, "Bob");
  auto pm = f.message(bob, "<message type='chat'><body>psst</body></message>", "Alice");
  REQUIRE(pm.out.size() == 1);
  CHECK(pm.out[0].get("to") == alice.full());
  CHECK(pm.out[0].get("from") == "lobby@conference.x.test/Bob");
  CHECK(pm.out[0].child("x", ns_user) != nullptr);
  CHECK(error_of(f.message(bob, "<message type='chat'><body>?</body></message>", "Nobody")) == "item-not-found");
  CHECK(error_of(f.message(carol, "<message type='chat'><body>?</body></message>", "Alice")) == "not-acceptable");
  f.r.config().allow_pm = "moderators";
  CHECK(error_of(f.message(bob, "<message type='chat'><body>psst</body></message>", "Alice")) == "forbidden");
}

TEST_CASE("muc: mediated invitations to a members-only room make members") {
  fixture f;
  f.create_instant();
  f.r.config().members_only = true;
  auto inv = f.message(alice, "<message><x xmlns='http://jabber.org/protocol/muc#user'><invite to='bob@x.test'><reason>join us</reason></invite></x></message>");
  REQUIRE(inv.out.size() == 1);
  CHECK(inv.out[0].get("to") == "bob@x.test");
  CHECK(inv.out[0].child("x", ns_user)->child("invite")->get("from") == alice.full());
  CHECK(f.r.affiliation_of("bob@x.test") == affiliation::member);
  CHECK(error_of(f.presence(bob, "Bob")).empty());
  // A plain member may not invite unless the room allows it.
  CHECK(error_of(f.message(bob, "<message><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@y.test'/></x></message>")) ==
        "forbidden");
}

TEST_CASE("muc: message rate per occupant") {
  fixture f;
  f.r = room(room_jid, "secret", limits{100, 1});
  f.create_instant();
  int refused = 0;
  for (int i = 0; i < 10; ++i)
    if (error_of(f.message(alice, "<message type='groupchat'><body>x</body></message>")) == "resource-constraint") ++refused;
  CHECK(refused == 6);  // a burst of 4, then one per second
  f.now += 2 * 1000000;
  CHECK(error_of(f.message(alice, "<message type='groupchat'><body>x</body></message>")).empty());
}

TEST_CASE("muc: occupants limit, destruction, disco") {
  fixture f;
  f.create_instant();
  f.r.config().max_users = 2;
  f.presence(bob, "Bob");
  CHECK(error_of(f.presence(carol, "Carol")) == "service-unavailable");
  auto info = f.iq(bob, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  std::string s = all(info);
  CHECK(s.find("muc_temporary") != std::string::npos);
  CHECK(s.find("muc_semianonymous") != std::string::npos);
  CHECK(s.find("urn:xmpp:mam:2") != std::string::npos);
  CHECK(s.find("urn:xmpp:occupant-id:0") != std::string::npos);
  CHECK(error_of(f.iq(bob, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>")) == "forbidden");
  auto d = f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy><reason>done</reason></destroy></query>");
  CHECK(d.destroyed);
  CHECK(to_whom(d, bob).size() == 1);
  CHECK(to_whom(d, bob)[0]->child("x", ns_user)->child("destroy") != nullptr);
}

TEST_CASE("muc: the configuration form and its stored form") {
  room_config c;
  element form = config_form(c, 500);
  CHECK(serialize(form).find("muc#roomconfig_persistentroom") != std::string::npos);
  auto x = parse_fragment(
      "<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomname'><value>Team</value></field>"
      "<field var='muc#roomconfig_whois'><value>anyone</value></field>"
      "<field var='muc#roomconfig_maxusers'><value>1000</value></field>"
      "<field var='muc#maxhistoryfetch'><value>5</value></field>"
      "<field var='muc#roomconfig_allowpm'><value>none</value></field></x>");
  REQUIRE(apply_config_form(c, *x, 500));
  CHECK(c.title == "Team");
  CHECK(c.whois_anyone);
  CHECK(c.max_users == 500);  // capped
  CHECK(c.history_length == 5);
  auto back = room_config::parse(c.serialize());
  CHECK(back.serialize() == c.serialize());
  auto bad = parse_fragment("<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_persistentroom'><value>maybe</value></field></x>");
  CHECK(!apply_config_form(c, *bad, 500));
  auto nopw = parse_fragment("<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field></x>");
  CHECK(!apply_config_form(c, *nopw, 500));
}

TEST_CASE("muc: presence broadcast limited to moderators (muc#roomconfig_presencebroadcast)") {
  fixture f;
  f.create_instant();  // alice owns the room: a moderator
  auto x = parse_fragment(
      "<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_presencebroadcast'><value>moderator</value></field></x>");
  REQUIRE(apply_config_form(f.r.config(), *x, 100));
  CHECK(f.r.config().broadcasts(role::moderator));
  CHECK(!f.r.config().broadcasts(role::participant));
  CHECK(room_config::parse(f.r.config().serialize()).presence_broadcast == f.r.config().presence_broadcast);
  CHECK(serialize(config_form(f.r.config(), 100)).find("muc#roomconfig_presencebroadcast") != std::string::npos);
  auto bad = parse_fragment(
      "<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_presencebroadcast'><value>owner</value></field></x>");
  CHECK(!apply_config_form(f.r.config(), *bad, 100));

  // Participants joining: each gets the moderator's presence and its own, nobody else is told.
  auto jb = f.presence(bob, "Bob");
  CHECK(to_whom(jb, alice).empty());
  auto bob_got = to_whom(jb, bob);
  int presences = 0;
  for (auto* e : bob_got)
    if (e->name == "presence") ++presences;
  CHECK(presences == 2);  // alice's (a moderator) and bob's own with 110
  CHECK(has_status(*bob_got[1], 110));
  auto jc = f.presence(carol, "Carol");
  CHECK(to_whom(jc, alice).empty());
  CHECK(to_whom(jc, bob).empty());
  for (auto* e : to_whom(jc, carol)) CHECK(e->get("from") != room_jid.bare() + "/Bob");
  // Messages still reach everyone.
  auto m = f.message(bob, "<message type='groupchat'><body>hi all</body></message>");
  CHECK(to_whom(m, alice).size() == 1);
  CHECK(to_whom(m, carol).size() == 1);
  // A hidden participant leaving tells nobody but itself; a moderator leaving tells everyone.
  auto lc = f.presence(carol, "Carol", "", "unavailable");
  CHECK(lc.out.size() == 1);
  CHECK(to_whom(lc, carol).size() == 1);
  auto la = f.presence(alice, "Alice", "", "unavailable");
  CHECK(to_whom(la, bob).size() == 1);
  // The default broadcasts every role: a third join is seen by the others.
  fixture g;
  g.create_instant();
  auto jb2 = g.presence(bob, "Bob");
  CHECK(to_whom(jb2, alice).size() == 1);
}

TEST_CASE("muc: voice requests go to moderators, and an approval gives voice (§7.13, §8.6)") {
  fixture f;
  f.create_instant();
  f.presence(bob, "Bob");
  f.iq(alice, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='visitor'/></query>");
  const std::string request =
      "<message><x xmlns='jabber:x:data' type='submit'>"
      "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
      "<field var='muc#role'><value>participant</value></field></x></message>";
  auto asked = f.message(bob, request);
  auto to_alice = to_whom(asked, alice);
  REQUIRE(to_alice.size() == 1);
  CHECK(to_whom(asked, bob).empty());
  const element* form = to_alice[0]->child("x", ns_data);
  REQUIRE(form);
  CHECK(form->get("type") == "form");
  std::string text = serialize(*to_alice[0]);
  CHECK(text.find("<field var='muc#roomnick' type='text-single' label='Room Nickname'><value>Bob</value>") != std::string::npos);
  CHECK(text.find("bob@x.test/phone") != std::string::npos);  // alice is a moderator: she sees the real JID
  // A participant (carol) cannot approve; a request from someone with voice asks nothing.
  f.presence(carol, "Carol");
  const std::string approve =
      "<message><x xmlns='jabber:x:data' type='submit'>"
      "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
      "<field var='muc#role'><value>participant</value></field>"
      "<field var='muc#roomnick'><value>Bob</value></field>"
      "<field var='muc#request_allow'><value>true</value></field></x></message>";
  CHECK(error_of(f.message(carol, approve)) == "forbidden");
  CHECK(f.message(carol, request).out.empty());
  CHECK(error_of(f.message(bob, "<message type='groupchat'><body>hi</body></message>")) == "forbidden");
  auto granted = f.message(alice, approve);
  auto to_carol = to_whom(granted, carol);
  REQUIRE(to_carol.size() == 1);
  CHECK(to_carol[0]->child("x", ns_user)->child("item")->get("role") == "participant");
  CHECK(f.message(bob, "<message type='groupchat'><body>hi</body></message>").out.size() == 3);
}

TEST_CASE("muc: registration reserves a nick for a member (§7.10)") {
  fixture f;
  f.create_instant();
  auto form = f.iq(bob, "get", "<query xmlns='jabber:iq:register'/>");
  CHECK(all(form).find("muc#register_roomnick") != std::string::npos);
  auto reg = [&](const jid& who, const std::string& nick) {
    return f.iq(who, "set",
                "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                "<field var='muc#register_roomnick'><value>" + nick + "</value></field></x></query>");
  };
  auto ok = reg(bob, "Bobby");
  CHECK(ok.out.at(0).get("type") == "result");
  CHECK(f.r.affiliation_of("bob@x.test") == affiliation::member);
  CHECK(all(f.iq(bob, "get", "<query xmlns='jabber:iq:register'/>")).find("<username>Bobby</username>") != std::string::npos);
  CHECK(error_of(reg(carol, "Bobby")) == "conflict");
  CHECK(error_of(reg(carol, "Alice")) == "conflict");  // worn by alice now
  CHECK(error_of(f.presence(carol, "Bobby")) == "conflict");
  CHECK(error_of(f.iq(carol, "set", "<query xmlns='jabber:iq:register'/>")) == "bad-request");
  auto removed = f.iq(bob, "set", "<query xmlns='jabber:iq:register'><remove/></query>");
  CHECK(removed.out.at(0).get("type") == "result");
  auto joined = f.presence(carol, "Bobby");
  CHECK(error_of(joined).empty());
  CHECK_FALSE(joined.out.empty());
}

TEST_CASE("muc: with tracking on, the room names the occupants that changed; restored ones chat on") {
  fixture f;
  f.create_instant();
  f.presence(bob, "Bob");
  CHECK(f.r.take_changed().empty());  // one node: nothing kept
  f.r.track_changes(true);
  f.presence(carol, "Carol");
  f.presence(bob, "Bob", "<show>away</show>");  // a presence update
  CHECK(f.r.take_changed() == std::vector<std::string>{"Bob", "Carol"});
  CHECK(f.r.take_changed().empty());
  f.presence(bob, "Robert", "");  // nick change: the old seat goes, the new one comes
  CHECK(f.r.take_changed() == std::vector<std::string>{"Bob", "Robert"});
  f.message(alice, "<message type='groupchat'><body>hi</body></message>");
  CHECK(f.r.take_changed().empty());  // a message seats nobody

  // Another node's copy of the room: the occupants as stored, no stanza sent, and they chat on.
  room copy{room_jid, "secret", limits{100, 0}};
  copy.config() = f.r.config();
  copy.affiliations() = f.r.affiliations();
  for (const auto& [nick, o] : f.r.occupants()) copy.restore(nick, o.real, o.r, o.presence);
  copy.restore("Dup", alice, role::participant, element("presence", std::string(ns_client)));  // seated already
  REQUIRE(copy.occupants().size() == 3);
  CHECK(copy.occupant_by_jid(bob.full())->nick == "Robert");
  CHECK(copy.occupant_by_jid(alice.full())->r == role::moderator);
  CHECK(copy.occupant_by_jid(alice.full())->id == f.r.occupant_by_jid(alice.full())->id);
  auto after = parse_fragment("<message type='groupchat'><body>after</body></message>");
  REQUIRE(after);
  after->set("from", carol.full());
  after->set("to", room_jid.bare());
  auto m = copy.on_message(*after, carol, room_jid, f.ctx());
  CHECK(to_whom(m, alice).size() == 1);
  CHECK(to_whom(m, bob).size() == 1);
  CHECK(to_whom(m, carol).size() == 1);

  // An occupant whose session died leaves with 333 for the others.
  auto gone = copy.occupant_gone(alice.full());
  REQUIRE(to_whom(gone, bob).size() == 1);
  CHECK(to_whom(gone, bob)[0]->get("type") == "unavailable");
  CHECK(has_status(*to_whom(gone, bob)[0], 333));
  CHECK(to_whom(gone, alice).empty());
}

TEST_CASE("muc: a temporary room asks to be saved only while another node may take it over") {
  const std::string instant =
      "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>";
  const std::string subject = "<message type='groupchat'><subject>news</subject></message>";
  {
    fixture one;  // one node: a temporary room lives in memory only
    one.r.create(alice);
    one.presence(alice, "Alice");
    CHECK_FALSE(one.iq(alice, "set", instant).save);
    CHECK_FALSE(one.message(alice, subject).save);
  }
  fixture several;
  several.r.track_changes(true);
  several.r.create(alice);
  several.presence(alice, "Alice");
  CHECK(several.iq(alice, "set", instant).save);
  CHECK(!several.r.config().persistent);
  CHECK(several.message(alice, subject).save);
  // Its last occupant leaving still ends it.
  CHECK(several.presence(alice, "Alice", "", "unavailable").destroyed);
}
