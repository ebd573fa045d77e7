#include "mail/managesieve/proto/reader.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::managesieve;

namespace {

// Feeds a whole client transcript; returns the commands and "ERR:..." entries in order.
std::vector<std::string> run(std::string_view input, reader_limits l = {}) {
  command_reader r(l);
  std::vector<std::string> out;
  std::size_t pos = 0;
  want w = want::line;
  while (pos < input.size()) {
    if (w == want::literal) {
      auto n = r.literal_size();
      if (pos + n > input.size()) break;
      w = r.feed_literal(input.substr(pos, n));
      pos += n;
      continue;
    }
    auto eol = input.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    w = r.feed_line(input.substr(pos, eol - pos));
    pos = eol + 2;
    if (w == want::command) {
      auto c = r.take();
      std::string s = c.name;
      for (auto& a : c.args) s += (a.type == argument::kind::number ? " #" : a.literal ? " L:" : " Q:") + a.text;
      out.push_back(s);
      w = want::line;
    } else if (w == want::error || w == want::fatal) {
      out.push_back((w == want::fatal ? "FATAL:" : "ERR:") + r.take_error());
      if (w == want::fatal) break;
      w = want::line;
    }
  }
  return out;
}

using v = std::vector<std::string>;

}  // namespace

TEST_CASE("managesieve reader: atoms, quoted strings, numbers") {
  CHECK(run("logout\r\n") == v{"LOGOUT"});
  CHECK(run("Authenticate \"PLAIN\" \"AGFAYgBj\"\r\n") == v{"AUTHENTICATE Q:PLAIN Q:AGFAYgBj"});
  CHECK(run("HAVESPACE \"my \\\"script\\\\\" 1024\r\n") == v{"HAVESPACE Q:my \"script\\ #1024"});
  CHECK(run("SETACTIVE \"\"\r\n") == v{"SETACTIVE Q:"});
  CHECK(run("NOOP \"tag\"\r\nNOOP\r\n") == v{"NOOP Q:tag", "NOOP"});
}

TEST_CASE("managesieve reader: literals in both forms, several per command") {
  CHECK(run("PUTSCRIPT \"a\" {5+}\r\nkeep;\r\n") == v{"PUTSCRIPT Q:a L:keep;"});
  CHECK(run("PUTSCRIPT \"a\" {7}\r\nkeep;\r\n\r\n") == v{"PUTSCRIPT Q:a L:keep;\r\n"});
  CHECK(run("RENAMESCRIPT {1+}\r\na {1+}\r\nb\r\n") == v{"RENAMESCRIPT L:a L:b"});
  CHECK(run("CHECKSCRIPT {0+}\r\n\r\n") == v{"CHECKSCRIPT L:"});
  // A literal may hold CRLF, braces and quotes: they are data.
  CHECK(run("CHECKSCRIPT {6+}\r\n{1+}\r\n\r\nNOOP\r\n") == v{"CHECKSCRIPT L:{1+}\r\n", "NOOP"});
}

TEST_CASE("managesieve reader: syntax errors keep the framing") {
  CHECK(run("\r\nNOOP\r\n") == v{"ERR:Empty command", "NOOP"});
  CHECK(run("PUTSCRIPT a {5+}\r\nkeep;\r\nNOOP\r\n") == v{"ERR:Expected a string or a number", "NOOP"});
  CHECK(run("NOOP \"abc\r\nNOOP\r\n") == v{"ERR:Unterminated quoted string", "NOOP"});
  CHECK(run("NOOP \"a\\nb\"\r\n") == v{"ERR:Invalid escape in quoted string"});
  CHECK(run("NOOP  \"a\"\r\n") == v{"ERR:Expected a string or a number"});
  CHECK(run("NOOP \"a\"\"b\"\r\n") == v{"ERR:Expected a space between arguments"});
  CHECK(run("NOOP 99999999999\r\n") == v{"ERR:Number too big"});
  CHECK(run("NOOP \"a\" \r\n") == v{"ERR:Trailing space"});
  CHECK(run("NOOP {x}\r\n") == v{"ERR:Invalid literal"});
  CHECK(run("NOOP \"" + std::string(1025, 'a') + "\"\r\n") == v{"ERR:Quoted string too long"});
}

TEST_CASE("managesieve reader: limits") {
  reader_limits l;
  l.max_literal = 10;
  l.max_command = 100;
  l.max_arguments = 3;
  CHECK(run("PUTSCRIPT \"a\" {11+}\r\n", l) == v{"FATAL:Literal too big"});
  CHECK(run("NOOP 1 2 3 4\r\nNOOP\r\n", l) == v{"ERR:Too many arguments", "NOOP"});
  std::string many = "CHECKSCRIPT";
  for (int i = 0; i < 12; ++i) many += " {10+}\r\n0123456789";
  many += "\r\n";
  CHECK(run(many, l).back().starts_with("FATAL:"));
}

TEST_CASE("managesieve reader: SASL responses are one string") {
  command_reader r;
  r.expect_response();
  REQUIRE(r.feed_line("\"AGFAYgBj\"") == want::command);
  auto c = r.take();
  CHECK(c.name.empty());
  REQUIRE(c.args.size() == 1);
  CHECK(c.args[0].text == "AGFAYgBj");
  r.expect_response();
  REQUIRE(r.feed_line("{4+}") == want::literal);
  REQUIRE(r.feed_literal("abcd") == want::line);
  REQUIRE(r.feed_line("") == want::command);
  CHECK(r.take().args[0].text == "abcd");
  r.expect_response();
  CHECK(r.feed_line("\"a\" \"b\"") == want::error);
  r.take_error();
  CHECK(r.feed_line("NOOP") == want::command);  // back to commands
}

TEST_CASE("managesieve quote: quoted or literal") {
  CHECK(quote("abc") == "\"abc\"");
  CHECK(quote("a\"b\\") == "\"a\\\"b\\\\\"");
  CHECK(quote("a\r\nb") == "{4}\r\na\r\nb");
}
