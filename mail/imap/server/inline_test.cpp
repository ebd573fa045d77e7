// Which commands take the session's long path (INPROGRESS notes, never inline) in a mailbox
// bigger than the progress step: only those that walk that many messages.
#include "mail/imap/server/inline.hpp"

#include <catch2/catch.hpp>

#include "core/sql/write_guard.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/server/commands_test_util.hpp"

using namespace hearth;
using namespace hearth::mail::imap;

namespace {

command parsed(const std::string& line) {
  auto p = parse_command(line + "\r\n");
  REQUIRE(p.cmd.has_value());
  return *p.cmd;
}

// A logged-in session with a progress step of 500; select_big_inbox() selects an INBOX of
// 2 000 messages (uids 2, 4, ... 4000).
struct logged_in {
  server_env env;
  session_state st;
  logged_in() {
    env.progress_step = 500;
    st.env = &env;
    st.ph = phase::authenticated;
  }
};

void select_big_inbox(session_state& st) {
  selected_mailbox sel;
  sel.name = "INBOX";
  sel.owner = "alice@home.test";
  for (std::uint32_t u = 1; u <= 2000; ++u) {
    sel.uids.push_back(u * 2);
    sel.modseqs.push_back(1);
  }
  st.sel = sel;
  st.ph = phase::selected;
}

}  // namespace

TEST_CASE("only commands walking more messages than the progress step take the long path") {
  logged_in l;
  auto& env = l.env;
  auto& st = l.st;
  CHECK_FALSE(may_take_long(st, parsed("a SEARCH ALL")));  // nothing selected
  select_big_inbox(st);

  // A page of headers or one body in a 2 000-message mailbox: short.
  CHECK_FALSE(may_take_long(st, parsed("a FETCH 1:50 (UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])")));
  CHECK_FALSE(may_take_long(st, parsed("a FETCH 1234 (BODYSTRUCTURE BODY.PEEK[])")));
  CHECK_FALSE(may_take_long(st, parsed("a UID FETCH 1:1000 (FLAGS)")));   // uids 2..1000: 500 messages
  CHECK(may_take_long(st, parsed("a UID FETCH 1:1002 (FLAGS)")));         // 501
  CHECK(may_take_long(st, parsed("a FETCH 1:* (FLAGS)")));
  CHECK(may_take_long(st, parsed("a FETCH 1:501 (FLAGS)")));
  // SEARCH, SORT and THREAD walk the whole view.
  CHECK(may_take_long(st, parsed("a UID SEARCH UNSEEN")));
  CHECK(may_take_long(st, parsed("a SEARCH TEXT hello")));
  CHECK(may_take_long(st, parsed("a SORT (DATE) UTF-8 ALL")));
  CHECK(may_take_long(st, parsed("a THREAD REFERENCES UTF-8 ALL")));
  // Commands that send no notes never do.
  CHECK_FALSE(may_take_long(st, parsed("a STORE 1:* +FLAGS (\\Seen)")));
  CHECK_FALSE(may_take_long(st, parsed("a NOOP")));
  CHECK_FALSE(may_take_long(st, parsed("a STATUS INBOX (MESSAGES)")));
  CHECK_FALSE(may_take_long(st, parsed("a SELECT INBOX")));

  // A small mailbox: nothing is long; no step: nothing is long.
  st.sel->uids.resize(400);
  st.sel->modseqs.resize(400);
  CHECK_FALSE(may_take_long(st, parsed("a SEARCH TEXT hello")));
  CHECK_FALSE(may_take_long(st, parsed("a FETCH 1:* (FLAGS)")));
  env.progress_step = 0;
  st.sel->uids.resize(2000, 9999);
  CHECK_FALSE(may_take_long(st, parsed("a FETCH 1:* (FLAGS)")));
}

TEST_CASE("a SEARCH of flags and cached header fields runs inline in a big mailbox; others do not") {
  logged_in l;
  auto& st = l.st;
  CHECK_FALSE(inline_search(st, parsed("a UID SEARCH UNSEEN")));  // nothing selected
  select_big_inbox(st);
  CHECK(inline_search(st, parsed("a UID SEARCH UNSEEN")));
  CHECK(inline_search(st, parsed("a SEARCH SUBJECT invoice")));
  CHECK(inline_search(st, parsed("a UID SEARCH OR FROM bob NOT SEEN SENTSINCE 1-Jan-2026")));
  // The message text, a header's raw section, dates of the row: not from the index.
  CHECK_FALSE(inline_search(st, parsed("a SEARCH TEXT hello")));
  CHECK_FALSE(inline_search(st, parsed("a SEARCH BODY hello")));
  CHECK_FALSE(inline_search(st, parsed("a SEARCH HEADER X-Spam yes")));
  CHECK_FALSE(inline_search(st, parsed("a SEARCH LARGER 100")));
  CHECK_FALSE(inline_search(st, parsed("a SORT (DATE) UTF-8 SUBJECT invoice")));
  CHECK_FALSE(inline_search(st, parsed("a FETCH 1:* (FLAGS)")));
  // NOTIFY adds reports of every watched mailbox to each reply (may_run_inline).
  st.notify.emplace();
  CHECK_FALSE(inline_search(st, parsed("a UID SEARCH UNSEEN")));
}

TEST_CASE("a FETCH of a few small messages' bytes runs inline; a big one goes back to the pool") {
  test::fixture f;
  auto st = f.login();
  const std::string big = "Subject: big\r\n\r\n" + std::string(inline_blob_bytes, 'x') + "\r\n";
  CHECK(test::run(st, test::append_cmd("a1", "INBOX", test::simple)).find("a1 OK") != std::string::npos);
  CHECK(test::run(st, test::append_cmd("a2", "INBOX", big)).find("a2 OK") != std::string::npos);
  test::run(st, "s1 SELECT INBOX");
  REQUIRE(st.selected());

  CHECK(may_run_inline(st, parsed("f FETCH 1 (BODYSTRUCTURE BODY.PEEK[])")));
  CHECK(may_run_inline(st, parsed("f UID FETCH 1:2,7,9 (RFC822)")));
  CHECK_FALSE(may_run_inline(st, parsed("f FETCH 1:5 (BODY.PEEK[])")));
  CHECK_FALSE(may_run_inline(st, parsed("f FETCH 1:* (BODY.PEEK[])")));
  CHECK_FALSE(may_run_inline(st, parsed("f FETCH $ (BODY.PEEK[])")));
  CHECK(may_run_inline(st, parsed("f IDLE")));

  {
    sql::no_write_scope guard;
    auto out = test::run(st, "f1 FETCH 1 (BODY.PEEK[])");
    CHECK_FALSE(guard.write_attempted());
    CHECK(out.find("f1 OK") != std::string::npos);
    CHECK(out.find("Subject: ") != std::string::npos);
  }
  {
    sql::no_write_scope guard;
    (void)test::run(st, "f2 FETCH 2 (BODY.PEEK[])");
    CHECK(guard.write_attempted());  // the session drops this attempt and runs it on the pool
  }
  {
    // The session's own mode, which lets quick writes through: the big read is refused alike.
    sql::no_write_scope guard(sql::no_write_scope::mode::quick_writes);
    (void)test::run(st, "f4 FETCH 2 (BODY.PEEK[])");
    CHECK(guard.write_attempted());
  }
  auto out = test::run(st, "f3 FETCH 2 (BODY.PEEK[])");  // outside a scope: read as ever
  CHECK(out.find("f3 OK") != std::string::npos);
  CHECK(out.find(std::string(1000, 'x')) != std::string::npos);
}
