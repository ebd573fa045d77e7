#include <catch2/catch.hpp>

#include "core/crypto/crypto.hpp"
#include "core/crypto/keys.hpp"
#include "mail/mailauth/canon.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/mailauth/tags.hpp"

using namespace hearth::mail::mailauth;
using hearth::mail::parse_header;

namespace {
std::string crlf(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// RFC 8463 Appendix A.3: the example message signed with Ed25519 (brisbane) and RSA (test).
const std::string rfc8463_message = crlf(
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\n"
    " subject : date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\n"
    " date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\n"
    "From: Joe SixPack <joe@football.example.com>\n"
    "To: Suzie Q <suzie@shopping.example.net>\n"
    "Subject: Is dinner ready?\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\n"
    "\n"
    "Hi.\n"
    "\n"
    "We lost the game.  Are you hungry yet?\n"
    "\n"
    "Joe.\n");
const std::string brisbane_key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const std::string test_key =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
    "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
    "2kryOTIKT+l/K4w3QIDAQAB";

key_answer txt(std::string v) { return key_answer{key_answer::ok, {std::move(v)}}; }

std::vector<verification> verify_all(const std::string& msg, const std::map<std::string, std::string>& keys) {
  auto h = parse_header(msg);
  std::vector<verification> out;
  for (auto& s : find_signatures(h)) {
    auto it = keys.find(s.key_name());
    out.push_back(verify(msg, h, s, it == keys.end() ? key_answer{} : txt(it->second), 1700000000));
  }
  return out;
}
}  // namespace

TEST_CASE("tag lists", "[dkim]") {
  auto t = parse_tags(" a = 1 ; b=x\r\n y;c=");
  REQUIRE(t);
  CHECK((*t)["a"] == "1");
  CHECK((*t)["b"] == "x\r\n y");
  CHECK((*t)["c"].empty());
  CHECK(parse_tags("a=1;")->size() == 1);
  CHECK_FALSE(parse_tags("a=1; a=2"));
  CHECK_FALSE(parse_tags("1a=1"));
  CHECK_FALSE(parse_tags("a"));
  CHECK_FALSE(parse_tags("a=1;;b=2"));
}

TEST_CASE("relaxed and simple canonicalization (RFC 6376 §3.4.5 example)", "[dkim]") {
  CHECK(canon_header("A: X\r\n", true) == "a:X\r\n");
  CHECK(canon_header("B : Y\t\r\n\tZ  \r\n", true) == "b:Y Z\r\n");
  CHECK(canon_header("B : Y\t\r\n\tZ  \r\n", false) == "B : Y\t\r\n\tZ  \r\n");
  const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  CHECK(canon_body(body, true) == " C\r\nD E\r\n");
  CHECK(canon_body(body, false) == " C \r\nD \t E\r\n");
  CHECK(canon_body("", false) == "\r\n");
  CHECK(canon_body("", true).empty());
  CHECK(canon_body("\r\n\r\n", true).empty());
  CHECK(canon_body("abc", true) == "abc\r\n");
  CHECK(canon_body("a\r\n\r\nb\r\n\r\n", true) == "a\r\n\r\nb\r\n");
}

TEST_CASE("signature parsing", "[dkim]") {
  auto s = parse_signature("v=1; a=rsa-sha256; d=Example.org; s=sel; h=From:To; bh=YWJj; b=YW Jj");
  REQUIRE(s);
  CHECK(s->domain == "example.org");
  CHECK(s->headers == std::vector<std::string>{"from", "to"});
  CHECK(s->auid == "@example.org");
  CHECK_FALSE(s->header_relaxed);
  CHECK(parse_signature("v=1; a=rsa-sha256; d=x.org; s=s; h=to; bh=YWJj; b=YWJj").error().code == "dkim.domain");
  CHECK(parse_signature("v=2; a=rsa-sha256; d=x.org; s=s; h=from; bh=YWJj; b=YWJj").error().code == "dkim.version");
  CHECK(parse_signature("v=1; a=rsa-md5; d=x.org; s=s; h=from; bh=YWJj; b=YWJj").error().code == "dkim.algorithm");
  CHECK(parse_signature("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=YWJj").error().code == "dkim.missing");
  CHECK(parse_signature("v=1; a=rsa-sha256; d=x.org; i=a@y.org; s=s; h=from; bh=YWJj; b=YWJj").error().code == "dkim.domain");
  CHECK(parse_signature("v=1; a=rsa-sha256; d=x.org; i=a@sub.x.org; s=s; h=from; bh=YWJj; b=YWJj"));
}

TEST_CASE("RFC 8463 Appendix A: Ed25519 and RSA signatures verify", "[dkim]") {
  std::map<std::string, std::string> keys{{"brisbane._domainkey.football.example.com", brisbane_key},
                                          {"test._domainkey.football.example.com", test_key}};
  auto v = verify_all(rfc8463_message, keys);
  REQUIRE(v.size() == 2);
  CHECK(v[0].algorithm == "ed25519-sha256");
  CHECK(v[0].status == dkim_status::pass);
  CHECK(v[0].reason.empty());
  CHECK(v[1].algorithm == "rsa-sha256");
  CHECK(v[1].status == dkim_status::pass);

  // A changed body breaks both; a changed signed header breaks the signature only.
  std::string body_changed = rfc8463_message;
  body_changed.replace(body_changed.find("hungry"), 6, "HUNGRY");
  for (auto& x : verify_all(body_changed, keys)) {
    CHECK(x.status == dkim_status::fail);
    CHECK(x.reason == "body hash did not verify");
  }
  std::string subject_changed = rfc8463_message;
  subject_changed.replace(subject_changed.find("dinner"), 6, "lunch!");
  for (auto& x : verify_all(subject_changed, keys)) CHECK(x.reason == "signature did not verify");
  // An added From (over-signed in h=) breaks it.
  std::string added = rfc8463_message;
  added.insert(added.find("\r\n\r\n") + 2, "From: evil@example.net\r\n");
  for (auto& x : verify_all(added, keys)) CHECK(x.status == dkim_status::fail);
  // Missing keys / DNS trouble / wrong key type.
  auto none = verify_all(rfc8463_message, {});
  CHECK(none[0].status == dkim_status::permerror);
  auto h = parse_header(rfc8463_message);
  auto sigs = find_signatures(h);
  CHECK(verify(rfc8463_message, h, sigs[0], key_answer{key_answer::temporary, {}}, 0).status == dkim_status::temperror);
  CHECK(verify(rfc8463_message, h, sigs[0], txt(test_key), 0).status == dkim_status::permerror);
  CHECK(verify(rfc8463_message, h, sigs[1], txt("v=DKIM1; k=rsa; p="), 0).status == dkim_status::permerror);
}

TEST_CASE("sign then verify, RSA and Ed25519, long headers, 8-bit body, trailing blank lines", "[dkim]") {
  std::string msg = crlf(
      "Received: from x\n"
      "From: Alice <alice@a.test>\n"
      "To: bob@b.test\n"
      "Subject: a very long subject line that goes on and on and on and on and on and on and on and on\n"
      " and is folded once\n"
      "Date: Sun, 22 Nov 2026 22:00:00 +0000\n"
      "\n"
      "Gr\xc3\xbc\xc3\x9f""e   with  spaces   \n"
      "\n\n\n");
  for (bool ed : {false, true}) {
    auto kp = ed ? hearth::crypto::generate_ed25519() : hearth::crypto::generate_rsa(2048);
    REQUIRE(kp);
    signing_key k{"a.test", "sel", ed ? "ed25519-sha256" : "rsa-sha256", kp->private_pem};
    auto field = sign(msg, k, 1700000000);
    REQUIRE(field);
    CHECK(field->find("h=from:") != std::string::npos);
    // From is over-signed: listed one more time than it occurs.
    std::string signed_msg = *field + msg;
    std::string rec = std::string("v=DKIM1; k=") + (ed ? "ed25519" : "rsa") + "; p=" + kp->dkim_public;
    auto v = verify_all(signed_msg, {{"sel._domainkey.a.test", rec}});
    REQUIRE(v.size() == 1);
    CHECK(v[0].status == dkim_status::pass);
    CHECK(v[0].reason.empty());
    // Relaxed: whitespace changes in the body do not matter; added lines at the end neither.
    std::string ws = signed_msg;
    ws.replace(ws.find("with  spaces"), 12, "with\tspaces ");
    CHECK(verify_all(ws, {{"sel._domainkey.a.test", rec}})[0].status == dkim_status::pass);
    std::string more = signed_msg + "more\r\n";
    CHECK(verify_all(more, {{"sel._domainkey.a.test", rec}})[0].status == dkim_status::fail);
  }
  CHECK_FALSE(sign(msg, signing_key{"a.test", "s", "rsa-sha256", "garbage"}, 0));
}

TEST_CASE("short RSA keys are refused", "[dkim]") {
  auto kp = hearth::crypto::generate_rsa(512);
  if (!kp) return;  // OpenSSL may refuse to make one at all
  std::string msg = "From: a@a.test\r\n\r\nhi\r\n";
  auto field = sign(msg, signing_key{"a.test", "s", "rsa-sha256", kp->private_pem}, 0);
  REQUIRE(field);
  auto v = verify_all(*field + msg, {{"s._domainkey.a.test", "v=DKIM1; p=" + kp->dkim_public}});
  CHECK(v[0].status == dkim_status::permerror);
}

TEST_CASE("l= with unsigned content after it is not a pass; several signatures are each checked", "[dkim]") {
  auto kp = hearth::crypto::generate_ed25519();
  REQUIRE(kp);
  const std::string rec = "v=DKIM1; k=ed25519; p=" + kp->dkim_public;
  const std::string msg = "From: a@a.test\r\nSubject: s\r\n\r\nsigned part\r\n";
  auto field = sign(msg, signing_key{"a.test", "s", "ed25519-sha256", kp->private_pem}, 0);
  REQUIRE(field);
  // l= parsing here; the verdict for content after l= is checked end to end with
  // python3-dkim's length=True signatures (e2e.mailauth_dkim).
  auto sig = parse_signature("v=1; a=ed25519-sha256; d=a.test; s=s; l=13; h=from; bh=YWJj; b=YWJj");
  REQUIRE(sig);
  CHECK(sig->length == 13u);
  CHECK_FALSE(parse_signature("v=1; a=ed25519-sha256; d=a.test; s=s; l=x; h=from; bh=YWJj; b=YWJj"));
  // Two signatures (one broken): each gets its own verdict.
  std::string two = *field + "DKIM-Signature: v=1; a=rsa-sha256; d=b.test; s=x; h=from; bh=YWJj; b=YWJj\r\n" + msg;
  auto h = parse_header(two);
  auto sigs = find_signatures(h);
  REQUIRE(sigs.size() == 2);
  CHECK(verify(two, h, sigs[0], txt(rec), 0).status == dkim_status::pass);
  CHECK(verify(two, h, sigs[1], key_answer{}, 0).status == dkim_status::permerror);
  // Expired signatures fail.
  auto exp = parse_signature("v=1; a=ed25519-sha256; d=a.test; s=s; x=10; h=from; bh=YWJj; b=YWJj");
  REQUIRE(exp);
  found_signature fs;
  fs.sig = *exp;
  CHECK(verify(two, h, fs, txt(rec), 100).reason == "signature expired");
}

TEST_CASE("body_hasher gives canon_body's hash for a body cut anywhere, with and without l=", "[dkim]") {
  const std::string bodies[] = {
      "", "\r\n", "\r\n\r\n", "a", "a  b \t\r\n\r\n\r\n", " lead\r\n\r\nmid  \r\n\r\nend\r\n\r\n",
      "no final line end  \t", "x\r\n" + std::string(70000, 'y') + " \r\n\r\nz\r\n\r\n"};
  for (const auto& b : bodies) {
    for (bool relaxed : {false, true}) {
      const std::string want = canon_body(b, relaxed);
      for (std::size_t cut : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(7), std::size_t(65536), b.size() + 1}) {
        for (std::optional<std::uint64_t> l : {std::optional<std::uint64_t>(), std::optional<std::uint64_t>(1),
                                              std::optional<std::uint64_t>(want.size() / 2),
                                              std::optional<std::uint64_t>(want.size())}) {
          if (l && *l > want.size()) continue;
          body_hasher h(relaxed, l);
          for (std::size_t at = 0; at < b.size(); at += cut) h.feed(std::string_view(b).substr(at, cut));
          std::uint64_t size = 0;
          const std::string got = h.finish(size);
          CHECK(size == want.size());
          CHECK(got == hearth::crypto::sha256(l ? want.substr(0, *l) : want));
        }
      }
    }
  }
}

TEST_CASE("sign and verify with the body read in pieces", "[dkim]") {
  auto kp = hearth::crypto::generate_ed25519();
  REQUIRE(kp);
  const std::string rec = "v=DKIM1; k=ed25519; p=" + kp->dkim_public;
  const std::string header = "From: a@a.test\r\nSubject: s\r\n\r\n";
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "line " + std::to_string(i) + "  with   spaces\r\n";
  auto pieces = [&body](std::size_t n) {
    return body_pieces([&body, n](const std::function<void(std::string_view)>& piece) {
      for (std::size_t at = 0; at < body.size(); at += n) piece(std::string_view(body).substr(at, n));
      return true;
    });
  };
  const signing_key k{"a.test", "s", "ed25519-sha256", kp->private_pem};
  auto whole = sign(header + body, k, 1700000000);
  auto streamed = sign(header, k, 1700000000, pieces(4093));
  REQUIRE(whole);
  REQUIRE(streamed);
  CHECK(*whole == *streamed);  // ed25519 is deterministic: same bh, same b
  const std::string signed_header = *streamed + header;
  auto h = parse_header(signed_header);
  auto sigs = find_signatures(h);
  REQUIRE(sigs.size() == 1);
  key_answer key{key_answer::ok, {rec}};
  CHECK(verify(signed_header, h, sigs[0], key, 1700000000, pieces(77)).status == dkim_status::pass);
  CHECK(verify_all(signed_header + body, {{"s._domainkey.a.test", rec}})[0].status == dkim_status::pass);
  body += "added\r\n";
  CHECK(verify(signed_header, h, sigs[0], key, 1700000000, pieces(77)).status == dkim_status::fail);
  auto unreadable = body_pieces([](const std::function<void(std::string_view)>&) { return false; });
  CHECK(verify(signed_header, h, sigs[0], key, 1700000000, unreadable).status == dkim_status::temperror);
}
