#include "core/util/utf8.hpp"

#include <catch2/catch.hpp>

using hearth::util::append_utf8;
using hearth::util::next_utf8;

namespace {

// Decodes the whole string; nullopt at the first invalid sequence.
std::optional<std::u32string> decode(std::string_view s) {
  std::u32string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t before = i;
    auto cp = next_utf8(s, i);
    if (!cp) {
      CHECK(i == before);  // an invalid sequence leaves the position for the caller
      return std::nullopt;
    }
    out += *cp;
  }
  return out;
}

}  // namespace

TEST_CASE("utf8: every length boundary encodes and decodes back") {
  for (char32_t cp : {0x0u, 0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu, 0x10000u,
                      0x10FFFFu}) {
    std::string s;
    append_utf8(s, cp);
    CHECK(s.size() == (cp < 0x80 ? 1u : cp < 0x800 ? 2u : cp < 0x10000 ? 3u : 4u));
    auto back = decode(s);
    REQUIRE(back);
    CHECK(*back == std::u32string(1, cp));
  }
  std::string s;
  append_utf8(s, U'é');
  append_utf8(s, U'€');
  append_utf8(s, U'𝄞');
  CHECK(s == "\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E");
}

TEST_CASE("utf8: RFC 3629 §3 and §10 forms are refused") {
  CHECK_FALSE(decode("\xC0\xAF"));              // overlong '/'
  CHECK_FALSE(decode("\xE0\x80\xAF"));          // overlong '/', three bytes
  CHECK_FALSE(decode("\xF0\x80\x80\xAF"));      // overlong '/', four bytes
  CHECK_FALSE(decode("\xED\xA0\x80"));          // U+D800, a surrogate
  CHECK_FALSE(decode("\xED\xBF\xBF"));          // U+DFFF
  CHECK_FALSE(decode("\xF4\x90\x80\x80"));      // U+110000
  CHECK_FALSE(decode("\xF8\x88\x80\x80\x80"));  // five-byte form
  CHECK_FALSE(decode("\x80"));                  // a continuation byte alone
  CHECK_FALSE(decode("\xC3"));                  // cut short at the end
  CHECK_FALSE(decode("\xE2\x82"));
  CHECK_FALSE(decode("\xC3\x41"));              // a continuation byte missing
  CHECK(decode("a\xC3\xA9z") == std::u32string{U'a', U'é', U'z'});
}
