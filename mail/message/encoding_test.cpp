#include <catch2/catch.hpp>
#include <string>

#include "mail/message/message.hpp"

using namespace hearth::mail;

TEST_CASE("RFC 2047 B and Q words, ISO-8859-1 and adjacent words", "[encoding]") {
  CHECK(decode_encoded_words("=?UTF-8?B?w6l0w6k=?=").text == "\xC3\xA9t\xC3\xA9");
  CHECK(decode_encoded_words("=?iso-8859-1?q?caf=E9_cr=E8me?=").text == "caf\xC3\xA9 cr\xC3\xA8me");
  // RFC 2047 §8 examples: whitespace between encoded words disappears.
  CHECK(decode_encoded_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)").text == "(ab)");
  CHECK(decode_encoded_words("(=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=)").text == "(ab)");
  CHECK(decode_encoded_words("(=?ISO-8859-1?Q?a?= b)").text == "(a b)");
  CHECK(decode_encoded_words("(a =?ISO-8859-1?Q?b?=)").text == "(a b)");
  CHECK(decode_encoded_words("(=?ISO-8859-1?Q?a_b?=)").text == "(a b)");
  // A UTF-8 character split over two words is joined before conversion.
  CHECK(decode_encoded_words("=?utf-8?B?ww==?= =?utf-8?B?qQ==?=").text == "\xC3\xA9");
  CHECK(decode_encoded_words("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=").text == "\xC3\xA9");
  CHECK(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?=").text == "Keith Moore");
  CHECK(decode_encoded_words("Re: plain").text == "Re: plain");
}

TEST_CASE("unknown charsets and malformed words are left as is and flagged", "[encoding]") {
  auto u = decode_encoded_words("Hi =?x-no-such-charset?B?8NLJ18XU?= there");
  CHECK(u.unknown_charset);
  CHECK(u.text == "Hi =?x-no-such-charset?B?8NLJ18XU?= there");
  // Charsets beyond the built-in four go through iconv.
  auto k = decode_encoded_words("Hi =?koi8-r?B?8NLJ18XU?= there");
  CHECK_FALSE(k.unknown_charset);
  CHECK(k.text == "Hi \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 there");
  CHECK(to_utf8("ISO-2022-JP", "\x1b$B$3$s$K$A$O\x1b(B").value() == "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");
  CHECK(to_utf8("shift_jis", "\x82\xA0").value() == "\xE3\x81\x82");
  CHECK(known_charset("KOI8-R"));
  CHECK_FALSE(known_charset("x-no-such-charset"));
  CHECK_FALSE(known_charset("UTF-8//TRANSLIT"));
  auto m = decode_encoded_words("=?utf-8?X?abc?= and =?broken");
  CHECK(m.malformed);
  CHECK(m.text == "=?utf-8?X?abc?= and =?broken");
  auto bad = decode_encoded_words("=?utf-8?B?/w==?=");  // 0xFF is not UTF-8
  CHECK(bad.text == "\xEF\xBF\xBD");
}

TEST_CASE("charset conversion", "[encoding]") {
  CHECK(to_utf8("ISO-8859-1", "\xE9\xFF") == std::string("\xC3\xA9\xC3\xBF"));
  CHECK(to_utf8("latin1", "a") == std::string("a"));
  CHECK(to_utf8("windows-1252", "\x80\x93") == std::string("\xE2\x82\xAC\xE2\x80\x9C"));
  CHECK(to_utf8("utf-8", "\xC0\xAF") == std::string("\xEF\xBF\xBD\xEF\xBF\xBD"));  // overlong
  CHECK(to_utf8("shift_jis", "x") == std::string("x"));  // through iconv
  CHECK_FALSE(to_utf8("x-no-such-charset", "x").has_value());
  CHECK(known_charset("UTF8"));
  CHECK(known_charset("gb2312"));
  CHECK(to_utf8("koi8-r", "\xF0\xff") == std::string("\xD0\x9F\xD0\xAA"));
}

TEST_CASE("base64 is lenient on whitespace", "[encoding]") {
  CHECK(decode_base64("aGVs\r\nbG8g\n d29y bGQ=") == "hello world");
  CHECK(decode_base64("YQ") == "a");
  bool bad = false;
  CHECK(decode_base64("YW*Jj", &bad) == "abc");
  CHECK(bad);
  CHECK(decode_base64("") == "");
}

TEST_CASE("quoted-printable", "[encoding]") {
  CHECK(decode_quoted_printable("caf=E9 =\r\nsuite=3D=3d\r\nend") == "caf\xE9 suite==\r\nend");
  CHECK(decode_quoted_printable("trailing   \r\nspace \t\nx") == "trailing\r\nspace\nx");
  CHECK(decode_quoted_printable("soft=  \nwrap=") == "softwrap");
  CHECK(decode_quoted_printable("bad =ZZ and =4") == "bad =ZZ and =4");
  CHECK(decode_transfer_encoding("aGk=", "BASE64") == "hi");
  CHECK(decode_transfer_encoding("a=3Db", " Quoted-Printable ") == "a=b");
  CHECK(decode_transfer_encoding("a=3Db", "8bit") == "a=3Db");
}

TEST_CASE("encoded words longer than the bound are left as is", "[encoding]") {
  std::string longword = "=?utf-8?q?" + std::string(3000, 'a') + "?=";
  auto d = decode_encoded_words(longword);
  CHECK(d.malformed);
  CHECK(d.text == longword);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "=?a?q?";
  CHECK(decode_encoded_words(many).text == many);
}
