// RFC 5465 NOTIFY: the command's checks and the reports of other sessions' changes, against a
// real store in a temporary folder. Two sessions of one account: `me` asks, `other` changes.
#include <catch2/catch.hpp>

#include "mail/imap/server/commands_test_util.hpp"
#include "mail/imap/server/notify.hpp"

using namespace hearth;
using namespace hearth::mail::imap;
using namespace hearth::mail::imap::test;

namespace {

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

// What the session would send unsolicited now (between commands).
std::string pushed(session_state& st) {
  reply r;
  notify_updates(st, r, true, true);
  return r.out;
}

std::string uidvalidity(fixture& f, const std::string& box) {
  return std::to_string(f.store->status("alice@home.test", box).value().uidvalidity);
}

}  // namespace

TEST_CASE("NOTIFY parses the RFC 5465 §3.1 examples") {
  auto p = parse_command(
      "a NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) "
      "(subtree Lists (MessageNew MessageExpunge))\r\n");
  REQUIRE(p.cmd.has_value());
  const auto& n = std::get<cmd_notify>(p.cmd->args);
  CHECK(n.status);
  REQUIRE(n.groups.size() == 2);
  CHECK(n.groups[0].filter == "SELECTED");
  CHECK(n.groups[0].events == std::vector<std::string>{"MessageNew", "MessageExpunge"});
  CHECK(n.groups[0].fetch.size() == 2);
  CHECK(n.groups[1].filter == "SUBTREE");
  CHECK(n.groups[1].mailboxes == std::vector<std::string>{"Lists"});
  auto none = parse_command("b NOTIFY NONE\r\n");
  REQUIRE(none.cmd.has_value());
  CHECK(std::get<cmd_notify>(none.cmd->args).none);
  auto many = parse_command("c NOTIFY SET (mailboxes (INBOX Sent) (MessageNew MessageExpunge)) (personal NONE)\r\n");
  REQUIRE(many.cmd.has_value());
  CHECK(std::get<cmd_notify>(many.cmd->args).groups[0].mailboxes.size() == 2);
  CHECK(std::get<cmd_notify>(many.cmd->args).groups[1].events.empty());
  CHECK_FALSE(parse_command("d NOTIFY SET (everything (MessageNew MessageExpunge))\r\n").cmd.has_value());
  CHECK_FALSE(parse_command("e NOTIFY SET\r\n").cmd.has_value());
  CHECK_FALSE(parse_command("f NOTIFY SET (personal (MessageNew)\r\n").cmd.has_value());
}

TEST_CASE("NOTIFY refuses the combinations RFC 5465 forbids") {
  fixture f;
  auto me = f.login();
  // §5: "If one of MessageNew or MessageExpunge is specified, then both events MUST be
  // specified. Otherwise, the server MUST respond with the tagged BAD response."
  CHECK(has(run(me, "a NOTIFY SET (personal (MessageNew))"), "a BAD"));
  // §5: FlagChange needs MessageNew and MessageExpunge.
  CHECK(has(run(me, "b NOTIFY SET (personal (FlagChange))"), "b BAD"));
  // §6.1: SELECTED and SELECTED-DELAYED at most once, and with message events only.
  CHECK(has(run(me, "c NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed NONE)"), "c BAD"));
  CHECK(has(run(me, "d NOTIFY SET (selected (MailboxName))"), "d BAD"));
  // §3.1: an unsupported event is NO with BADEVENT naming the supported ones.
  CHECK(has(run(me, "e NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))"),
            "e NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)]"));
  CHECK(has(run(me, "f NOTIFY SET (personal (Whatever))"), "f NO [BADEVENT"));
  CHECK_FALSE(me.notify.has_value());
  CHECK(has(run(me, "g CAPABILITY"), " NOTIFY"));
}

TEST_CASE("NOTIFY SET STATUS reports each watched mailbox before the tagged OK") {
  fixture f;
  auto me = f.login();
  run(me, append_cmd("a", "Drafts", simple));
  auto out = run(me, "n NOTIFY SET STATUS (mailboxes (Drafts Sent) (MessageNew MessageExpunge))");
  CHECK(has(out, "* STATUS \"Drafts\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY " + uidvalidity(f, "Drafts") + " UNSEEN 1)\r\n"));
  CHECK(has(out, "* STATUS \"Sent\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY "));
  CHECK_FALSE(has(out, "\"Trash\""));
  CHECK(out.find("* STATUS") < out.find("n OK NOTIFY completed"));
}

TEST_CASE("NOTIFY reports other sessions' changes to other mailboxes") {
  fixture f;
  auto me = f.login();
  auto other = f.login();
  run(me, "s SELECT INBOX");
  CHECK(has(run(me, "n NOTIFY SET (selected (MessageNew MessageExpunge)) "
                    "(personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))"),
            "n OK"));
  CHECK(pushed(me).empty());
  // §5.2: a new message in another mailbox is a STATUS with MESSAGES and UIDNEXT.
  run(other, append_cmd("a", "Drafts", simple));
  CHECK(pushed(me) ==
        "* STATUS \"Drafts\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY " + uidvalidity(f, "Drafts") + " UNSEEN 1)\r\n");
  CHECK(pushed(me).empty());  // reported once
  // §5.1: a flag change there is a STATUS with HIGHESTMODSEQ.
  run(other, "s SELECT Drafts");
  run(other, "f STORE 1 +FLAGS (\\Seen)");
  const auto hms = std::to_string(f.store->status("alice@home.test", "Drafts").value().highestmodseq);
  CHECK(pushed(me) == "* STATUS \"Drafts\" (UIDVALIDITY " + uidvalidity(f, "Drafts") + " UNSEEN 0 HIGHESTMODSEQ " +
                          hms + ")\r\n");
  // §5.4: MailboxName for create, rename and delete.
  run(other, "c CREATE Projects");
  CHECK(pushed(me) == "* LIST (\\Subscribed) \"/\" \"Projects\"\r\n");
  run(other, "r RENAME Projects Done");
  CHECK(pushed(me) == "* LIST (\\Subscribed) \"/\" \"Done\" (\"OLDNAME\" (\"Projects\"))\r\n");
  run(other, "d DELETE Done");
  CHECK(pushed(me) == "* LIST (\\NonExistent) \"/\" \"Done\"\r\n");
  // §5.5: SubscriptionChange.
  run(other, "u UNSUBSCRIBE Sent");
  CHECK(pushed(me) == "* LIST () \"/\" \"Sent\"\r\n");
  // The selected mailbox: unsolicited EXISTS.
  run(other, append_cmd("b", "INBOX", simple));
  CHECK(has(pushed(me), "* 1 EXISTS\r\n"));
  // NOTIFY NONE: nothing more.
  run(me, "z NOTIFY NONE");
  run(other, append_cmd("c", "Drafts", simple));
  CHECK(pushed(me).empty());
}

TEST_CASE("NOTIFY leaves out what the session did itself, and what it did not ask for") {
  fixture f;
  auto me = f.login();
  auto other = f.login();
  run(me, "n NOTIFY SET (inboxes (MessageNew MessageExpunge))");
  // §5: "The server SHOULD omit notifying the client if the event is caused by this client".
  auto own = run(me, append_cmd("a", "INBOX", simple));
  CHECK_FALSE(has(own, "* STATUS"));
  CHECK(pushed(me).empty());
  // INBOXES watches INBOX only.
  run(other, append_cmd("b", "Drafts", simple));
  CHECK(pushed(me).empty());
  run(other, append_cmd("c", "INBOX", simple));
  auto inbox = pushed(me);
  CAPTURE(inbox);
  CHECK(has(inbox, "* STATUS INBOX (MESSAGES 2 UIDNEXT 3 "));
  // A flag change without FlagChange is not reported.
  run(other, "s SELECT INBOX");
  run(other, "f STORE 1 +FLAGS (\\Flagged)");
  CHECK(pushed(me).empty());
  // Another session's change shows at the end of the next command too.
  run(other, append_cmd("d", "INBOX", simple));
  CHECK(has(run(me, "x NOOP"), "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 "));
}

TEST_CASE("NOTIFY SELECTED: MessageNew's fetch attributes; SELECTED-DELAYED holds expunges back") {
  fixture f;
  auto me = f.login();
  auto other = f.login();
  me.rev2 = true;  // no \Recent in the FETCH
  run(me, "s SELECT INBOX");
  run(me, "n NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge))");
  run(other, append_cmd("a", "INBOX", simple));
  auto out = pushed(me);
  CAPTURE(out);
  // §5.2: "an unsolicited EXISTS response, followed by an unsolicited FETCH response
  // containing the information requested by the client".
  CHECK(has(out, "* 1 EXISTS\r\n* 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {"));
  CHECK(has(out, "Subject: Hello\r\n"));
  // SELECTED: an expunge is sent at once.
  run(other, "s SELECT INBOX");
  run(other, "f STORE 1 +FLAGS (\\Deleted)");
  run(other, "e EXPUNGE");
  CHECK(has(pushed(me), "* 1 EXPUNGE\r\n"));

  auto late = f.login();
  late.rev2 = true;
  run(other, append_cmd("b", "INBOX", simple));
  run(late, "s SELECT INBOX");
  run(late, "n NOTIFY SET (selected-delayed (MessageNew MessageExpunge))");
  run(other, "s SELECT INBOX");
  run(other, "f STORE 1 +FLAGS (\\Deleted)");
  run(other, "e EXPUNGE");
  // §4/§6.1: SELECTED-DELAYED keeps EXPUNGE for a command that allows it.
  CHECK_FALSE(has(pushed(late), "EXPUNGE"));
  CHECK(has(run(late, "x NOOP"), "* 1 EXPUNGE\r\n"));
}

TEST_CASE("NOTIFY MailboxMetadataChange and ServerMetadataChange name the changed entries") {
  fixture f;
  auto me = f.login();
  auto other = f.login();
  // RFC 5465 §5.6/§5.7: required of a server that offers METADATA.
  CHECK(has(run(me, "n NOTIFY SET (mailboxes Drafts (MailboxMetadataChange)) (inboxes (ServerMetadataChange))"),
            "n OK"));
  run(other, "m SETMETADATA Drafts (/private/comment \"drafts\")");
  CHECK(pushed(me) == "* METADATA \"Drafts\" (\"/private/comment\")\r\n");
  run(other, "m SETMETADATA Sent (/private/comment \"sent\")");  // not watched
  CHECK(pushed(me).empty());
  run(other, "m SETMETADATA \"\" (/private/comment \"server\")");
  CHECK(pushed(me) == "* METADATA \"\" (\"/private/comment\")\r\n");
  run(other, "m SETMETADATA Drafts (/private/comment NIL)");  // a removal is a change too
  CHECK(pushed(me) == "* METADATA \"Drafts\" (\"/private/comment\")\r\n");
  // The session's own SETMETADATA is not echoed.
  CHECK_FALSE(has(run(me, "s SETMETADATA Drafts (/private/comment \"mine\")"), "* METADATA"));
  CHECK(pushed(me).empty());
  // Not a message event: refused for the selected mailbox.
  CHECK(has(run(me, "b NOTIFY SET (selected (MailboxMetadataChange))"), "b BAD"));
}

