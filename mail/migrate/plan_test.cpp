#include "mail/migrate/plan.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::migrate;

TEST_CASE("source folders map onto ours", "[migrate]") {
  auto p = plan_folder({"INBOX", '/', {}}, false);
  CHECK(p.r == role::inbox);
  CHECK(p.target == "INBOX");
  p = plan_folder({"[Gmail]/Sent Mail", '/', {}}, false);
  CHECK(p.r == role::sent);
  CHECK(p.target == "Sent");
  CHECK(p.special_use == "\\Sent");
  p = plan_folder({"Gesendet", '/', {"\\HasNoChildren", "\\Sent"}}, false);
  CHECK(p.target == "Sent");
  p = plan_folder({"[Gmail]/Alle Nachrichten", '/', {"\\All"}}, false);
  CHECK(p.r == role::all);
  CHECK(p.target.empty());
  CHECK(plan_folder({"[Gmail]/All Mail", '/', {}}, false).r == role::all);
  CHECK(plan_folder({"[Gmail]/Starred", '/', {}}, false).r == role::skip);
  CHECK(plan_folder({"Starred", '/', {}}, false).r == role::normal);
  CHECK(plan_folder({"[Gmail]", '/', {"\\Noselect"}}, false).r == role::skip);
  CHECK(plan_folder({"Deleted Items", '.', {}}, false).target == "Trash");
  // Hierarchy through the server's delimiter, the personal prefix taken off, UTF-7 decoded.
  p = plan_folder({"INBOX.Projets.&AMk-t&AOk-", '.', {}}, false, "INBOX.");
  CHECK(p.r == role::normal);
  CHECK(p.target == "Projets/\xc3\x89t\xc3\xa9");
  CHECK(plan_folder({"INBOX.Sent", '.', {}}, false, "INBOX.").target == "Sent");
  CHECK(target_name("a/b.c", '.', false) == "a-b/c");
  CHECK(target_name("Caf\xc3\xa9/Men\xc3\xbc", '/', true) == "Caf\xc3\xa9/Men\xc3\xbc");
  CHECK(target_name("..", '.', false).empty());
}

TEST_CASE("Gmail labels file a message once per folder, or as keywords", "[migrate]") {
  auto f = file_gmail({"\\Inbox", "\\Important", "\\Starred", "Work/Clients", "Re&AOc-us"}, label_mode::folders);
  CHECK(f.mailboxes == std::vector<std::string>{"INBOX", "Work/Clients", "Re\xc3\xa7us"});
  CHECK(f.add_flags == std::vector<std::string>{"\\Flagged"});
  f = file_gmail({"\\Important"}, label_mode::folders);
  CHECK(f.mailboxes == std::vector<std::string>{"Archive"});
  f = file_gmail({"\\Sent", "Trips"}, label_mode::folders);
  CHECK(f.mailboxes == std::vector<std::string>{"Sent", "Trips"});
  f = file_gmail({"\\Inbox", "Work/Clients", "My label", "Re&AOc-us"}, label_mode::keywords);
  CHECK(f.mailboxes == std::vector<std::string>{"INBOX"});
  CHECK(f.add_flags == std::vector<std::string>{"Work/Clients", "My_label", "Re&AOc-us"});
  f = file_gmail({"Trips"}, label_mode::keywords);
  CHECK(f.mailboxes == std::vector<std::string>{"Archive"});
  CHECK(label_keyword("a(b)c\"d") == "a_b_c_d");
  CHECK(label_keyword(std::string(300, 'x')).size() == 128);
}

TEST_CASE("flags we keep and the key that finds the same message", "[migrate]") {
  CHECK(keep_flags({"\\seen", "\\Recent", "$Forwarded", "bad(kw", "\\Seen", "\\Draft"}) ==
        std::vector<std::string>{"\\Seen", "$Forwarded", "\\Draft"});
  std::string a = "Message-ID: <1@x>\r\nSubject: a\r\n\r\nbody\r\n";
  std::string b = "Received: by y\r\nSubject: a\r\nMessage-Id:\r\n  <1@x>\r\n\r\nbody\r\n";
  std::string c = "Message-ID: <1@x>\r\n\r\nother body\r\n";
  CHECK(dedup_key(a) == dedup_key(b));
  CHECK(dedup_key(a) != dedup_key(c));
  CHECK(dedup_key("no header at all") != dedup_key("no header at all!"));
  CHECK(dedup_key(a).size() == 64);
}
