#include <catch2/catch.hpp>
#include <string>

#include "mail/message/message.hpp"

using namespace hearth::mail;

TEST_CASE("simple text message: fields, raw bytes, offsets, body start", "[header]") {
  const std::string m =
      "From: Alice <alice@example.org>\r\n"
      "To: bob@example.net\r\n"
      "Subject: Hello\r\n"
      "\r\n"
      "Hi Bob.\r\n";
  auto h = parse_header(m);
  REQUIRE(h.fields.size() == 3);
  CHECK(h.problems == 0);
  CHECK(h.fields[0].name == "From");
  CHECK(h.fields[0].value == " Alice <alice@example.org>");
  CHECK(h.fields[0].raw == "From: Alice <alice@example.org>\r\n");
  CHECK(h.fields[0].offset == 0);
  CHECK(h.fields[1].offset == 33);
  CHECK(h.fields[2].raw == "Subject: Hello\r\n");
  CHECK(h.end == m.find("Hi Bob."));
  CHECK(h.size() == m.find("Hi Bob."));
  REQUIRE(h.find("subject") != nullptr);
  CHECK(display_value(*h.find("SUBJECT")) == "Hello");
  CHECK(h.find("Cc") == nullptr);
}

TEST_CASE("folded headers keep raw bytes and unfold for display", "[header]") {
  const std::string m =
      "Received: from a.example by b.example;\r\n"
      "\tSun, 22 Nov 2026 10:00:00 +0000\r\n"
      "Subject: a long\r\n"
      "  subject line\r\n"
      "Received: second\r\n"
      "X-Empty:\r\n"
      "\r\n";
  auto h = parse_header(m);
  REQUIRE(h.fields.size() == 4);
  CHECK(h.fields[0].raw == "Received: from a.example by b.example;\r\n\tSun, 22 Nov 2026 10:00:00 +0000\r\n");
  CHECK(h.fields[0].value == " from a.example by b.example;\r\n\tSun, 22 Nov 2026 10:00:00 +0000");
  CHECK(unfold(h.fields[0].value) == "from a.example by b.example;\tSun, 22 Nov 2026 10:00:00 +0000");
  CHECK(display_value(h.fields[1]) == "a long  subject line");
  CHECK(h.find_all("received").size() == 2);
  CHECK(h.fields[3].value.empty());
  CHECK(h.end == m.size());
  CHECK(h.problems == 0);
  // The fields cover the header exactly, so DKIM sees every byte.
  std::string joined;
  for (const auto& f : h.fields) joined += f.raw;
  CHECK(joined + "\r\n" == m);
}

TEST_CASE("bare LF input is parsed and recorded", "[header]") {
  const std::string m = "From: a@b.example\nSubject: x\n y\n\nbody\n";
  auto h = parse_header(m);
  REQUIRE(h.fields.size() == 2);
  CHECK(h.has(problem_bare_lf));
  CHECK(h.fields[1].value == " x\n y");
  CHECK(unfold(h.fields[1].value) == "x y");
  CHECK(h.end == m.find("body"));
}

TEST_CASE("over-long lines, NUL, malformed lines and missing separator are reported", "[header]") {
  std::string m = "Subject: " + std::string(990, 'a') + "\r\n";  // 999 octets: one too many
  m += "no colon here\r\n";
  m += std::string("X-Nul: a\0b\r\n", 12);
  m += "Last: x";
  auto h = parse_header(m);
  CHECK(h.has(problem_line_too_long));
  CHECK(h.has(problem_malformed_field));
  CHECK(h.has(problem_nul));
  CHECK(h.has(problem_no_body_separator));
  CHECK(h.end == m.size());
  REQUIRE(h.fields.size() == 4);
  CHECK_FALSE(h.fields[1].valid);
  CHECK(h.fields[3].raw == "Last: x");
  CHECK(h.find("Last") != nullptr);

  std::string ok = "Subject: " + std::string(989, 'a') + "\r\n\r\n";  // exactly 998
  CHECK_FALSE(parse_header(ok).has(problem_line_too_long));
}

TEST_CASE("too many fields and too large a header are reported, not kept", "[header]") {
  std::string m;
  for (int i = 0; i < 1500; ++i) m += "X-N: " + std::to_string(i) + "\r\n";
  m += "\r\nbody";
  auto h = parse_header(m);
  CHECK(h.has(problem_too_many_fields));
  CHECK(h.fields.size() == 1000);
  CHECK(h.field_count == 1500);
  CHECK(h.end == m.size() - 4);

  header_limits small;
  small.max_section = 100;
  auto s = parse_header(m, small);
  CHECK(s.has(problem_header_too_large));
  CHECK(s.fields.size() < 20);
  CHECK(s.end == m.size() - 4);
}

TEST_CASE("header parsing of a sub-range and of odd inputs", "[header]") {
  const std::string m = "junkA: 1\r\n\r\nrest";
  auto h = parse_header(m, 4, m.size());
  REQUIRE(h.fields.size() == 1);
  CHECK(h.fields[0].name == "A");
  CHECK(h.fields[0].offset == 4);
  auto e = parse_header("");
  CHECK(e.fields.empty());
  CHECK(e.end == 0);
  auto body_only = parse_header("\r\nbody");
  CHECK(body_only.fields.empty());
  CHECK(body_only.end == 2);
  auto cont_first = parse_header(" folded first\r\nA: b\r\n\r\n");
  CHECK(cont_first.has(problem_malformed_field));
  CHECK(cont_first.find("A") != nullptr);
  auto spaced = parse_header("Subject : obs\r\n\r\n");  // RFC 5322 §4.5 obs-optional
  REQUIRE(spaced.find("subject") != nullptr);
}
