#include <catch2/catch.hpp>

#include "core/crypto/keys.hpp"
#include "mail/mailauth/arc.hpp"

using namespace hearth::mail::mailauth;
using hearth::mail::parse_header;

namespace {

struct hop {
  std::string domain, selector;
  hearth::crypto::key_pair kp;
  std::string host;  // authserv-id
};

hop make_hop(const std::string& domain, const std::string& host) {
  auto kp = hearth::crypto::generate_rsa(2048);
  REQUIRE(kp);
  return {domain, "arc", *kp, host};
}

std::map<std::string, key_answer> keys_of(const std::vector<const hop*>& hops) {
  std::map<std::string, key_answer> out;
  for (const auto* h : hops)
    out[h->selector + "._domainkey." + h->domain] = key_answer{key_answer::ok, {"v=DKIM1; k=rsa; p=" + h->kp.dkim_public}};
  return out;
}

arc_verification check(const std::string& msg, const std::map<std::string, key_answer>& keys) {
  auto h = parse_header(msg);
  return verify_arc(msg, h, keys);
}

// What a hop does: verify the incoming chain, write its Authentication-Results with arc=, seal.
std::string pass_through(const hop& h, std::string msg, const std::map<std::string, key_answer>& keys) {
  auto v = check(msg, keys);
  std::string ar = "Authentication-Results: " + h.host + ";\r\n\tspf=pass smtp.mailfrom=joe@orig.test;\r\n\tarc=" +
                   v.result + "\r\n";
  msg = ar + msg;
  auto set = arc_seal(msg, signing_key{h.domain, h.selector, "rsa-sha256", h.kp.private_pem}, h.host, 1796000000);
  REQUIRE(set);
  return *set + msg;
}

const std::string original =
    "From: Joe <joe@orig.test>\r\nTo: list@fwd1.test\r\nSubject: dinner\r\n"
    "Date: Sun, 06 Dec 2026 17:00:00 +0000\r\nMessage-ID: <1@orig.test>\r\n\r\nHi.\r\n\r\nAre you hungry?\r\n";

}  // namespace

TEST_CASE("arc: a message without ARC fields has no chain", "[arc]") {
  auto v = check(original, {});
  CHECK(v.result == "none");
  CHECK(v.instances == 0);
  CHECK(arc_key_names(parse_header(original)).empty());
}

TEST_CASE("arc: two hops seal, the chain verifies, and breaks where it should", "[arc]") {
  hop a = make_hop("fwd1.test", "mx.fwd1.test");
  hop b = make_hop("fwd2.test", "mx.fwd2.test");
  auto keys = keys_of({&a, &b});
  std::string one = pass_through(a, original, keys);
  CHECK(one.starts_with("ARC-Seal: i=1; a=rsa-sha256; t=1796000000; cv=none;"));
  CHECK(one.find("ARC-Authentication-Results: i=1; mx.fwd1.test;") != std::string::npos);
  auto v1 = check(one, keys);
  CHECK(v1.result == "pass");
  CHECK(v1.instances == 1);
  CHECK(v1.domain == "fwd1.test");

  std::string two = pass_through(b, one, keys);
  CHECK(two.find("ARC-Seal: i=2; a=rsa-sha256; t=1796000000; cv=pass;") == 0);
  auto names = arc_key_names(parse_header(two));
  CHECK(names == std::set<std::string>{"arc._domainkey.fwd1.test", "arc._domainkey.fwd2.test"});
  auto v2 = check(two, keys);
  CHECK(v2.result == "pass");
  CHECK(v2.instances == 2);
  CHECK(v2.oldest_pass == 0);

  SECTION("a changed body after the last seal fails") {
    std::string changed = two;
    changed.replace(changed.find("hungry"), 6, "thirst");
    auto v = check(changed, keys);
    CHECK(v.result == "fail");
    CHECK(v.reason.find("body hash") != std::string::npos);
  }
  SECTION("a list that verifies, adds a footer and seals keeps the chain, with oldest-pass") {
    CHECK(check(one, keys).result == "pass");
    std::string footer = "Authentication-Results: mx.fwd2.test; arc=pass\r\n" + one + "-- \r\nlist footer\r\n";
    auto set = arc_seal(footer, signing_key{b.domain, b.selector, "rsa-sha256", b.kp.private_pem}, b.host, 0);
    REQUIRE(set);
    auto v = check(*set + footer, keys);
    CHECK(v.result == "pass");
    CHECK(v.oldest_pass == 2);
    // Had the footer come after the seal, the newest signature would not verify.
    CHECK(check(*set + "Authentication-Results: mx.fwd2.test; arc=pass\r\n" + one + "x\r\n", keys).result == "fail");
  }
  SECTION("a body changed before a hop verified it: that hop says cv=fail, and so does the chain") {
    std::string resealed = pass_through(b, one + "-- \r\nfooter\r\n", keys);
    CHECK(resealed.find("cv=fail") != std::string::npos);
    CHECK(check(resealed, keys).result == "fail");
  }
  SECTION("a changed ARC-Authentication-Results of hop 1 breaks the seals") {
    std::string forged = two;
    const std::string was = "i=1; mx.fwd1.test;\r\n\tspf=pass";
    forged.replace(forged.find(was), was.size(), "i=1; mx.fwd1.test;\r\n\tspf=fail");
    auto v = check(forged, keys);
    CHECK(v.result == "fail");
    CHECK(v.reason.find("ARC-Seal i=") != std::string::npos);
  }
  SECTION("the wrong key fails") {
    auto wrong = keys_of({&a, &a});
    wrong["arc._domainkey.fwd2.test"] = wrong["arc._domainkey.fwd1.test"];
    CHECK(check(two, wrong).result == "fail");
    auto none = keys;
    none.erase("arc._domainkey.fwd1.test");
    CHECK(check(two, none).result == "fail");
  }
  SECTION("a missing or doubled field breaks the structure") {
    std::string missing = two;
    auto at = missing.find("ARC-Message-Signature: i=1;");
    REQUIRE(at != std::string::npos);
    auto end = missing.find("\r\nARC-", at);
    missing.erase(at, end + 2 - at);
    auto v = check(missing, keys);
    CHECK(v.result == "fail");
    CHECK(v.reason.find("incomplete") != std::string::npos);
    std::string doubled = "ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=x.test; s=s; b=AAAA\r\n" + two;
    CHECK(check(doubled, keys).result == "fail");
    std::string gap = "ARC-Seal: i=4; a=rsa-sha256; cv=pass; d=x.test; s=s; b=AAAA\r\n" + two;
    CHECK(check(gap, keys).result == "fail");
  }
}

TEST_CASE("arc: sealing refuses what RFC 8617 §5.1.2 forbids", "[arc]") {
  hop a = make_hop("fwd1.test", "mx.fwd1.test");
  signing_key k{a.domain, a.selector, "rsa-sha256", a.kp.private_pem};
  auto keys = keys_of({&a});
  std::string one = pass_through(a, original, keys);
  // A chain present but no arc= of ours: we do not know its state, so we do not vouch for it.
  auto unverified = arc_seal("Authentication-Results: mx.fwd2.test; spf=pass\r\n" + one, k, "mx.fwd2.test", 0);
  REQUIRE_FALSE(unverified);
  CHECK(unverified.error().code == "arc.unverified");
  // We found it failed: one more set, with cv=fail ...
  auto failed_set = arc_seal("Authentication-Results: mx.fwd2.test; arc=fail\r\n" + one, k, "mx.fwd2.test", 0);
  REQUIRE(failed_set);
  CHECK(failed_set->find("cv=fail") != std::string::npos);
  std::string failed = *failed_set + "Authentication-Results: mx.fwd2.test; arc=fail\r\n" + one;
  CHECK(check(failed, keys).result == "fail");
  // ... after which nobody adds another.
  auto after = arc_seal("Authentication-Results: mx.fwd3.test; arc=fail\r\n" + failed, k, "mx.fwd3.test", 0);
  REQUIRE_FALSE(after);
  CHECK(after.error().code == "arc.chain_failed");
  // Ed25519 keys are not ARC's.
  auto ed = hearth::crypto::generate_ed25519();
  REQUIRE(ed);
  CHECK_FALSE(arc_seal(original, signing_key{"x.test", "e", "ed25519-sha256", ed->private_pem}, "h", 0));
  // Without our Authentication-Results the set still says what we saw: nothing.
  auto bare = arc_seal(original, k, "mx.fwd1.test", 0);
  REQUIRE(bare);
  CHECK(bare->find("ARC-Authentication-Results: i=1; mx.fwd1.test; none") != std::string::npos);
}

TEST_CASE("arc: fifty sets verify, a fifty-first is refused, limits hold", "[arc]") {
  hop a = make_hop("fwd1.test", "mx.fwd1.test");
  auto keys = keys_of({&a});
  std::string msg = original;
  for (int i = 0; i < max_arc_instances; ++i) msg = pass_through(a, msg, keys);
  auto v = check(msg, keys);
  CHECK(v.result == "pass");
  CHECK(v.instances == max_arc_instances);
  auto more = arc_seal("Authentication-Results: mx.fwd1.test; arc=pass\r\n" + msg,
                       signing_key{a.domain, a.selector, "rsa-sha256", a.kp.private_pem}, a.host, 0);
  REQUIRE_FALSE(more);
  CHECK(more.error().code == "arc.limit");
  // An instance number past 50 is a broken chain.
  CHECK(check("ARC-Seal: i=51; a=rsa-sha256; cv=pass; d=x.test; s=s; b=AAAA\r\n" + original, keys).result == "fail");
  // An h= list longer than any signer writes is refused before any work.
  std::string names;
  for (int i = 0; i < 300; ++i) names += "x-field-" + std::to_string(i) + ":";
  std::string one = pass_through(a, original, keys);
  std::string big = one;
  auto at = big.find(" h=");
  REQUIRE(at != std::string::npos);
  big.insert(at + 3, names);
  auto bv = check(big, keys);
  CHECK(bv.result == "fail");
  CHECK(bv.reason.find("too long") != std::string::npos);
}

TEST_CASE("arc: sealing a header section with the body read in pieces gives the same set", "[arc]") {
  hop a = make_hop("fwd1.test", "mx.fwd1.test");
  const signing_key k{a.domain, a.selector, "rsa-sha256", a.kp.private_pem};
  const std::string msg = "Authentication-Results: mx.fwd1.test; spf=pass\r\n" + original;
  const auto split = msg.find("\r\n\r\n") + 4;
  const std::string header = msg.substr(0, split), body = msg.substr(split);
  // Pieces cut inside a line and inside its CRLF: the canonical body does not depend on them.
  const body_pieces pieces = [&body](const std::function<void(std::string_view)>& piece) {
    for (std::size_t at = 0; at < body.size(); at += 5) piece(std::string_view(body).substr(at, 5));
    return true;
  };
  auto whole = arc_seal(msg, k, a.host, 1796000000);
  auto streamed = arc_seal(header, k, a.host, 1796000000, pieces);
  REQUIRE(whole);
  REQUIRE(streamed);
  CHECK(*streamed == *whole);
  CHECK(check(*streamed + msg, keys_of({&a})).result == "pass");
  // A body that cannot be read seals nothing.
  const body_pieces broken = [](const std::function<void(std::string_view)>&) { return false; };
  CHECK(arc_seal(header, k, a.host, 1796000000, broken).error().code == "dkim.sign");
}
