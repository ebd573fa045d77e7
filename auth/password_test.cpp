#include "auth/password.hpp"

#include <catch2/catch.hpp>

using namespace hearth;
using namespace hearth::auth;

TEST_CASE("derive_credentials with production Argon2id parameters") {
  auto c = derive_credentials("correct horse battery staple");
  CHECK(c.argon2id.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(verify_password(c, "correct horse battery staple"));
  CHECK_FALSE(verify_password(c, "correct horse battery stapler"));
  CHECK_FALSE(verify_password(c, ""));

  auto s1 = parse_scram(crypto::hash::sha1, c.scram_sha1);
  auto s256 = parse_scram(crypto::hash::sha256, c.scram_sha256);
  REQUIRE(s1);
  REQUIRE(s256);
  CHECK(s1->iterations == 4096);
  CHECK(s1->salt.size() == 16);
  CHECK(s256->salt.size() == 16);
  CHECK(s1->salt != s256->salt);
  CHECK(s1->stored_key.size() == 20);
  CHECK(s256->stored_key.size() == 32);
  // Recomputing from the password and salt gives the stored keys.
  auto again = derive_scram(crypto::hash::sha256, "correct horse battery staple", s256->salt, 4096);
  CHECK(again.stored_key == s256->stored_key);
  CHECK(again.server_key == s256->server_key);

  // Fresh salts every time.
  auto c2 = derive_credentials("correct horse battery staple", argon2_params{64, 1, 1});
  CHECK(c2.argon2id != c.argon2id);
  CHECK(c2.scram_sha256 != c.scram_sha256);
}

TEST_CASE("verify_password rejects malformed or too costly PHC strings") {
  directory::stored_credentials c;
  CHECK_FALSE(verify_password(c, "x"));
  c.argon2id = "$argon2id$v=19$m=19456,t=2,p=1$garbage";
  CHECK_FALSE(verify_password(c, "x"));
  c.argon2id = "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
  CHECK_FALSE(verify_password(c, "x"));
  c.argon2id = "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
  CHECK_FALSE(verify_password(c, "x"));
  auto ok = derive_credentials("pw", argon2_params{64, 1, 1});
  CHECK(verify_password(ok, "pw"));
  CHECK_FALSE(verify_password(ok, std::string(max_password_size + 1, 'a')));
}

TEST_CASE("format_scram / parse_scram round trip") {
  // The RFC example exchanges (scram_test.cpp) check the key values themselves.
  auto salt = crypto::base64_decode("QSXCR+Q6sek8bf92").value();
  auto e = derive_scram(crypto::hash::sha1, "pencil", salt, 4096);
  auto text = format_scram(e);
  CHECK(text.rfind("i=4096,s=QSXCR+Q6sek8bf92,k=", 0) == 0);
  auto back = parse_scram(crypto::hash::sha1, text);
  REQUIRE(back);
  CHECK(back->stored_key == e.stored_key);
  CHECK(back->server_key == e.server_key);
  CHECK_FALSE(parse_scram(crypto::hash::sha256, text));  // wrong key size for SHA-256
}

TEST_CASE("parse_scram rejects malformed entries") {
  auto good = format_scram(derive_scram(crypto::hash::sha1, "p", "saltsalt", 4096));
  CHECK(parse_scram(crypto::hash::sha1, good));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, ""));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, "i=4096"));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, good + ",x=1"));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, good + ",i=4096"));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, "i=0" + good.substr(6)));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, "i=-1" + good.substr(6)));
  CHECK_FALSE(parse_scram(crypto::hash::sha1, "i=99999999999" + good.substr(6)));
  std::string bad_b64 = good;
  bad_b64.replace(bad_b64.find("s=") + 2, 1, "!");
  CHECK_FALSE(parse_scram(crypto::hash::sha1, bad_b64));
}

TEST_CASE("app password credentials can share the account's SCRAM salt") {
  argon2_params cheap{64, 1, 1};
  auto account = derive_credentials("account-pw", cheap);
  auto app = derive_credentials("app-pw", account, cheap);
  auto a = parse_scram(crypto::hash::sha256, account.scram_sha256).value();
  auto b = parse_scram(crypto::hash::sha256, app.scram_sha256).value();
  CHECK(a.salt == b.salt);
  CHECK(a.iterations == b.iterations);
  CHECK(a.stored_key != b.stored_key);
  CHECK(verify_password(app, "app-pw"));
  CHECK_FALSE(verify_password(app, "account-pw"));
}

TEST_CASE("saslprep_lite maps RFC 4013 §2.1 characters and keeps the rest") {
  CHECK(saslprep_lite("pencil") == "pencil");
  CHECK(saslprep_lite("I\xC2\xADX") == "IX");               // U+00AD soft hyphen -> nothing
  CHECK(saslprep_lite("a\xC2\xA0" "b") == "a b");           // U+00A0 -> space
  CHECK(saslprep_lite("a\xE3\x80\x80" "b") == "a b");       // U+3000 -> space
  CHECK(saslprep_lite("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");  // é unchanged
  CHECK(saslprep_lite("\xff\xfe") == "\xff\xfe");           // invalid UTF-8 passes through
}
