// Shared mailboxes: RFC 4314 ACL commands and the rights every command checks, against a real
// store and ACL store in a temporary folder (alice owns, bob is granted).
#include <catch2/catch.hpp>

#include "directory/directory.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands_test_util.hpp"
#include "mail/store/acl.hpp"
#include "mail/store/seen.hpp"

using namespace hearth;
using namespace hearth::mail::imap;
using namespace hearth::mail::imap::test;

namespace {

struct shared_fixture : fixture {
  std::unique_ptr<mail::acl_store> acl;
  std::unique_ptr<mail::seen_store> seen;
  std::unique_ptr<directory::directory> accounts;
  shared_fixture() {
    // Each sharee's \Seen entries refer to their account (seen.hpp).
    accounts = directory::directory::open((dir / "hearth.db").string()).value();
    accounts->add_domain("home.test").value();
    for (auto a : {"alice@home.test", "bob@home.test", "carol@home.test"})
      accounts->add_account(a, {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}).value();
    acl = mail::acl_store::open(dir / "hearth.db").value();
    env.acl = acl.get();
    seen = mail::seen_store::open((dir / "hearth.db").string()).value();
    env.seen = seen.get();
  }
  session_state as(const std::string& who) {
    auto st = login();
    st.account = who;
    return st;
  }
};

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

const std::string box = "shared/alice@home.test/INBOX";

}  // namespace

TEST_CASE("rights are canonical, with the obsolete c and d as groups") {
  // RFC 4314 §2.1.1: "c" is the "create" group and "d" the "delete" group; with RIGHTS=texk
  // "c" is "k" and "d" is "x", "t" and "e".
  CHECK(canonical_rights("rl") == std::optional<std::string>("lr"));
  CHECK(canonical_rights("lrswipte") == std::optional<std::string>("lrswipte"));
  CHECK(canonical_rights("c") == std::optional<std::string>("k"));
  CHECK(canonical_rights("d") == std::optional<std::string>("xte"));
  CHECK(canonical_rights("LRS") == std::optional<std::string>("lrs"));
  CHECK_FALSE(canonical_rights("lrz").has_value());
  CHECK(union_rights("lr", "rs") == "lrs");
}

TEST_CASE("without a grant another user's mailbox does not exist") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto bob = f.as("bob@home.test");
  run(alice, append_cmd("a1", "INBOX", simple));
  // RFC 4314 §6: the server must not reveal a mailbox to a user without "l" or "r".
  CHECK(has(run(bob, "s1 SELECT " + box), "s1 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "s2 EXAMINE " + box), "s2 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "s3 STATUS " + box + " (MESSAGES)"), "s3 NO [NONEXISTENT]"));
  CHECK(has(run(bob, append_cmd("s4", box, simple)), "s4 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "s5 GETACL " + box), "s5 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "s6 MYRIGHTS " + box), "s6 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "s7 SETACL " + box + " bob@home.test lrswipkxtea"), "s7 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "s8 SELECT shared/alice@home.test"), "s8 NO [NONEXISTENT]"));
  auto list = run(bob, "s9 LIST \"\" \"*\"");
  CHECK_FALSE(has(list, "shared/"));
  // A grant to someone else gives bob nothing.
  CHECK(has(run(alice, "g1 SETACL INBOX carol@home.test lr"), "g1 OK"));
  CHECK(has(run(bob, "s10 SELECT " + box), "s10 NO [NONEXISTENT]"));
  // Bob's own name for alice's address is refused too.
  CHECK(has(run(alice, "s11 SELECT shared/alice@home.test/INBOX"), "s11 NO [NONEXISTENT]"));
}

TEST_CASE("lrs reads and keeps \\Seen, and nothing more") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto bob = f.as("bob@home.test");
  run(alice, append_cmd("a1", "INBOX", simple));
  CHECK(has(run(alice, "g1 SETACL INBOX bob@home.test lrs"), "g1 OK SETACL completed"));
  // RFC 4314 §3.3: "* ACL" with each identifier and its rights (the owner first, here).
  auto getacl = run(alice, "g2 GETACL INBOX");
  CAPTURE(getacl);
  CHECK(has(getacl, "* ACL INBOX \"alice@home.test\" lrswipkxtea \"bob@home.test\" lrs\r\n"));
  CHECK(has(run(bob, "n1 NAMESPACE"), "* NAMESPACE ((\"\" \"/\")) ((\"shared/\" \"/\")) NIL\r\n"));
  auto list = run(bob, "l1 LIST \"\" \"*\" RETURN (MYRIGHTS)");
  CHECK(has(list, "* LIST (\\Noselect \\HasChildren) \"/\" \"shared\"\r\n"));
  CHECK(has(list, "* LIST (\\Noselect \\HasChildren) \"/\" \"shared/alice@home.test\"\r\n"));
  CHECK(has(list, "* LIST (\\HasNoChildren) \"/\" \"" + box + "\"\r\n"));
  // RFC 8440 §3: MYRIGHTS after the mailbox's LIST.
  CHECK(has(list, "* MYRIGHTS \"" + box + "\" lrs\r\n"));
  CHECK(has(run(bob, "m1 MYRIGHTS " + box), "* MYRIGHTS \"" + box + "\" lrs\r\n"));
  CHECK(has(run(bob, "st STATUS " + box + " (MESSAGES)"), "* STATUS \"" + box + "\" (MESSAGES 1)"));
  auto sel = run(bob, "s1 SELECT " + box);
  CHECK(has(sel, "* 1 EXISTS"));
  CHECK(has(sel, "s1 OK [READ-WRITE]"));
  CHECK(has(run(bob, "f1 FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])"), "Subject: Hello"));
  CHECK(has(run(bob, "f2 FETCH 1 (FLAGS)"), "FLAGS (\\Seen"));  // the body fetch set \Seen ("s")
  // RFC 4314 §4: STORE of a flag whose right is missing is NO [NOPERM].
  CHECK(has(run(bob, "f3 STORE 1 +FLAGS (\\Flagged)"), "f3 NO [NOPERM]"));
  CHECK(has(run(bob, "f4 STORE 1 +FLAGS (\\Deleted)"), "f4 NO [NOPERM]"));
  CHECK(has(run(bob, "f5 STORE 1 FLAGS (\\Seen)"), "f5 NO [NOPERM]"));
  CHECK(has(run(bob, "f6 STORE 1 -FLAGS (\\Seen)"), "f6 OK"));
  CHECK(has(run(bob, "e1 EXPUNGE"), "e1 NO [NOPERM]"));
  CHECK(has(run(bob, append_cmd("a2", box, simple)), "a2 NO [NOPERM]"));
  CHECK(has(run(bob, "c1 COPY 1 INBOX"), "c1 OK [COPYUID"));  // into bob's own INBOX
  CHECK(has(run(bob, "c2 MOVE 1 INBOX"), "c2 NO [NOPERM]"));
  CHECK(has(run(bob, "g3 GETACL " + box), "g3 NO [NOPERM]"));
  CHECK(has(run(bob, "g4 SETACL " + box + " bob@home.test +a"), "g4 NO [NOPERM]"));
  CHECK(has(run(bob, "d1 DELETE " + box), "d1 NO [NOPERM]"));
  // Clients that show only subscribed folders: bob subscribes in his own list.
  CHECK(has(run(bob, "u1 SUBSCRIBE " + box), "u1 OK"));
  CHECK(has(run(bob, "u2 LSUB \"\" \"*\""), "* LSUB () \"/\" \"" + box + "\"\r\n"));
  CHECK(has(run(bob, "u3 LIST (SUBSCRIBED) \"\" \"*\""), "* LIST (\\Subscribed) \"/\" \"" + box + "\"\r\n"));
  CHECK(has(run(bob, "u4 LIST \"\" \"shared/*\" RETURN (SUBSCRIBED)"),
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"" + box + "\"\r\n"));
  CHECK(has(run(bob, "u5 SUBSCRIBE shared/alice@home.test/Trash"), "u5 NO [NONEXISTENT]"));
  // Bob's \Seen is his own: the owner's copy was never marked.
  run(alice, "as SELECT INBOX");
  CHECK(has(run(alice, "af FETCH 1 (FLAGS)"), "FLAGS ()"));
}

TEST_CASE("lr opens read-only; lrswipte works in the mailbox, charged to the owner") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto bob = f.as("bob@home.test");
  run(alice, append_cmd("a1", "INBOX", simple));
  run(alice, "g1 SETACL INBOX bob@home.test lr");
  CHECK(has(run(bob, "s1 EXAMINE " + box), "s1 OK [READ-ONLY]"));
  CHECK(has(run(bob, "s2 SELECT " + box), "s2 OK [READ-ONLY]"));
  run(bob, "u UNSELECT");
  CHECK(has(run(alice, "g2 SETACL INBOX bob@home.test +swipte"), "g2 OK"));
  CHECK(has(run(alice, "g3 GETACL INBOX"), "\"bob@home.test\" lrswipte"));
  const auto before_alice = f.store->usage("alice@home.test").value().used_bytes;
  const auto before_bob = f.store->usage("bob@home.test").value().used_bytes;
  CHECK(has(run(bob, append_cmd("a2", box, simple)), "a2 OK [APPENDUID"));
  CHECK(f.store->usage("alice@home.test").value().used_bytes == before_alice + simple.size());
  CHECK(f.store->usage("bob@home.test").value().used_bytes == before_bob);
  CHECK(has(run(bob, "s3 SELECT " + box), "* 2 EXISTS"));
  CHECK(has(run(bob, "f1 STORE 2 +FLAGS (\\Flagged \\Deleted)"), "FLAGS (\\Flagged \\Deleted"));
  CHECK(has(run(bob, "e1 EXPUNGE"), "* 2 EXPUNGE"));
  // MOVE to bob's own INBOX takes it out of alice's: a copy charged to bob, then an expunge.
  auto mv = run(bob, "m1 MOVE 1 INBOX");
  CHECK(has(mv, "* 1 EXPUNGE"));
  CHECK(has(mv, "m1 OK"));
  CHECK(f.store->status("alice@home.test", "INBOX").value().messages == 0);
  CHECK(f.store->status("bob@home.test", "INBOX").value().messages == 1);
  // And back from bob's INBOX into the shared one.
  run(bob, "s4 SELECT INBOX");
  CHECK(has(run(bob, "c1 COPY 1 " + box), "c1 OK [COPYUID"));
  CHECK(f.store->status("alice@home.test", "INBOX").value().messages == 1);
  // Revoked: gone again.
  CHECK(has(run(alice, "d1 DELETEACL INBOX bob@home.test"), "d1 OK"));
  CHECK(has(run(bob, "s5 SELECT " + box), "s5 NO [NONEXISTENT]"));
}

TEST_CASE("a grant goes with its mailbox") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto bob = f.as("bob@home.test");
  run(alice, "c1 CREATE Invoices");
  CHECK(has(run(alice, "g1 SETACL Invoices bob@home.test lr"), "g1 OK"));
  CHECK(has(run(bob, "s1 STATUS shared/alice@home.test/Invoices (MESSAGES)"), "s1 OK"));
  run(alice, "r1 RENAME Invoices Bills");
  CHECK(has(run(bob, "s2 STATUS shared/alice@home.test/Bills (MESSAGES)"), "s2 OK"));
  CHECK(has(run(bob, "s3 STATUS shared/alice@home.test/Invoices (MESSAGES)"), "s3 NO [NONEXISTENT]"));
  run(alice, "d1 DELETE Bills");
  run(alice, "c2 CREATE Bills");
  CHECK(has(run(bob, "s4 STATUS shared/alice@home.test/Bills (MESSAGES)"), "s4 NO [NONEXISTENT]"));
}

TEST_CASE("another session sees a rename, a delete and an ACL change at its next command") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto other = f.as("alice@home.test");  // the same user on a second device
  auto bob = f.as("bob@home.test");
  run(alice, "c1 CREATE Work");
  run(alice, append_cmd("a1", "Work", simple));
  // The other session reads the mailbox first, so that anything it may keep is warm.
  CHECK(has(run(other, "s1 SELECT Work"), "1 EXISTS"));
  CHECK(has(run(other, "s2 STATUS Work (MESSAGES)"), "(MESSAGES 1)"));
  CHECK(has(run(other, "s3 LIST \"\" \"*\""), "\"Work\""));
  run(alice, "r1 RENAME Work Done");
  CHECK(has(run(other, "s4 STATUS Work (MESSAGES)"), "s4 NO [NONEXISTENT]"));
  auto list = run(other, "s5 LIST \"\" \"*\"");
  CHECK(has(list, "\"Done\""));
  CHECK_FALSE(has(list, "\"Work\""));
  CHECK(has(run(other, "s6 SELECT Done"), "1 EXISTS"));
  run(alice, "d1 DELETE Done");
  CHECK(has(run(other, "s7 SELECT Done"), "s7 NO [NONEXISTENT]"));
  CHECK_FALSE(has(run(other, "s8 LIST \"\" \"*\""), "\"Done\""));
  // Grants: seen by the sharee's next LIST and SELECT, and gone as soon as they are taken back.
  run(alice, "c2 CREATE Team");
  CHECK_FALSE(has(run(bob, "b1 LIST \"\" \"*\""), "shared/alice@home.test/Team"));
  CHECK(has(run(alice, "g1 SETACL Team bob@home.test lr"), "g1 OK"));
  CHECK(has(run(bob, "b2 LIST \"\" \"*\""), "shared/alice@home.test/Team"));
  CHECK(has(run(bob, "b3 SELECT shared/alice@home.test/Team"), "b3 OK"));
  CHECK(has(run(alice, "g2 DELETEACL Team bob@home.test"), "g2 OK"));
  CHECK_FALSE(has(run(bob, "b4 LIST \"\" \"*\""), "shared/alice@home.test/Team"));
  CHECK(has(run(bob, "b5 STATUS shared/alice@home.test/Team (MESSAGES)"), "b5 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "b6 SELECT shared/alice@home.test/Team"), "b6 NO [NONEXISTENT]"));
}

TEST_CASE("SETACL checks its arguments") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  // RFC 4314 §3.1: an unknown right is BAD.
  CHECK(has(run(alice, "g1 SETACL INBOX bob@home.test lrz"), "g1 BAD"));
  CHECK(has(run(alice, "g2 SETACL INBOX nobody lr"), "g2 BAD"));
  CHECK(has(run(alice, "g3 SETACL INBOX alice@home.test lr"), "g3 NO [CANNOT]"));
  CHECK(has(run(alice, "g4 SETACL INBOX -bob@home.test lr"), "g4 NO [CANNOT]"));
  CHECK(has(run(alice, "g5 SETACL Nowhere bob@home.test lr"), "g5 NO [NONEXISTENT]"));
  // RFC 4314 §3.4: LISTRIGHTS: nothing always granted, every right grantable on its own.
  auto listrights = run(alice, "l1 LISTRIGHTS INBOX bob@home.test");
  CAPTURE(listrights);
  CHECK(has(listrights,
            "* LISTRIGHTS INBOX \"bob@home.test\" \"\" l r s w i p k x t e a\r\n"));
  // "anyone" reaches every user.
  CHECK(has(run(alice, "g6 SETACL INBOX anyone lr"), "g6 OK"));
  auto carol = f.as("carol@home.test");
  CHECK(has(run(carol, "m1 MYRIGHTS " + box), "* MYRIGHTS \"" + box + "\" lr\r\n"));
}

TEST_CASE("a sharee creates (k on the parent), renames and deletes (x) in the owner's namespace") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto bob = f.as("bob@home.test");
  const std::string home = "shared/alice@home.test/";
  run(alice, "c1 CREATE Family");
  run(alice, "c2 CREATE Private");
  CHECK(has(run(alice, "g1 SETACL Family bob@home.test lr"), "g1 OK"));
  // RFC 4314 §4: CREATE needs "k" on the parent; without it, NOPERM.
  CHECK(has(run(bob, "b1 CREATE " + home + "Family/Trips"), "b1 NO [NOPERM]"));
  // A parent bob may not see stays hidden; the top of alice's namespace has no parent at all.
  CHECK(has(run(bob, "b2 CREATE " + home + "Private/Trips"), "b2 NO [NONEXISTENT]"));
  CHECK(has(run(bob, "b3 CREATE " + home + "Trips"), "b3 NO [NOPERM]"));
  CHECK_FALSE(f.store->status("alice@home.test", "Family/Trips").has_value());

  CHECK(has(run(alice, "g2 SETACL Family bob@home.test lrswipk"), "g2 OK"));
  CHECK(has(run(bob, "b4 CREATE " + home + "Family/Trips/"), "b4 OK [MAILBOXID"));
  CHECK(f.store->status("alice@home.test", "Family/Trips").has_value());
  CHECK_FALSE(f.store->status("bob@home.test", "Family/Trips").has_value());
  // The new mailbox starts with its parent's grants: bob sees what he made.
  CHECK(has(run(alice, "g3 GETACL Family/Trips"), "\"bob@home.test\" lrswipk"));
  CHECK(has(run(bob, "l1 LIST \"\" \"" + home + "*\""), "\"" + home + "Family/Trips\""));
  // Its messages count against alice's quota.
  const auto before_alice = f.store->usage("alice@home.test").value().used_bytes;
  CHECK(has(run(bob, append_cmd("a1", home + "Family/Trips", simple)), "a1 OK [APPENDUID"));
  CHECK(f.store->usage("alice@home.test").value().used_bytes == before_alice + simple.size());
  CHECK(f.store->usage("bob@home.test").value().used_bytes == 0);

  // RFC 4314 §4: RENAME needs "x" on the old name and "k" on the new parent; DELETE "x".
  CHECK(has(run(bob, "r1 RENAME " + home + "Family/Trips " + home + "Family/Travel"), "r1 NO [NOPERM]"));
  CHECK(has(run(bob, "d1 DELETE " + home + "Family/Trips"), "d1 NO [NOPERM]"));
  CHECK(has(run(alice, "g4 SETACL Family/Trips bob@home.test +x"), "g4 OK"));
  CHECK(has(run(alice, "g5 SETACL Family/Trips carol@home.test lr"), "g5 OK"));
  CHECK(has(run(bob, "r2 RENAME " + home + "Family/Trips " + home + "Travel"), "r2 NO [NOPERM]"));
  CHECK(has(run(bob, "r3 RENAME " + home + "Family/Trips Trips"), "r3 NO [CANNOT]"));
  CHECK(has(run(bob, "r4 RENAME " + home + "Family/Trips " + home + "Family/Travel"), "r4 OK"));
  CHECK(f.store->status("alice@home.test", "Family/Travel").value().messages == 1);
  CHECK_FALSE(f.store->status("alice@home.test", "Family/Trips").has_value());
  // The grants followed the rename, for bob and for carol.
  auto carol = f.as("carol@home.test");
  CHECK(has(run(carol, "s1 STATUS " + home + "Family/Travel (MESSAGES)"), "(MESSAGES 1)"));
  CHECK(has(run(carol, "s2 STATUS " + home + "Family/Trips (MESSAGES)"), "s2 NO [NONEXISTENT]"));
  CHECK(has(run(carol, "d2 DELETE " + home + "Family/Travel"), "d2 NO [NOPERM]"));

  CHECK(has(run(bob, "d3 DELETE " + home + "Family/Travel"), "d3 OK"));
  CHECK_FALSE(f.store->status("alice@home.test", "Family/Travel").has_value());
  // The grants went with it: a new mailbox of that name is not shared with carol.
  CHECK(has(run(alice, "c3 CREATE Other"), "c3 OK"));
  CHECK(has(run(alice, "r5 RENAME Other Family/Travel"), "r5 OK"));
  CHECK(f.acl->of_mailbox("alice@home.test", "Family/Travel").value().empty());
  CHECK(has(run(carol, "s3 STATUS " + home + "Family/Travel (MESSAGES)"), "s3 NO [NONEXISTENT]"));
}

TEST_CASE("each user's \\Seen on a shared mailbox is their own") {
  shared_fixture f;
  auto alice = f.as("alice@home.test");
  auto bob = f.as("bob@home.test");
  auto bob2 = f.as("bob@home.test");
  const std::string seen_one = "f1 APPEND INBOX (\\Seen) {" + std::to_string(simple.size()) + "+}\r\n" + simple;
  CHECK(has(run(alice, seen_one), "f1 OK"));
  CHECK(has(run(alice, append_cmd("f2", "INBOX", simple)), "f2 OK"));
  CHECK(has(run(alice, "g1 SETACL INBOX bob@home.test lrswipte"), "g1 OK"));
  for (auto* st : {&alice, &bob, &bob2}) run(*st, "e1 ENABLE IMAP4rev2");  // no \Recent
  run(alice, "as SELECT INBOX");
  auto sel = run(bob, "s1 SELECT " + box + " (CONDSTORE)");
  const auto at = sel.find("HIGHESTMODSEQ ");
  REQUIRE(at != std::string::npos);
  const auto hms = std::stoull(sel.substr(at + 14));
  run(bob2, "s2 SELECT " + box);

  // Alice's \Seen is not bob's.
  CHECK(has(run(bob, "b1 FETCH 1 (FLAGS)"), "* 1 FETCH (FLAGS ())"));
  CHECK(has(run(bob, "b2 STATUS " + box + " (UNSEEN)"), "(UNSEEN 2)"));
  CHECK(has(run(bob, "b3 LIST \"\" \"shared/*\" RETURN (STATUS (UNSEEN))"), "(UNSEEN 2)"));
  // Bob reads message 2: his \Seen, not alice's.
  CHECK(has(run(bob, "b4 FETCH 2 (BODY[])"), "FLAGS (\\Seen)"));
  CHECK(has(run(bob, "b5 FETCH 2 (FLAGS)"), "* 2 FETCH (FLAGS (\\Seen))"));
  auto a1 = run(alice, "a1 FETCH 1:2 (FLAGS)");
  CHECK(has(a1, "* 1 FETCH (FLAGS (\\Seen))"));
  CHECK(has(a1, "* 2 FETCH (FLAGS ())"));
  CHECK(has(run(alice, "a2 STATUS INBOX (UNSEEN)"), "(UNSEEN 1)"));
  CHECK(has(run(bob, "b6 STATUS " + box + " (UNSEEN)"), "(UNSEEN 1)"));
  CHECK(has(run(bob, "b7 SEARCH SEEN"), "* ESEARCH (TAG \"b7\") ALL 2\r\n"));
  CHECK(has(run(bob, "b8 SEARCH UNSEEN"), "* ESEARCH (TAG \"b8\") ALL 1\r\n"));
  CHECK(has(run(alice, "a3 SEARCH SEEN"), "* ESEARCH (TAG \"a3\") ALL 1\r\n"));
  // CONDSTORE: bob's change has a modseq of its own, above the one he selected at.
  auto changed = run(bob, "b9 FETCH 1:* (FLAGS) (CHANGEDSINCE " + std::to_string(hms) + ")");
  CAPTURE(changed);
  CHECK(has(changed, "* 2 FETCH (FLAGS (\\Seen) MODSEQ ("));
  CHECK_FALSE(has(changed, "* 1 FETCH"));
  // Bob's other session hears of it; alice's does not see a flag change.
  CHECK(has(run(bob2, "n1 NOOP"), "* 2 FETCH (UID 2 FLAGS (\\Seen))"));
  CHECK_FALSE(has(run(alice, "n2 NOOP"), "FETCH"));

  // FLAGS replaces bob's flags and the others, and leaves alice's \Seen alone.
  CHECK(has(run(bob, "c1 STORE 1 FLAGS (\\Seen \\Flagged)"), "* 1 FETCH (FLAGS (\\Seen \\Flagged) MODSEQ ("));
  CHECK(has(run(bob, "c2 STORE 2 FLAGS (\\Answered)"), "* 2 FETCH (FLAGS (\\Answered) MODSEQ ("));
  auto a4 = run(alice, "a4 FETCH 1:2 (FLAGS)");
  CHECK(has(a4, "* 1 FETCH (FLAGS (\\Seen \\Flagged))"));
  CHECK(has(a4, "* 2 FETCH (FLAGS (\\Answered))"));
  CHECK(has(run(alice, "a5 STORE 1 -FLAGS (\\Seen)"), "a5 OK"));
  CHECK(has(run(bob, "c3 FETCH 1 (FLAGS)"), "* 1 FETCH (FLAGS (\\Seen \\Flagged))"));
  // UNCHANGEDSINCE compares with the modseq bob sees.
  CHECK(has(run(bob, "c4 STORE 1 (UNCHANGEDSINCE " + std::to_string(hms) + ") -FLAGS (\\Seen)"), "c4 OK [MODIFIED 1]"));

  // An APPEND or COPY by bob carries his \Seen: on the shared copy his own, on his own copy the message's.
  const std::string bob_seen = "c5 APPEND " + box + " (\\Seen) {" + std::to_string(simple.size()) + "+}\r\n" + simple;
  CHECK(has(run(bob, bob_seen), "c5 OK [APPENDUID"));
  CHECK(has(run(bob, "c6 FETCH 3 (FLAGS)"), "* 3 FETCH (FLAGS (\\Seen))"));
  run(alice, "n3 NOOP");
  CHECK(has(run(alice, "a6 FETCH 3 (FLAGS)"), "* 3 FETCH (FLAGS ())"));
  CHECK(has(run(bob, "c7 COPY 1 INBOX"), "c7 OK [COPYUID"));
  CHECK(f.store->fetch("bob@home.test", "INBOX", {{1, mail::uid_max}}).value().at(0).flags ==
        std::vector<std::string>{"\\Seen", "\\Flagged"});

  // An expunged message takes bob's state with it.
  CHECK(has(run(alice, "a7 STORE 1 +FLAGS (\\Deleted)"), "a7 OK"));
  CHECK(has(run(alice, "a8 EXPUNGE"), "a8 OK"));
  CHECK(f.seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 1);
  CHECK(has(run(bob2, "b10 STATUS " + box + " (MESSAGES UNSEEN)"), "(MESSAGES 2 UNSEEN 1)"));

  // Taking 'r' away (SETACL without it, then DELETEACL) drops bob's state: granted again, he
  // starts with nothing seen, as a new sharee does.
  CHECK(has(run(alice, "a9 SETACL INBOX bob@home.test lrs"), "a9 OK"));
  CHECK(f.seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 1);
  CHECK(has(run(alice, "a10 SETACL INBOX bob@home.test -r"), "a10 OK"));
  CHECK(f.seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 0);
  CHECK(has(run(alice, "a11 SETACL INBOX bob@home.test +r"), "a11 OK"));
  CHECK(has(run(bob2, "b11 STATUS " + box + " (MESSAGES UNSEEN)"), "(MESSAGES 2 UNSEEN 2)"));
  CHECK(has(run(bob2, "b12 STORE 1:2 +FLAGS (\\Seen)"), "b12 OK"));
  CHECK(f.seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 2);
  CHECK(has(run(alice, "a12 DELETEACL INBOX bob@home.test"), "a12 OK"));
  CHECK(f.seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 0);
}
