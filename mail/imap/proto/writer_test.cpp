#include "mail/imap/proto/mutf7.hpp"
#include "mail/imap/proto/writer.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::imap;

TEST_CASE("modified UTF-7 round trips", "[imap]") {
  CHECK(mutf7_decode("&AOQ-").value() == "\xC3\xA4");
  CHECK(mutf7_encode("\xC3\xA4") == "&AOQ-");
  CHECK(mutf7_decode("&-").value() == "&");
  CHECK(mutf7_encode("&") == "&-");
  // RFC 3501 §5.1.3 example
  CHECK(mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").value() ==
        "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  for (std::string s : {"", "INBOX", "a&b", "Entw\xC3\xBCrfe", "\xF0\x9F\x93\xA7 mail", "\xC3\xA4\xC3\xB6&x"}) {
    INFO(s);
    CHECK(mutf7_decode(mutf7_encode(s)).value() == s);
  }
  CHECK(!mutf7_decode("&AOQ"));     // unterminated
  CHECK(!mutf7_decode("&AGE-"));    // "a" must represent itself
  CHECK(!mutf7_decode("&2D0-"));    // lone surrogate
  CHECK(!mutf7_decode("\xC3\xA4")); // 8-bit
  CHECK(!mutf7_decode("&A!-"));
}

TEST_CASE("strings, flags and sets for responses", "[imap]") {
  std::string out;
  write_string(out, "a \"b\\");
  CHECK(out == "\"a \\\"b\\\\\"");
  out.clear();
  write_string(out, "two\r\nlines");
  CHECK(out == "{10}\r\ntwo\r\nlines");
  out.clear();
  write_string(out, "\xC3\xA4", false);
  CHECK(out == "{2}\r\n\xC3\xA4");
  out.clear();
  write_string(out, "\xC3\xA4", true);
  CHECK(out == "\"\xC3\xA4\"");
  out.clear();
  write_nstring(out, nullptr);
  CHECK(out == "NIL");
  out.clear();
  write_mailbox(out, "Entw\xC3\xBCrfe", false);
  CHECK(out == "\"Entw&APw-rfe\"");
  CHECK(flag_list({"\\Seen", "$Junk"}) == "(\\Seen $Junk)");
  CHECK(flag_list({}) == "()");
  CHECK(compress_set({5, 1, 2, 3, 7, 8, 2}) == "1:3,5,7:8");
  CHECK(compress_set({}) == "");
  CHECK(compress_set({4294967295u, 4294967294u}) == "4294967294:4294967295");
  CHECK(compress_set({10, 11, 3}, true) == "10:11,3");
  sequence_set s;
  s.ranges = {{1, 3}, {seq_range::star, 1}, {5, 5}};
  CHECK(format_set(s) == "1:3,*:1,5");
}
