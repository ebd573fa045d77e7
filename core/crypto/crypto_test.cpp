#include "core/crypto/crypto.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace hearth::crypto;

namespace {
std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}
}  // namespace

TEST_CASE("base64 RFC 4648 §10 vectors round trip") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    CHECK(base64_encode(plain) == enc);
    auto d = base64_decode(enc);
    REQUIRE(d);
    CHECK(*d == plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    auto d = base64_decode(base64_encode(all.substr(0, n)));
    REQUIRE(d);
    CHECK(*d == all.substr(0, n));
  }
}

TEST_CASE("base64 decode is strict") {
  CHECK_FALSE(base64_decode("Zg="));        // length not a multiple of 4
  CHECK_FALSE(base64_decode("Zg"));         // missing padding
  CHECK_FALSE(base64_decode("Zm9v\r\n"));   // line break
  CHECK_FALSE(base64_decode("Zm 9v"));      // whitespace
  CHECK_FALSE(base64_decode(" Zm9v"));
  CHECK_FALSE(base64_decode("Zm9v!A=="));   // bad character
  CHECK_FALSE(base64_decode("Z=9v"));       // '=' in the middle
  CHECK_FALSE(base64_decode("Zg==Zm9v"));   // padding before the end
  CHECK_FALSE(base64_decode("Zg=v"));       // '=' then data
  CHECK_FALSE(base64_decode("===="));
  CHECK_FALSE(base64_decode("Zh=="));       // non-zero pad bits (RFC 4648 §3.5)
  CHECK_FALSE(base64_decode("Zm9="));
  CHECK_FALSE(base64_decode(std::string_view("Zm\0v", 4)));
  CHECK(base64_decode("Zm8=").value() == "fo");
}

TEST_CASE("hex, digests") {
  CHECK(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(hex_encode(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex_encode(sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digest_size(hash::sha1) == 20);
  CHECK(digest_size(hash::sha256) == 32);
}

TEST_CASE("HMAC-SHA256 RFC 4231 test cases 1 and 2") {
  CHECK(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: key longer than the block size is hashed first.
  CHECK(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("HMAC-SHA1 RFC 2202 test case 2") {
  CHECK(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST_CASE("PBKDF2-HMAC-SHA1 RFC 6070 vectors") {
  CHECK(hex_encode(pbkdf2(hash::sha1, "password", "salt", 1, 20)) ==
        "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  CHECK(hex_encode(pbkdf2(hash::sha1, "password", "salt", 2, 20)) ==
        "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  CHECK(hex_encode(pbkdf2(hash::sha1, "password", "salt", 4096, 20)) ==
        "4b007901b765489abead49d926f721d065a429c1");
  CHECK(hex_encode(pbkdf2(hash::sha1, "passwordPASSWORDpassword",
                          "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25)) ==
        "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
  CHECK(hex_encode(pbkdf2(hash::sha1, std::string("pass\0word", 9), std::string("sa\0lt", 5), 4096,
                          16)) == "56fa6aa75548099dcc37d7f03425e0c3");
  CHECK(pbkdf2(hash::sha1, "password", "salt", 0, 20).empty());
  CHECK(pbkdf2(hash::sha256, "password", "salt", 1, 0).empty());
}

TEST_CASE("constant_time_equal") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK(constant_time_equal("", ""));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK(unhex("0aff") == std::string("\x0a\xff", 2));
}

TEST_CASE("random bytes and generated passwords") {
  CHECK(random_bytes(0).empty());
  CHECK(random_bytes(33).size() == 33);
  CHECK(random_bytes(16) != random_bytes(16));
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string p = generate_password();
    REQUIRE(p.size() == 23);
    for (std::size_t k = 0; k < p.size(); ++k) {
      if (k % 6 == 5) {
        CHECK(p[k] == '-');
      } else {
        CHECK(std::string_view("abcdefghijkmnpqrstuvwxyz23456789").find(p[k]) != std::string_view::npos);
      }
    }
    seen.insert(p);
  }
  CHECK(seen.size() == 50);
}
