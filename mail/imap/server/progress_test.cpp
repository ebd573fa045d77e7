// RFC 9585 INPROGRESS notes from SEARCH, SORT, THREAD and FETCH over a real store: the notes a
// handler pushes while it runs, with the tag quoted, the messages done and the goal.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mail/imap/server/commands_test_util.hpp"
#include "mail/imap/server/progress.hpp"

using namespace hearth;
using namespace hearth::mail::imap;
using namespace hearth::mail::imap::test;

namespace {

struct progress_box {
  fixture f;
  session_state st;
  std::vector<std::string> notes;

  explicit progress_box(int messages) {
    // Checked every 5 messages; no minimum interval, so every check sends a note.
    f.env.progress_step = 5;
    f.env.progress_interval = std::chrono::milliseconds(0);
    st = f.login();
    for (int i = 0; i < messages; ++i) run(st, append_cmd("a" + std::to_string(i), "INBOX", simple));
    run(st, "s SELECT INBOX");
    st.push = [this](std::string_view line) { notes.emplace_back(line); };
  }
};

}  // namespace

TEST_CASE("INPROGRESS note format (RFC 9585 §5)") {
  CHECK(progress_meter::note("A001", 500, 3000) == "* OK [INPROGRESS (\"A001\" 500 3000)] Still working\r\n");
}

TEST_CASE("CAPABILITY announces INPROGRESS (RFC 9585 §3)") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CAPABILITY").find(" INPROGRESS") != std::string::npos);
}

TEST_CASE("SEARCH, SORT, THREAD and FETCH send INPROGRESS notes before their reply") {
  progress_box b(12);
  const std::vector<std::string> want{"* OK [INPROGRESS (\"t1\" 5 12)] Still working\r\n",
                                      "* OK [INPROGRESS (\"t1\" 10 12)] Still working\r\n"};
  for (const char* cmd : {"t1 SEARCH ALL", "t1 UID SEARCH SUBJECT hello", "t1 SORT (SUBJECT) UTF-8 ALL",
                          "t1 THREAD REFERENCES UTF-8 ALL", "t1 FETCH 1:* (FLAGS)", "t1 UID FETCH 1:* (ENVELOPE)"}) {
    INFO(cmd);
    b.notes.clear();
    auto out = run(b.st, cmd);
    CHECK(out.find("t1 OK") != std::string::npos);
    CHECK(b.notes == want);
  }
}

TEST_CASE("INPROGRESS goal is the number of messages the FETCH looks at") {
  progress_box b(12);
  run(b.st, "t2 FETCH 1:7 (FLAGS)");
  CHECK(b.notes == std::vector<std::string>{"* OK [INPROGRESS (\"t2\" 5 7)] Still working\r\n"});
}

TEST_CASE("no INPROGRESS note before the interval has passed, nor for small mailboxes") {
  {
    progress_box b(12);
    b.f.env.progress_interval = std::chrono::hours(1);
    run(b.st, "t3 SEARCH ALL");
    CHECK(b.notes.empty());
  }
  {
    progress_box b(4);  // below one step
    run(b.st, "t4 SEARCH ALL");
    CHECK(b.notes.empty());
  }
}
