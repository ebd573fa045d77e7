#include "mail/imap/proto/reader.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace hearth::mail::imap;
using namespace std::string_view_literals;

namespace {

// Feeds `input` in chunks of `chunk` bytes and collects every event that is not need_more.
std::vector<event> run(command_reader& r, std::string_view input, std::size_t chunk) {
  std::vector<event> out;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    r.feed(input.substr(i, chunk));
    for (int guard = 0; guard < 100; ++guard) {
      auto e = r.next();
      if (e.kind == event_kind::need_more) break;
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("literals split across feeds at every byte", "[imap]") {
  const std::string_view input =
      "a1 LOGIN {3}\r\njoe {4+}\r\np\r\nw\r\n"
      "a2 APPEND Drafts (\\Draft) {11}\r\nHello\r\nBody ~{3}\r\nx\0y\r\n"
      "a3 NOOP\n"
      "\r\n"sv;
  const std::string with_nul(input);
  for (std::size_t chunk = 1; chunk <= with_nul.size(); ++chunk) {
    INFO("chunk " << chunk);
    command_reader r;
    auto ev = run(r, with_nul, chunk);
    REQUIRE(ev.size() == 6);
    CHECK(ev[0].kind == event_kind::send_continuation);
    REQUIRE(ev[1].kind == event_kind::command);
    auto l = std::get<cmd_login>(ev[1].cmd.args);
    CHECK(l.user == "joe");
    CHECK(l.password == "p\r\nw");
    CHECK(ev[2].kind == event_kind::send_continuation);
    CHECK(ev[3].kind == event_kind::send_continuation);  // ~{3} is synchronizing too
    REQUIRE(ev[4].kind == event_kind::command);
    auto a = std::get<cmd_append>(ev[4].cmd.args);
    REQUIRE(a.messages.size() == 2);
    CHECK(a.messages[0].data == "Hello\r\nBody");
    CHECK(a.messages[1].data == std::string("x\0y", 3));
    REQUIRE(ev[5].kind == event_kind::command);
    CHECK(ev[5].cmd.tag == "a3");
    CHECK(r.buffered() == 0);
  }
}

TEST_CASE("APPEND UTF8 (~{n+}) frames like any APPEND literal, with its limit", "[imap]") {
  // Thunderbird's Sent copy after ENABLE UTF8=ACCEPT, split at every byte.
  const std::string input = "t1 APPEND \"Sent\" (\\Seen) UTF8 (~{5+}\r\n\xc3\xa9t\xc3\xa9)\r\nt2 NOOP\r\n";
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    INFO("chunk " << chunk);
    command_reader r;
    r.options().utf8_accept = true;
    auto ev = run(r, input, chunk);
    REQUIRE(ev.size() == 2);
    REQUIRE(ev[0].kind == event_kind::command);
    auto a = std::get<cmd_append>(ev[0].cmd.args);
    REQUIRE(a.messages.size() == 1);
    CHECK(a.messages[0].utf8);
    CHECK(a.messages[0].data == "\xc3\xa9t\xc3\xa9");
    CHECK(ev[1].cmd.tag == "t2");
  }
  // The APPEND limit applies, and the skipped literal leaves the next command intact.
  reader_limits small;
  small.max_literal = 4;
  command_reader r(small);
  r.options().utf8_accept = true;
  auto ev = run(r, input, 1000);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].kind == event_kind::error);
  CHECK(ev[0].err.code == "imap.literal_too_big");
  CHECK(ev[0].tag == "t1");
  CHECK(ev[1].cmd.tag == "t2");
}

TEST_CASE("non-synchronizing literal needs no continuation", "[imap]") {
  command_reader r;
  auto ev = run(r, "a CREATE {3+}\r\nabc\r\n", 1000);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == event_kind::command);
  CHECK(std::get<cmd_mailbox>(ev[0].cmd.args).mailbox == "abc");
}

TEST_CASE("literal over the limit is rejected before it is read", "[imap]") {
  reader_limits lim;
  lim.max_literal = 100;
  lim.max_other_literal = 10;
  SECTION("synchronizing: no continuation, tagged error, next command fine") {
    command_reader r(lim);
    auto ev = run(r, "a1 APPEND x {101}\r\na2 NOOP\r\n", 3);
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].kind == event_kind::error);
    CHECK(ev[0].tag == "a1");
    CHECK(ev[0].err.code == "imap.literal_too_big");
    CHECK(ev[1].kind == event_kind::command);
    CHECK(ev[1].cmd.tag == "a2");
  }
  SECTION("non-synchronizing: skipped without buffering, rest of the command too") {
    command_reader r(lim);
    r.feed("a1 LOGIN {11+}\r\n");
    auto e = r.next();
    CHECK(e.kind == event_kind::error);
    CHECK(e.tag == "a1");
    CHECK(e.err.code == "imap.literal_too_big");
    r.feed("0123456789");
    CHECK(r.next().kind == event_kind::need_more);
    CHECK(r.buffered() == 0);
    auto ev = run(r, "X more {2+}\r\nzz tail\r\na2 NOOP\r\n", 1);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].cmd.tag == "a2");
  }
  SECTION("APPEND gets the larger limit") {
    command_reader r(lim);
    auto ev = run(r, "a1 APPEND x {50+}\r\n" + std::string(50, 'm') + "\r\n", 7);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == event_kind::command);
  }
}

TEST_CASE("line length limit", "[imap]") {
  reader_limits lim;
  lim.max_line = 50;
  command_reader r(lim);
  auto ev = run(r, "a1 NOOP " + std::string(200, 'x') + "\r\na2 NOOP\r\n", 16);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].kind == event_kind::error);
  CHECK(ev[0].err.code == "imap.line_too_long");
  CHECK(ev[0].tag == "a1");
  CHECK(ev[1].kind == event_kind::command);
  CHECK(ev[1].cmd.tag == "a2");
}

TEST_CASE("syntax errors carry the tag; raw lines for IDLE", "[imap]") {
  command_reader r;
  auto ev = run(r, "t1 FROB\r\nt2 IDLE\r\n", 4);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].kind == event_kind::error);
  CHECK(ev[0].tag == "t1");
  CHECK(ev[0].err.code == "imap.unknown_command");
  CHECK(ev[1].cmd.name == "IDLE");
  r.expect_line();
  ev = run(r, "DONE\r\nt3 NOOP\r\n", 2);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].kind == event_kind::line);
  CHECK(ev[0].line == "DONE");
  CHECK(ev[1].cmd.tag == "t3");
}

TEST_CASE("utf8_accept toggles mailbox decoding", "[imap]") {
  command_reader r;
  auto ev = run(r, "a SELECT \"Entw\xC3\xBC" "rfe\"\r\n", 100);
  CHECK(ev.at(0).kind == event_kind::error);
  r.options().utf8_accept = true;
  ev = run(r, "a SELECT \"Entw\xC3\xBC" "rfe\"\r\n", 100);
  CHECK(ev.at(0).kind == event_kind::command);
}

TEST_CASE("APPEND literals over the stream size come out in pieces, tokens in the frame", "[imap]") {
  const std::string big(40, 'B'), big2(25, 'C');
  const std::string input = "s1 APPEND INBOX (\\Seen) {40}\r\n" + big + " ~{5}\r\nsmall {25+}\r\n" + big2 +
                            "\r\n"
                            "s2 LOGIN {30}\r\n" + std::string(30, 'u') + " p\r\n"
                            "s3 APPEND INBOX CATENATE (TEXT {30}\r\n" + std::string(30, 't') + ")\r\n";
  for (std::size_t chunk : {1u, 3u, 7u, 64u, 1000u}) {
    INFO("chunk " << chunk);
    command_reader r;
    r.set_stream_min(20);
    auto ev = run(r, input, chunk);
    std::vector<std::string> lits;
    std::size_t i = 0;
    for (; i < ev.size() && ev[i].kind != event_kind::command; ++i) {
      if (ev[i].kind == event_kind::literal_start) {
        lits.emplace_back();
        continue;
      }
      if (ev[i].kind == event_kind::literal_data) {
        REQUIRE(!lits.empty());
        CHECK(ev[i].data.size() <= chunk);
        lits.back() += ev[i].data;
        continue;
      }
      CHECK(ev[i].kind == event_kind::send_continuation);  // the small ~{5}
    }
    CHECK(lits == std::vector<std::string>{big, big2});
    REQUIRE(i < ev.size());
    auto a = std::get<cmd_append>(ev[i].cmd.args);
    REQUIRE(a.messages.size() == 3);
    CHECK(a.messages[0].data == streamed_literal(0));
    CHECK(a.messages[0].flags == std::vector<std::string>{"\\Seen"});
    CHECK(a.messages[1].data == "small");
    CHECK(a.messages[1].binary);
    CHECK(a.messages[2].data == streamed_literal(1));
    // Other commands, and APPEND with CATENATE, frame their literals as before.
    REQUIRE(i + 2 < ev.size());
    CHECK(ev[i + 1].kind == event_kind::send_continuation);
    REQUIRE(ev[i + 2].kind == event_kind::command);
    CHECK(std::get<cmd_login>(ev[i + 2].cmd.args).user == std::string(30, 'u'));
    REQUIRE(ev.size() == i + 5);
    CHECK(ev[i + 3].kind == event_kind::send_continuation);
    REQUIRE(ev[i + 4].kind == event_kind::command);
    CHECK(std::get<cmd_append>(ev[i + 4].cmd.args).messages[0].catenate.size() == 1);
  }
  // The first literal_start of a synchronizing literal asks for the continuation.
  command_reader r;
  r.set_stream_min(20);
  r.feed("s1 APPEND INBOX {40}\r\n");
  auto e = r.next();
  CHECK(e.kind == event_kind::literal_start);
  CHECK(e.sync);
  CHECK(e.literal_size == 40);
  CHECK(r.next().kind == event_kind::need_more);
}
