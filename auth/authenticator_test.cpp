#include "auth/authenticator.hpp"
#include "auth/memory_source.hpp"
#include "auth/scram_client_test.hpp"
#include "core/log/log.hpp"

#include <catch2/catch.hpp>

using namespace hearth;
using namespace hearth::auth;
using namespace std::string_literals;
using namespace std::chrono_literals;
using kind = exchange::step_result::kind_t;

namespace {

const argon2_params cheap{64, 1, 1};

struct fixture {
  memory_source users;
  throttle::clock::time_point now = throttle::clock::time_point{} + std::chrono::hours(1000);
  std::string nonce;  // "" = random
  authenticator auth{users, throttle_config{}, options()};

  authenticator_options options() {
    authenticator_options o;
    o.secret = "test secret";
    o.plus_protocols = {"xmpp"};  // as `auth.scram_plus = ["xmpp"]` would
    o.clock = [this] { return now; };
    o.server_nonce = [this] {
      return nonce.empty() ? crypto::base64_encode(crypto::random_bytes(18)) : nonce;
    };
    return o;
  }

  fixture() {
    log::set_level(log::level::error);
    user_record bob;
    bob.account_id = 1;
    bob.address = "bob@home.test";
    auto main = derive_credentials("bob-password", cheap);
    bob.credentials.push_back({"", main});
    bob.credentials.push_back({"phone", derive_credentials("app-pass-word", main, cheap)});
    users.add(bob);
    user_record eve{2, "eve@home.test", true, {{"", derive_credentials("eve-password", cheap)}}};
    users.add(eve);
  }

  static context tls_ctx(std::optional<std::string> cb = std::nullopt, std::string proto = "imap") {
    return context{std::move(proto), "192.0.2.10", true, std::move(cb)};
  }

  // Runs a whole SCRAM exchange with the test client. Returns the final step.
  exchange::step_result scram(const context& ctx, std::string mech, test::scram_client& c) {
    auto ex = auth.start(ctx, mech);
    REQUIRE(ex);
    auto s1 = ex->step(c.first());
    if (s1.kind != kind::challenge) return s1;
    auto s2 = ex->step(c.final(s1.server_data));
    if (s2.kind == kind::ok) CHECK(c.check_server_final(s2.server_data));
    return s2;
  }
};

std::string rnd_nonce() { return crypto::base64_encode(crypto::random_bytes(18)); }

}  // namespace

TEST_CASE("mechanisms: nothing without TLS, -PLUS only with channel binding") {
  fixture f;
  CHECK(f.auth.mechanisms(context{"smtp", "127.0.0.1", false, std::nullopt}).empty());
  CHECK(f.auth.mechanisms(context{"smtp", "127.0.0.1", false, "x"s}).empty());
  CHECK(f.auth.mechanisms(fixture::tls_ctx()) ==
        std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"});
  CHECK(f.auth.mechanisms(fixture::tls_ctx(std::string(32, 'c'), "xmpp")) ==
        std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
                                 "SCRAM-SHA-1", "PLAIN", "LOGIN"});
}

TEST_CASE("-PLUS is offered only on the configured protocols (none by default)") {
  fixture f;
  const std::vector<std::string> plain{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"};
  const std::string cb(32, 'c');
  authenticator defaults(f.users, throttle_config{}, authenticator_options{.secret = "s"});
  for (const char* proto : {"smtp", "imap", "pop3", "sieve", "xmpp"})
    CHECK(defaults.mechanisms(fixture::tls_ctx(cb, proto)) == plain);
  for (const char* proto : {"smtp", "imap", "pop3", "sieve"})
    CHECK(f.auth.mechanisms(fixture::tls_ctx(cb, proto)) == plain);
  auto o = f.options();
  o.plus_protocols = {"smtp"};
  authenticator smtp_plus(f.users, throttle_config{}, o);
  CHECK(smtp_plus.mechanisms(fixture::tls_ctx(cb, "smtp")).front() == "SCRAM-SHA-256-PLUS");
  CHECK(smtp_plus.mechanisms(fixture::tls_ctx(cb, "xmpp")) == plain);
  CHECK(smtp_plus.mechanisms(fixture::tls_ctx(std::nullopt, "smtp")) == plain);  // no binding: no -PLUS

  // Where -PLUS is not offered, a client that could bind says 'y' (RFC 5802 §6): no downgrade.
  auto imap = fixture::tls_ctx(cb, "imap");
  test::scram_client y(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  y.set_gs2_flag("y");
  CHECK(f.scram(imap, "SCRAM-SHA-256", y).kind == kind::ok);
  // A client that picks -PLUS unasked, with the right binding, still logs in.
  test::scram_client bound(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  bound.set_channel_binding(cb);
  CHECK(f.scram(imap, "SCRAM-SHA-256-PLUS", bound).kind == kind::ok);
}

TEST_CASE("a channel binding the client could not complete is not a failed password") {
  fixture f;
  const std::string cb = crypto::random_bytes(32);
  auto ctx = fixture::tls_ctx(cb, "xmpp");
  for (int i = 0; i < 4; ++i) {
    // slixmpp 1.8 under TLS 1.3: tls-unique, which TLS 1.3 does not define.
    test::scram_client unique(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
    unique.set_gs2_flag("p=tls-unique");
    auto r = f.scram(ctx, "SCRAM-SHA-256-PLUS", unique);
    CHECK(r.kind == kind::failed);
    CHECK(r.final.result == outcome::failed);
    // A binding that does not match (no binding given to the client's SASL library).
    test::scram_client wrong(crypto::hash::sha1, "bob@home.test", "bad-password", rnd_nonce());
    wrong.set_channel_binding(std::string(32, '\0'));
    CHECK(f.scram(ctx, "SCRAM-SHA-1-PLUS", wrong).kind == kind::failed);
    // 'y' while -PLUS is offered: refused as a downgrade.
    test::scram_client y(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
    y.set_gs2_flag("y");
    CHECK(f.scram(ctx, "SCRAM-SHA-256", y).kind == kind::failed);
  }
  // Twelve refused exchanges, yet neither the IP nor the account is slowed down or blocked.
  auto ok = f.auth.check_password(ctx, "bob@home.test", "bob-password");
  CHECK(ok.result == outcome::ok);
  CHECK(ok.delay == 0ms);
  // A wrong password still counts.
  for (int i = 0; i < 3; ++i) f.auth.check_password(ctx, "bob@home.test", "bad");
  CHECK(f.auth.check_password(ctx, "bob@home.test", "bad").delay == 1000ms);
}

TEST_CASE("no login without TLS") {
  fixture f;
  context plain{"imap", "127.0.0.1", false, std::nullopt};
  CHECK(f.auth.check_password(plain, "bob@home.test", "bob-password").result == outcome::tls_required);
  auto ex = f.auth.start(plain, "PLAIN");
  REQUIRE(ex);
  auto r = ex->step("\0bob@home.test\0bob-password"s);
  CHECK(r.kind == kind::failed);
  CHECK(r.final.result == outcome::tls_required);
  CHECK_FALSE(f.auth.start(plain, "CRAM-MD5"));
}

TEST_CASE("unknown or disallowed mechanisms") {
  fixture f;
  CHECK_FALSE(f.auth.start(fixture::tls_ctx(), "CRAM-MD5"));
  CHECK_FALSE(f.auth.start(fixture::tls_ctx(), "SCRAM-SHA-256-PLUS"));  // no binding data
  CHECK_FALSE(f.auth.start(fixture::tls_ctx(), "SCRAM-SHA-512"));
  CHECK(f.auth.start(fixture::tls_ctx(), "scram-sha-256"));  // case-insensitive
}

TEST_CASE("check_password: account password, app password, wrong, unknown, disabled") {
  fixture f;
  auto ctx = fixture::tls_ctx();
  auto ok = f.auth.check_password(ctx, "Bob@Home.test", "bob-password");
  CHECK(ok.result == outcome::ok);
  CHECK(ok.address == "bob@home.test");
  CHECK(f.auth.check_password(ctx, "bob@home.test", "app-pass-word").result == outcome::ok);
  auto bad = f.auth.check_password(ctx, "bob@home.test", "nope");
  auto unknown = f.auth.check_password(ctx, "nobody@home.test", "nope");
  CHECK(bad.result == outcome::failed);
  CHECK(unknown.result == outcome::failed);
  CHECK(bad.message == unknown.message);
  CHECK(f.auth.check_password(ctx, "eve@home.test", "eve-password").result == outcome::failed);
  CHECK(f.auth.check_password(ctx, "bob@home.test", "").result == outcome::failed);
}

TEST_CASE("check_account_password: the account password only, never an app password") {
  fixture f;
  auto ctx = fixture::tls_ctx(std::nullopt, "web");
  auto ok = f.auth.check_account_password(ctx, "Bob@Home.test", "bob-password");
  CHECK(ok.result == outcome::ok);
  CHECK(ok.address == "bob@home.test");
  auto app = f.auth.check_account_password(ctx, "bob@home.test", "app-pass-word");
  CHECK(app.result == outcome::failed);
  CHECK(app.message == f.auth.check_account_password(ctx, "bob@home.test", "nope").message);
  CHECK(f.auth.check_account_password(ctx, "eve@home.test", "eve-password").result == outcome::failed);
}

TEST_CASE("PLAIN exchange") {
  fixture f;
  auto ctx = fixture::tls_ctx();
  SECTION("no initial response, then the message") {
    auto ex = f.auth.start(ctx, "PLAIN");
    auto c = ex->step(std::nullopt);
    CHECK(c.kind == kind::challenge);
    CHECK(c.server_data.empty());
    auto r = ex->step("\0bob@home.test\0bob-password"s);
    CHECK(r.kind == kind::ok);
    CHECK(r.final.address == "bob@home.test");
    CHECK(ex->step("\0bob@home.test\0bob-password"s).kind == kind::failed);  // already finished
  }
  SECTION("authzid equal to the user") {
    CHECK(f.auth.start(ctx, "PLAIN")->step("bob@home.test\0bob@home.test\0bob-password"s).kind == kind::ok);
  }
  SECTION("authzid of someone else") {
    CHECK(f.auth.start(ctx, "PLAIN")->step("eve@home.test\0bob@home.test\0bob-password"s).kind ==
          kind::failed);
  }
  SECTION("malformed") {
    CHECK(f.auth.start(ctx, "PLAIN")->step("bob@home.test bob-password"s).kind == kind::failed);
    CHECK(f.auth.start(ctx, "PLAIN")->step(""s).kind == kind::failed);
  }
  SECTION("wrong password, app password") {
    CHECK(f.auth.start(ctx, "PLAIN")->step("\0bob@home.test\0bad"s).final.result == outcome::failed);
    CHECK(f.auth.start(ctx, "PLAIN")->step("\0bob@home.test\0app-pass-word"s).kind == kind::ok);
  }
}

TEST_CASE("LOGIN exchange") {
  fixture f;
  auto ctx = fixture::tls_ctx();
  auto ex = f.auth.start(ctx, "LOGIN");
  auto s = ex->step(std::nullopt);
  CHECK(s.kind == kind::challenge);
  CHECK(s.server_data == "Username:");
  s = ex->step("bob@home.test"s);
  CHECK(s.server_data == "Password:");
  CHECK(ex->step("bob-password"s).kind == kind::ok);

  auto ir = f.auth.start(ctx, "LOGIN");  // user name as initial response
  CHECK(ir->step("bob@home.test"s).server_data == "Password:");
  CHECK(ir->step("wrong"s).kind == kind::failed);
}

TEST_CASE("SCRAM-SHA-1 through the authenticator: RFC 5802 §5 bytes") {
  fixture f;
  f.nonce = "3rfcNHYJY1ZVvWVs7j";
  auto salt = crypto::base64_decode("QSXCR+Q6sek8bf92").value();
  directory::stored_credentials creds;
  creds.scram_sha1 = format_scram(derive_scram(crypto::hash::sha1, "pencil", salt, 4096));
  f.users.add(user_record{7, "user", false, {{"", creds}}});
  auto ex = f.auth.start(fixture::tls_ctx(), "SCRAM-SHA-1");
  auto s1 = ex->step("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"s);
  REQUIRE(s1.kind == kind::challenge);
  CHECK(s1.server_data == "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  auto s2 = ex->step(
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="s);
  REQUIRE(s2.kind == kind::ok);
  CHECK(s2.server_data == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  CHECK(s2.final.address == "user");
}

TEST_CASE("SCRAM with random nonces: right, wrong, app password, unknown, disabled") {
  fixture f;
  auto ctx = fixture::tls_ctx();
  for (auto [mech, h] : {std::pair{"SCRAM-SHA-256", crypto::hash::sha256},
                         std::pair{"SCRAM-SHA-1", crypto::hash::sha1}}) {
    test::scram_client right(h, "bob@home.test", "bob-password", rnd_nonce());
    auto r = f.scram(ctx, mech, right);
    CHECK(r.kind == kind::ok);
    CHECK(r.final.address == "bob@home.test");

    test::scram_client app(h, "bob@home.test", "app-pass-word", rnd_nonce());
    CHECK(f.scram(ctx, mech, app).kind == kind::ok);

    test::scram_client wrong(h, "bob@home.test", "bob-passwore", rnd_nonce());
    CHECK(f.scram(ctx, mech, wrong).kind == kind::failed);

    test::scram_client disabled(h, "eve@home.test", "eve-password", rnd_nonce());
    CHECK(f.scram(ctx, mech, disabled).kind == kind::failed);
  }
  // An unknown user gets a salt too, the same one each time, and fails like a wrong password.
  auto first_for = [&](std::string_view user) {
    auto ex = f.auth.start(ctx, "SCRAM-SHA-256");
    auto s = ex->step("n,,n=" + std::string(user) + ",r=abc");
    REQUIRE(s.kind == kind::challenge);
    return s.server_data.substr(s.server_data.find(",s="));
  };
  CHECK(first_for("nobody@home.test") == first_for("nobody@home.test"));
  CHECK(first_for("nobody@home.test") != first_for("other@home.test"));
  test::scram_client ghost(crypto::hash::sha256, "nobody@home.test", "x", rnd_nonce());
  CHECK(f.scram(ctx, "SCRAM-SHA-256", ghost).final.result == outcome::failed);
}

TEST_CASE("SCRAM-PLUS and downgrade protection through the authenticator") {
  fixture f;
  const std::string cb = crypto::random_bytes(32);
  auto ctx = fixture::tls_ctx(cb, "xmpp");

  test::scram_client good(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  good.set_channel_binding(cb);
  CHECK(f.scram(ctx, "SCRAM-SHA-256-PLUS", good).kind == kind::ok);

  test::scram_client mitm(crypto::hash::sha1, "bob@home.test", "bob-password", rnd_nonce());
  mitm.set_channel_binding(crypto::random_bytes(32));  // the client's TLS session differs
  CHECK(f.scram(ctx, "SCRAM-SHA-1-PLUS", mitm).kind == kind::failed);

  // 'y': the client could bind but did not see -PLUS, yet we offered it.
  test::scram_client downgraded(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  downgraded.set_gs2_flag("y");
  CHECK(f.scram(ctx, "SCRAM-SHA-256", downgraded).kind == kind::failed);

  // 'n' with the non-PLUS mechanism is fine even when -PLUS is offered.
  test::scram_client unbound(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  CHECK(f.scram(ctx, "SCRAM-SHA-256", unbound).kind == kind::ok);

  // 'y' without -PLUS on offer is fine.
  test::scram_client y_ok(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  y_ok.set_gs2_flag("y");
  CHECK(f.scram(fixture::tls_ctx(), "SCRAM-SHA-256", y_ok).kind == kind::ok);

  test::scram_client other(crypto::hash::sha256, "bob@home.test", "bob-password", rnd_nonce());
  other.set_authzid("eve@home.test");
  CHECK(f.scram(fixture::tls_ctx(), "SCRAM-SHA-256", other).kind == kind::failed);
}

TEST_CASE("throttling through the authenticator") {
  fixture f;
  auto ctx = fixture::tls_ctx();
  for (int i = 0; i < 3; ++i)
    CHECK(f.auth.check_password(ctx, "bob@home.test", "bad").delay == 0ms);
  CHECK(f.auth.check_password(ctx, "bob@home.test", "bad").delay == 1000ms);
  // Successes are delayed as well, then the account's count is forgotten.
  auto ok = f.auth.check_password(ctx, "bob@home.test", "bob-password");
  CHECK(ok.result == outcome::ok);
  CHECK(ok.delay == 2000ms);  // the IP has 4 failures
  for (int i = 0; i < 6; ++i) f.auth.check_password(ctx, "bob@home.test", "bad");
  // 10 failures from this IP: blocked, even with the right password, for SCRAM too.
  CHECK(f.auth.check_password(ctx, "bob@home.test", "bob-password").result == outcome::blocked);
  auto ex = f.auth.start(ctx, "SCRAM-SHA-256");
  CHECK(ex->step("n,,n=bob@home.test,r=abc"s).final.result == outcome::blocked);
  auto other_ip = fixture::tls_ctx();
  other_ip.remote_ip = "198.51.100.20";
  CHECK(f.auth.check_password(other_ip, "bob@home.test", "bob-password").result == outcome::ok);
  f.now += std::chrono::seconds(900);
  CHECK(f.auth.check_password(ctx, "bob@home.test", "bob-password").result == outcome::ok);
}

TEST_CASE("a guesser elsewhere never locks the owner out of a known address") {
  fixture f;
  auto home = fixture::tls_ctx();
  home.remote_ip = "203.0.113.5";
  auto guesser = fixture::tls_ctx();
  guesser.remote_ip = "198.51.100.66";
  guesser.proto = "smtp";
  auto roaming = fixture::tls_ctx();
  roaming.remote_ip = "192.0.2.200";
  // The owner has logged in from home before: the address is remembered.
  CHECK(f.auth.check_password(home, "bob@home.test", "bob-password").result == outcome::ok);
  for (int i = 0; i < 10; ++i) f.auth.check_password(guesser, "bob@home.test", "guess" + std::to_string(i));
  CHECK(f.auth.check_password(guesser, "bob@home.test", "bob-password").result == outcome::blocked);
  // From home: no block and no delay, over SASL too.
  auto ok = f.auth.check_password(home, "bob@home.test", "bob-password");
  CHECK(ok.result == outcome::ok);
  CHECK(ok.delay == 0ms);
  auto ex = f.auth.start(home, "PLAIN");
  REQUIRE(ex);
  auto st = ex->step("\0bob@home.test\0app-pass-word"s);
  CHECK(st.kind == kind::ok);
  CHECK(st.final.delay == 0ms);
  // A new address is slowed, not refused; once it fails, it is refused too.
  auto slow = f.auth.check_password(roaming, "bob@home.test", "bob-password");
  CHECK(slow.result == outcome::ok);
  CHECK(slow.delay == 8000ms);
  auto other = fixture::tls_ctx();
  other.remote_ip = "192.0.2.201";
  CHECK(f.auth.check_password(other, "bob@home.test", "wrong").result == outcome::failed);
  CHECK(f.auth.check_password(other, "bob@home.test", "bob-password").result == outcome::blocked);
  // The history: each wrong password, then where the blocks started.
  int failed = 0, blocked_ip = 0, blocked_account = 0;
  for (auto& [user, ip, proto, event] : f.users.events) {
    CHECK(user == "bob@home.test");
    if (event == "failed") ++failed;
    if (event == "blocked_ip") {
      ++blocked_ip;
      CHECK(ip == "198.51.100.66");
      CHECK(proto == "smtp");
    }
    if (event == "blocked_account") ++blocked_account;
  }
  CHECK(blocked_account == 1);
  CHECK(failed == 11);
  CHECK(blocked_ip == 1);
  CHECK(f.users.known_address("bob@home.test", "203.0.113.5"));
  CHECK(f.users.known_address("bob@home.test", "192.0.2.200"));
  CHECK_FALSE(f.users.known_address("bob@home.test", "198.51.100.66"));
}

TEST_CASE("user_domain completes a bare name (XMPP localpart logins)") {
  fixture f;
  auto ctx = fixture::tls_ctx();
  ctx.user_domain = "home.test";
  auto ok = f.auth.check_password(ctx, "bob", "bob-password");
  CHECK(ok.result == outcome::ok);
  CHECK(ok.address == "bob@home.test");
  CHECK(f.auth.check_password(ctx, "bob@home.test", "app-pass-word").result == outcome::ok);
  CHECK(f.auth.check_password(fixture::tls_ctx(), "bob", "bob-password").result == outcome::failed);
  auto ex = f.auth.start(ctx, "PLAIN");
  REQUIRE(ex);
  CHECK(ex->step("\0bob\0app-pass-word"s).kind == kind::ok);
  test::scram_client sc(crypto::hash::sha256, "bob", "bob-password", rnd_nonce());
  auto r = f.scram(ctx, "SCRAM-SHA-256", sc);
  CHECK(r.kind == kind::ok);
  CHECK(r.final.address == "bob@home.test");
  CHECK(authenticator::qualify(ctx, "eve") == "eve@home.test");
  CHECK(authenticator::qualify(ctx, "eve@x.test") == "eve@x.test");
  CHECK(authenticator::qualify(fixture::tls_ctx(), "eve") == "eve");
}

TEST_CASE("HT-SHA-256-NONE token logins: proof both ways, wrong tokens counted, disabled accounts refused") {
  fixture f;
  auto tokens = [](const std::string& address) -> std::vector<std::string> {
    if (address == "bob@home.test") return {"new-token", "current-token"};
    if (address == "eve@home.test") return {"eve-token"};
    return {};
  };
  auto login = [&](std::string user, std::string token, std::shared_ptr<std::size_t> matched = nullptr) {
    auto ex = f.auth.start_token(f.tls_ctx(std::nullopt, "xmpp"), "HT-SHA-256-NONE", tokens, matched);
    REQUIRE(ex);
    return ex->step(user + '\0' + crypto::hmac_sha256(token, "Initiator"));
  };
  auto matched = std::make_shared<std::size_t>(99);
  auto ok = login("bob@home.test", "current-token", matched);
  REQUIRE(ok.kind == kind::ok);
  CHECK(ok.final.address == "bob@home.test");
  CHECK(*matched == 1);
  CHECK(ok.server_data == crypto::hmac_sha256("current-token", "Responder"));
  CHECK(login("bob@home.test", "new-token", matched).kind == kind::ok);
  CHECK(*matched == 0);
  CHECK(login("bob@home.test", "stolen-guess").kind == kind::failed);
  CHECK(login("eve@home.test", "eve-token").kind == kind::failed);  // disabled
  CHECK(login("nobody@home.test", "x").kind == kind::failed);
  CHECK(f.auth.start_token(f.tls_ctx(), "SCRAM-SHA-1", tokens, nullptr) == nullptr);
  // Malformed: no initial response, no NUL, a proof of the wrong size.
  auto ex = f.auth.start_token(f.tls_ctx(), "ht-sha-256-none", tokens, nullptr);
  REQUIRE(ex);
  CHECK(ex->step(std::nullopt).kind == kind::failed);
  ex = f.auth.start_token(f.tls_ctx(), "HT-SHA-256-NONE", tokens, nullptr);
  CHECK(ex->step("bob@home.test"s + '\0' + "short").kind == kind::failed);
  // Without TLS: refused before anything is looked at.
  context plain{"xmpp", "192.0.2.10", false, std::nullopt};
  ex = f.auth.start_token(plain, "HT-SHA-256-NONE", tokens, nullptr);
  REQUIRE(ex);
  CHECK(ex->step("bob@home.test"s + '\0' + crypto::hmac_sha256("current-token", "Initiator")).final.result ==
        outcome::tls_required);
  // Wrong tokens are guesses like wrong passwords: enough of them block the address.
  for (int i = 0; i < 40; ++i) (void)login("bob@home.test", "guess-" + std::to_string(i));
  CHECK(login("bob@home.test", "current-token").final.result == outcome::blocked);
}
