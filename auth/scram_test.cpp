#include "auth/scram.hpp"
#include "auth/scram_client_test.hpp"

#include <catch2/catch.hpp>

using namespace hearth;
using namespace hearth::auth;
using namespace hearth::auth::sasl;

TEST_CASE("SCRAM-SHA-1: RFC 5802 §5 example, byte for byte") {
  scram_server s({crypto::hash::sha1, false, false, std::nullopt}, "3rfcNHYJY1ZVvWVs7j");
  auto user = s.client_first("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  REQUIRE(user);
  CHECK(*user == "user");
  auto salt = crypto::base64_decode("QSXCR+Q6sek8bf92").value();
  CHECK(s.server_first(salt, 4096) ==
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  std::vector<scram_entry> keys{derive_scram(crypto::hash::sha1, "pencil", salt, 4096)};
  auto v = s.client_final(
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", keys);
  REQUIRE(v);
  CHECK(v->index == 0);
  CHECK(v->server_final == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");

  // The client side of the test helper computes the RFC's proof too.
  test::scram_client c(crypto::hash::sha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
  CHECK(c.first() == "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  CHECK(c.final("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") ==
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  CHECK(c.check_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
  CHECK_FALSE(c.check_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ"));
}

TEST_CASE("SCRAM-SHA-256: RFC 7677 §3 example, byte for byte") {
  scram_server s({crypto::hash::sha256, false, false, std::nullopt}, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  REQUIRE(s.client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  auto salt = crypto::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value();
  CHECK(s.server_first(salt, 4096) ==
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  std::vector<scram_entry> keys{derive_scram(crypto::hash::sha256, "pencil", salt, 4096)};
  auto v = s.client_final(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      keys);
  REQUIRE(v);
  CHECK(v->server_final == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST_CASE("SCRAM wrong proof, wrong nonce, wrong candidates") {
  auto salt = crypto::base64_decode("QSXCR+Q6sek8bf92").value();
  const std::string final_ok =
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
  auto run = [&](std::string_view final_msg, std::vector<scram_entry> keys) {
    scram_server s({crypto::hash::sha1, false, false, std::nullopt}, "3rfcNHYJY1ZVvWVs7j");
    REQUIRE(s.client_first("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
    s.server_first(salt, 4096);
    return s.client_final(final_msg, keys);
  };
  auto pencil = derive_scram(crypto::hash::sha1, "pencil", salt, 4096);
  auto other = derive_scram(crypto::hash::sha1, "crayon", salt, 4096);
  CHECK(run(final_ok, {pencil}));
  CHECK(run(final_ok, {other, pencil}).value().index == 1);
  CHECK(run(final_ok, {other}).error().code == "sasl.bad_proof");
  CHECK(run(final_ok, {}).error().code == "sasl.bad_proof");
  // One bit flipped in the proof.
  CHECK(run("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v1X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            {pencil}).error().code == "sasl.bad_proof");
  CHECK(run("c=biws,r=fyko+d2lbbFgONRv9qkxdawLXXX,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", {pencil})
            .error().code == "sasl.nonce");
  CHECK(run("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j", {pencil}).error().code ==
        "sasl.malformed");
  CHECK(run("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8", {pencil}).error().code ==
        "sasl.malformed");
  // c= must repeat the GS2 header exactly ("n,," -> biws).
  CHECK(run("c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            {pencil}).error().code == "sasl.channel_binding");
}

TEST_CASE("SCRAM client-first parsing") {
  auto first = [](std::string_view msg, scram_options o = {}) {
    scram_server s(o, "SNONCE");
    return s.client_first(msg);
  };
  CHECK(first("n,,n=user,r=abc").value() == "user");
  CHECK(first("n,,n=a=2Cb=3Dc,r=abc").value() == "a,b=c");
  CHECK(first("n,a=user,n=user,r=abc").value() == "user");
  CHECK(first("n,a=someone,n=user,r=abc").error().code == "sasl.authzid");
  CHECK(first("n,,n=user,r=abc,x=ext").value() == "user");
  CHECK(first("n,,m=ext,n=user,r=abc").error().code == "sasl.malformed");
  CHECK(first("n,,n=us=2Xer,r=abc").error().code == "sasl.malformed");
  CHECK(first("n,,n=,r=abc").error().code == "sasl.malformed");
  CHECK(first("n,,n=user,r=").error().code == "sasl.malformed");
  CHECK(first("n,,n=user").error().code == "sasl.malformed");
  CHECK(first("n,,r=abc,n=user").error().code == "sasl.malformed");
  CHECK(first("x,,n=user,r=abc").error().code == "sasl.malformed");
  CHECK(first("n,n=user,r=abc").error().code == "sasl.malformed");
  CHECK(first("").error().code == "sasl.malformed");
  CHECK(first(std::string(9000, 'a')).error().code == "sasl.malformed");
  CHECK(first("n,,n=user,r=a\x01").error().code == "sasl.malformed");
}

TEST_CASE("SCRAM GS2 channel-binding rules") {
  const std::string cb(32, '\x5a');
  scram_options plain_offered{crypto::hash::sha256, false, true, std::nullopt};
  scram_options plain_not_offered{crypto::hash::sha256, false, false, std::nullopt};
  scram_options plus{crypto::hash::sha256, true, true, cb};
  auto first = [](scram_options o, std::string_view msg) {
    scram_server s(std::move(o), "SNONCE");
    return s.client_first(msg);
  };
  // 'y' is a downgrade when -PLUS was advertised (RFC 5802 §6), fine otherwise.
  CHECK(first(plain_offered, "y,,n=user,r=abc").error().code == "sasl.channel_binding");
  CHECK(first(plain_not_offered, "y,,n=user,r=abc"));
  CHECK(first(plain_offered, "n,,n=user,r=abc"));
  // p= with a non-PLUS mechanism, PLUS without p=, other binding types.
  CHECK(first(plain_offered, "p=tls-exporter,,n=user,r=abc").error().code == "sasl.channel_binding");
  CHECK(first(plus, "n,,n=user,r=abc").error().code == "sasl.channel_binding");
  CHECK(first(plus, "y,,n=user,r=abc").error().code == "sasl.channel_binding");
  CHECK(first(plus, "p=tls-unique,,n=user,r=abc").error().code == "sasl.channel_binding");
  CHECK(first(plus, "p=tls-exporter,,n=user,r=abc"));
  scram_options plus_no_data{crypto::hash::sha256, true, true, std::nullopt};
  CHECK(first(plus_no_data, "p=tls-exporter,,n=user,r=abc").error().code == "sasl.channel_binding");
}

TEST_CASE("SCRAM-SHA-256-PLUS with tls-exporter binding, matching and not") {
  const std::string cb = crypto::random_bytes(32);
  auto salt = crypto::random_bytes(16);
  std::vector<scram_entry> keys{derive_scram(crypto::hash::sha256, "secret", salt, 4096)};
  for (bool matching : {true, false}) {
    scram_server s({crypto::hash::sha256, true, true, cb}, crypto::base64_encode(crypto::random_bytes(18)));
    test::scram_client c(crypto::hash::sha256, "user@home.test", "secret",
                         crypto::base64_encode(crypto::random_bytes(18)));
    c.set_channel_binding(matching ? cb : crypto::random_bytes(32));
    REQUIRE(s.client_first(c.first()));
    auto v = s.client_final(c.final(s.server_first(salt, 4096)), keys);
    if (matching) {
      REQUIRE(v);
      CHECK(c.check_server_final(v->server_final));
    } else {
      REQUIRE_FALSE(v);
      CHECK(v.error().code == "sasl.channel_binding");
    }
  }
}

TEST_CASE("SCRAM server refuses steps out of order") {
  scram_server s({}, "N");
  std::vector<scram_entry> none;
  CHECK(s.client_final("c=biws,r=x,p=AAAA", none).error().code == "sasl.state");
  scram_server t({}, "N");
  REQUIRE(t.client_first("n,,n=u,r=c"));
  CHECK(t.client_final("c=biws,r=cN,p=AAAA", none).error().code == "sasl.state");  // no server-first
  CHECK(t.client_first("n,,n=u,r=c").error().code == "sasl.state");
}

TEST_CASE("SCRAM-SHA-256-PLUS with tls-server-end-point (RFC 5929): the data of the type the client names") {
  const std::string exporter = crypto::random_bytes(32);
  const std::string end_point = crypto::random_bytes(32);
  auto salt = crypto::random_bytes(16);
  std::vector<scram_entry> keys{derive_scram(crypto::hash::sha256, "secret", salt, 4096)};
  struct tc {
    std::string flag, data;
    bool ok;
  };
  for (const auto& t : {tc{"p=tls-server-end-point", end_point, true}, tc{"p=tls-server-end-point", exporter, false},
                        tc{"p=tls-exporter", exporter, true}, tc{"p=tls-exporter", end_point, false}}) {
    INFO(t.flag << " ok=" << t.ok);
    scram_options o{crypto::hash::sha256, true, true, exporter};
    o.end_point_binding = end_point;
    scram_server s(o, crypto::base64_encode(crypto::random_bytes(18)));
    test::scram_client c(crypto::hash::sha256, "user@home.test", "secret", crypto::base64_encode(crypto::random_bytes(18)));
    c.set_gs2_flag(t.flag);
    c.set_channel_binding(t.data);
    REQUIRE(s.client_first(c.first()));
    auto v = s.client_final(c.final(s.server_first(salt, 4096)), keys);
    CHECK(bool(v) == t.ok);
  }
  // Without end-point data (no certificate known) the type is refused at once.
  scram_server s({crypto::hash::sha256, true, true, exporter}, "SNONCE");
  CHECK(s.client_first("p=tls-server-end-point,,n=user,r=abc").error().code == "sasl.channel_binding");
}
