#include "dav/store/shares.hpp"

#include "tests/unit/test_database.hpp"

using namespace hearth::dav;

namespace {
// Every case runs on both engines; the shares live next to the collections they point at.
struct share_fixture {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  std::unique_ptr<store> st = store::open(t.target).value();
  std::unique_ptr<share_store> sh = share_store::open(t.target).value();
};
const auto nothing_taken = [](const std::string&) { return false; };
}  // namespace

TEST_CASE("shares: grant, change, revoke, mount names, and gone with their collection") {
  share_fixture f;
  auto& s = *f.st;
  auto& shares = *f.sh;
  REQUIRE(s.ensure_defaults("a@x.test"));
  auto cal = s.find_collection("a@x.test", kind::calendar, "personal");
  REQUIRE(cal);
  REQUIRE(*cal);

  auto r = shares.set(**cal, "b@x.test", share_access::read, nothing_taken);
  REQUIRE(r);
  REQUIRE(*r);
  CHECK((*r)->mount == "a@x.test~personal");
  auto m = shares.find_mount("b@x.test", kind::calendar, "a@x.test~personal");
  REQUIRE(m);
  REQUIRE(*m);
  CHECK((*m)->access == share_access::read);
  CHECK((*m)->owner == "a@x.test");
  CHECK((*m)->coll_name == "personal");
  // Not under the other kind, and not for another account.
  CHECK_FALSE(*shares.find_mount("b@x.test", kind::addressbook, "a@x.test~personal"));
  CHECK_FALSE(*shares.find_mount("c@x.test", kind::calendar, "a@x.test~personal"));

  // Upgrading keeps the mount; a name the sharee uses is skipped for a new share.
  r = shares.set(**cal, "b@x.test", share_access::write, nothing_taken);
  REQUIRE(r);
  CHECK((*r)->mount == "a@x.test~personal");
  CHECK((*shares.find_mount("b@x.test", kind::calendar, "a@x.test~personal"))->access == share_access::write);
  r = shares.set(**cal, "c@x.test", share_access::read, [](const std::string& n) { return n == "a@x.test~personal"; });
  REQUIRE(r);
  CHECK((*r)->mount == "a@x.test~personal-2");
  CHECK(shares.of_collection((*cal)->id)->size() == 2);
  CHECK(shares.of_owner("a@x.test")->size() == 2);
  CHECK(shares.for_sharee("b@x.test", kind::calendar)->size() == 1);
  CHECK(shares.for_sharee("b@x.test", kind::addressbook)->empty());

  r = shares.set(**cal, "c@x.test", share_access::none, nothing_taken);
  REQUIRE(r);
  CHECK(*r);
  CHECK_FALSE(*shares.find_mount("c@x.test", kind::calendar, "a@x.test~personal-2"));
  r = shares.set(**cal, "c@x.test", share_access::none, nothing_taken);
  REQUIRE(r);
  CHECK_FALSE(*r);

  // A deleted collection takes its shares with it; a new one of the same name is not shared.
  REQUIRE(s.delete_collection((*cal)->id));
  CHECK(shares.for_sharee("b@x.test", kind::calendar)->empty());
  collection again;
  again.owner = "a@x.test";
  again.name = "personal";
  REQUIRE(s.create_collection(again));
  CHECK(shares.for_sharee("b@x.test", kind::calendar)->empty());
}

TEST_CASE("shares: an invitation waits for the sharee's answer") {
  share_fixture f;
  auto& s = *f.st;
  auto& shares = *f.sh;
  REQUIRE(s.ensure_defaults("a@x.test"));
  auto cal = s.find_collection("a@x.test", kind::calendar, "personal");
  REQUIRE(cal);
  REQUIRE(*cal);

  auto inv = shares.invite(**cal, "b@x.test", share_access::write, nothing_taken);
  REQUIRE(inv);
  CHECK(inv->state == share_state::invited);
  CHECK(inv->uid.size() == 32);
  // Not in the sharee's home while it waits; listed as their invitation and for the owner.
  CHECK_FALSE(*shares.find_mount("b@x.test", kind::calendar, inv->mount));
  CHECK(shares.for_sharee("b@x.test", kind::calendar)->empty());
  REQUIRE(shares.invitations("b@x.test")->size() == 1);
  CHECK(shares.invitations("b@x.test")->front().uid == inv->uid);
  REQUIRE(shares.of_collection((*cal)->id)->size() == 1);
  CHECK(shares.of_collection((*cal)->id)->front().state == share_state::invited);
  // Inviting again while it waits keeps the id; the wrong sharee or id answers nothing.
  CHECK(shares.invite(**cal, "b@x.test", share_access::read, nothing_taken)->uid == inv->uid);
  CHECK_FALSE(*shares.answer("c@x.test", inv->uid, true));
  CHECK_FALSE(*shares.answer("b@x.test", "0123", true));
  CHECK_FALSE(*shares.answer("b@x.test", "", true));

  auto yes = shares.answer("b@x.test", inv->uid, true);
  REQUIRE(yes);
  REQUIRE(*yes);
  CHECK((*yes)->state == share_state::accepted);
  auto m = shares.find_mount("b@x.test", kind::calendar, inv->mount);
  REQUIRE(m);
  REQUIRE(*m);
  CHECK((*m)->access == share_access::read);
  CHECK(shares.invitations("b@x.test")->empty());
  // Answered once: the id answers nothing more; a new invitation to an accepted share only
  // changes its access.
  CHECK_FALSE(*shares.answer("b@x.test", inv->uid, false));
  auto again = shares.invite(**cal, "b@x.test", share_access::write, nothing_taken);
  REQUIRE(again);
  CHECK(again->state == share_state::accepted);
  CHECK((*shares.find_mount("b@x.test", kind::calendar, inv->mount))->access == share_access::write);

  // Declined: never in the home; invited again, with a new id.
  auto inv2 = shares.invite(**cal, "c@x.test", share_access::read, nothing_taken);
  REQUIRE(inv2);
  REQUIRE(*shares.answer("c@x.test", inv2->uid, false));
  CHECK(shares.for_sharee("c@x.test", kind::calendar)->empty());
  CHECK(shares.invitations("c@x.test")->empty());
  auto inv3 = shares.invite(**cal, "c@x.test", share_access::read, nothing_taken);
  REQUIRE(inv3);
  CHECK(inv3->state == share_state::invited);
  CHECK(inv3->uid != inv2->uid);
  // The admin's direct share accepts a waiting invitation.
  REQUIRE(shares.set(**cal, "c@x.test", share_access::read, nothing_taken));
  CHECK(*shares.find_mount("c@x.test", kind::calendar, inv3->mount));
  CHECK(!shares.invite(**cal, "d@x.test", share_access::none, nothing_taken));
}
