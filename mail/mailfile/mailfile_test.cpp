#include "mail/mailfile/mailfile.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::mailfile;

namespace {
std::vector<mbox_splitter::message> split(std::string_view text) {
  mbox_splitter s(1 << 20);
  std::vector<mbox_splitter::message> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    text.remove_prefix(line.size());
    if (auto m = s.line(line)) out.push_back(std::move(*m));
  }
  if (auto m = s.finish()) out.push_back(std::move(*m));
  return out;
}
}  // namespace

TEST_CASE("mbox: messages split at From_ lines after an empty line, quoting undone") {
  auto msgs = split(
      "From a@x Thu Jun 04 18:39:50 +0000 2020\n"
      "Subject: one\n"
      "\n"
      "body\n"
      ">From the start\n"
      ">>From deeper\n"
      "From not a separator (no blank line before)\n"
      "\n"
      "From b@y Sat Jan  3 01:05:34 1996\n"
      "Subject: two\n"
      "\n"
      "last line\n"
      "\n");
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].bytes ==
        "Subject: one\r\n\r\nbody\r\nFrom the start\r\n>From deeper\r\nFrom not a separator (no blank line before)\r\n");
  CHECK(msgs[1].bytes == "Subject: two\r\n\r\nlast line\r\n");
  CHECK(from_line_date(msgs[0].from_line) == 1591295990);
  CHECK(from_line_date(msgs[1].from_line) == 820631134);
}

TEST_CASE("mbox: a body with empty lines keeps them; too big messages are flagged") {
  auto msgs = split("From x Mon Jan  1 00:00:00 2024\nA: b\n\none\n\n\ntwo\n");
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].bytes == "A: b\r\n\r\none\r\n\r\n\r\ntwo\r\n");
  mbox_splitter s(20);
  (void)s.line("From x Mon Jan  1 00:00:00 2024\n");
  (void)s.line("Subject: a rather long subject line\n");
  auto m = s.finish();
  REQUIRE(m);
  CHECK(m->too_big);
  CHECK(m->bytes.empty());
}

TEST_CASE("dates in Date fields and From_ lines") {
  CHECK(parse_date("Thu, 4 Jun 2020 20:39:50 +0200") == 1591295990);
  CHECK(parse_date("4 Jun 2020 18:39:50 GMT") == 1591295990);
  CHECK(parse_date("Mon, 29 Feb 2016 23:59:60 -0000") == 1456790400);
  CHECK_FALSE(parse_date("yesterday"));
  CHECK_FALSE(parse_date(""));
}

TEST_CASE("X-Gmail-Labels place a message") {
  auto p = gmail_labels("Inbox,Opened,Work/Projects,\"Family, close\",Category Updates,Important");
  CHECK(p.mailboxes == std::vector<std::string>{"INBOX", "Work/Projects", "Family, close"});
  CHECK(p.flags == std::vector<std::string>{"\\Seen", "$Important"});
  auto archived = gmail_labels("Archived,Unread");
  CHECK(archived.mailboxes == std::vector<std::string>{"Archive"});
  CHECK(archived.flags.empty());
  auto spam = gmail_labels("Spam,Opened,Starred");
  CHECK(spam.mailboxes == std::vector<std::string>{"Junk"});
  CHECK(spam.flags == std::vector<std::string>{"\\Seen", "\\Flagged"});
  CHECK(gmail_labels("Sent, Trash").mailboxes == std::vector<std::string>{"Sent", "Trash"});
}

TEST_CASE("Maildir flags and keywords") {
  std::vector<std::string> kw = parse_dovecot_keywords("0 $Label1\n1 Work\n3 later\n");
  REQUIRE(kw.size() == 4);
  CHECK(kw[1] == "Work");
  CHECK(kw[2].empty());
  auto f = maildir_flags("1700000000.M1P2.host,S=1234,W=1300:2,FRSab", kw);
  CHECK(f == std::vector<std::string>{"\\Seen", "\\Answered", "\\Flagged", "$Label1", "Work"});
  CHECK(maildir_flags("1700000000.M1P2.host", kw).empty());
  CHECK(maildir_flags("x!2,TP", kw) == std::vector<std::string>{"\\Deleted", "$Forwarded"});
  std::vector<std::string> out_kw;
  auto name = maildir_filename("u1", {"\\Seen", "\\Flagged", "Work", "$Label1"}, out_kw);
  CHECK(name == "u1:2,FSab");
  CHECK(out_kw == std::vector<std::string>{"Work", "$Label1"});
  CHECK(maildir_flags(name, out_kw) == std::vector<std::string>{"\\Seen", "\\Flagged", "Work", "$Label1"});
  CHECK(parse_dovecot_keywords(format_dovecot_keywords(out_kw)) == out_kw);
}

TEST_CASE("Maildir folder names") {
  CHECK(maildirpp_folder(".Work.Projects") == "Work/Projects");
  CHECK(maildirpp_folder(".Entw&APw-rfe") == "Entwürfe");
  CHECK_FALSE(maildirpp_folder("cur"));
  CHECK_FALSE(maildirpp_folder(".."));
  CHECK(maildirpp_dirname("Work/v1.2") == ".Work.v1\\2e2");
  CHECK(maildirpp_folder(maildirpp_dirname("Work/v1.2")) == "Work/v1.2");
  CHECK(maildirpp_folder(maildirpp_dirname("Entwürfe/日本")) == "Entwürfe/日本");
  CHECK(fs_layout_folder("Work/Entw&APw-rfe") == "Work/Entwürfe");
  CHECK(special_folder("Sent Items") == "Sent");
  CHECK(special_folder("spam") == "Junk");
  CHECK(special_folder("inbox") == "INBOX");
  CHECK(special_folder("Work") == "Work");
}
