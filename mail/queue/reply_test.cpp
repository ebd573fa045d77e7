#include "mail/queue/reply.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;

namespace {
smtp_reply parse_all(std::initializer_list<std::string_view> lines, reply_parser::state* last = nullptr) {
  reply_parser p;
  reply_parser::state st = reply_parser::state::error;
  for (auto l : lines) st = p.feed(l);
  if (last) *last = st;
  return p.take();
}
}  // namespace

TEST_CASE("reply parser: single and multi-line replies", "[queue][reply]") {
  reply_parser::state st;
  auto r = parse_all({"250 2.1.0 Ok"}, &st);
  CHECK(st == reply_parser::state::done);
  CHECK(r.code == 250);
  CHECK(r.enhanced == "2.1.0");
  CHECK(r.lines == std::vector<std::string>{"Ok"});
  CHECK(r.positive());

  reply_parser p;
  CHECK(p.feed("250-mx.example.org Hello") == reply_parser::state::more);
  CHECK(p.feed("250-PIPELINING") == reply_parser::state::more);
  CHECK(p.feed("250-SIZE 10240000") == reply_parser::state::more);
  CHECK(p.feed("250-STARTTLS") == reply_parser::state::more);
  CHECK(p.feed("250-dsn") == reply_parser::state::more);
  CHECK(p.feed("250-CHUNKING") == reply_parser::state::more);
  CHECK(p.feed("250-REQUIRETLS") == reply_parser::state::more);
  CHECK(p.feed("250-AUTH plain LOGIN  SCRAM-SHA-256") == reply_parser::state::more);
  CHECK(p.feed("250 8BITMIME") == reply_parser::state::done);
  auto e = p.take();
  CHECK(e.lines.size() == 9);
  auto caps = parse_ehlo(e);
  CHECK(caps.pipelining);
  CHECK(caps.size);
  CHECK(caps.max_size == 10240000);
  CHECK(caps.starttls);
  CHECK(caps.dsn);
  CHECK(caps.chunking);
  CHECK(caps.eightbitmime);
  CHECK_FALSE(caps.smtputf8);
  CHECK(caps.auth == std::vector<std::string>{"PLAIN", "LOGIN", "SCRAM-SHA-256"});
  CHECK(caps.requiretls);
}

TEST_CASE("reply parser: codes without text, enhanced codes only when they match", "[queue][reply]") {
  reply_parser::state st;
  auto r = parse_all({"354"}, &st);
  CHECK(st == reply_parser::state::done);
  CHECK(r.code == 354);
  CHECK(r.lines.size() == 1);
  // A 550 whose text starts with 4.x.x is not an enhanced code (class must match, RFC 3463).
  r = parse_all({"550 4.1.1 odd"}, &st);
  CHECK(r.enhanced.empty());
  CHECK(r.status() == "5.0.0");
  r = parse_all({"451 4.7.1 Try again later"}, &st);
  CHECK(r.transient());
  CHECK(r.enhanced == "4.7.1");
  CHECK(r.summary() == "451 4.7.1 Try again later");
  r = parse_all({"550-5.1.1 first", "550 5.1.1 second"}, &st);
  CHECK(r.summary() == "550 5.1.1 first second");
  CHECK(r.permanent());
  // Version-like text is not an enhanced code.
  r = parse_all({"220 2.0 ESMTP"}, &st);
  CHECK(r.enhanced.empty());
}

TEST_CASE("reply parser: garbage is an error, never a crash", "[queue][reply]") {
  reply_parser p;
  CHECK(p.feed("") == reply_parser::state::error);
  CHECK(p.feed("hello") == reply_parser::state::error);
  CHECK(p.feed("25") == reply_parser::state::error);
  CHECK(p.feed("250x") == reply_parser::state::error);
  CHECK(p.feed("650 no") == reply_parser::state::error);
  CHECK(p.feed(std::string(5000, '2')) == reply_parser::state::error);
  reply_parser q;
  CHECK(q.feed("250-a") == reply_parser::state::more);
  CHECK(q.feed("251 b") == reply_parser::state::error);  // codes differ
  reply_parser many;
  reply_parser::state st = reply_parser::state::more;
  for (int i = 0; i < 1000 && st == reply_parser::state::more; ++i) st = many.feed("250-x");
  CHECK(st == reply_parser::state::error);
  // Control characters in the text do not survive into logs.
  auto r = parse_all({std::string("250 a\x01") + "b"});
  CHECK(r.lines[0] == "a b");
}

TEST_CASE("DATA encoding: dot-stuffing and CRLF", "[queue][reply]") {
  CHECK(dot_stuff("a\r\n.b\r\n") == "a\r\n..b\r\n.\r\n");
  CHECK(dot_stuff(".\nx") == "..\r\nx\r\n.\r\n");
  CHECK(dot_stuff("") == ".\r\n");
  CHECK(crlf_normalise("a\nb\rc\r\n") == "a\r\nb\r\nc\r\n");
  CHECK(crlf_normalise("a") == "a\r\n");
  CHECK(has_8bit("caf\xc3\xa9"));
  CHECK_FALSE(has_8bit("cafe"));
  CHECK(xtext_decode("a+2Bb+3Dc") == "a+b=c");
  CHECK(xtext_decode("a+2") == "a+2");
  CHECK(xtext_decode("+zz") == "+zz");
}

TEST_CASE("DATA encoding in pieces: the same output wherever the pieces are cut", "[queue][reply]") {
  const std::string m = "Subject: x\r\n\r\n.line\r\n..two\nbare\rcr\r\n.\r\nend caf\xc3\xa9";
  for (bool stuff : {false, true}) {
    const std::string whole = stuff ? dot_stuff(m) : crlf_normalise(m);
    // Every cut into two pieces and into single octets: a piece ending in "\r" whose "\n"
    // opens the next, a line's '.' opening a piece, "\r\n." split after "\r\n".
    for (std::size_t cut = 0; cut <= m.size(); ++cut) {
      wire_encoder e(stuff);
      std::string out;
      e.feed(std::string_view(m).substr(0, cut), out);
      e.feed(std::string_view(m).substr(cut), out);
      e.finish(out);
      INFO("cut at " << cut << (stuff ? " (DATA)" : " (BDAT)"));
      CHECK(out == whole);
      CHECK(e.size() == whole.size());
      CHECK(e.eight_bit());
    }
    wire_encoder e(stuff);
    std::string out;
    for (char c : m) e.feed(std::string_view(&c, 1), out);
    e.finish(out);
    CHECK(out == whole);
  }
  // The cuts that matter, spelled out: "\r" | "\n." is one line end and a stuffed dot.
  wire_encoder e(true);
  std::string out;
  e.feed("a\r", out);
  e.feed("\n.b\r\n", out);
  e.feed(".", out);
  e.feed("\r\n", out);
  e.finish(out);
  CHECK(out == "a\r\n..b\r\n..\r\n.\r\n");
  CHECK_FALSE(e.eight_bit());
  wire_encoder none(false);
  std::string nothing;
  none.finish(nothing);
  CHECK(nothing.empty());
}
