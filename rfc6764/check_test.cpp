// The pure judgement of `hearth dns check`: expected plan + observed answers -> findings.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "rfc6764/check.hpp"

using namespace hearth;
using namespace hearth::rfc6764;

namespace {

rrset ok(std::vector<std::string> v) {
  rrset r;
  r.st = dns::status::ok;
  r.values = std::move(v);
  return r;
}

rrset absent(dns::status st = dns::status::nxdomain) {
  rrset r;
  r.st = st;
  return r;
}

const std::string dkim_p = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest";
const std::string dkim_value = "v=DKIM1; k=rsa; p=" + dkim_p;

zone_plan sample_plan() {
  zone_plan p;
  p.domain = "example.org";
  auto add = [&](std::string name, std::string type, std::string value) {
    zone_record r;
    r.name = std::move(name);
    r.type = std::move(type);
    r.value = std::move(value);
    p.records.push_back(std::move(r));
  };
  add("example.org", "MX", "10 mail.example.org");
  add("mail.example.org", "A", "203.0.113.7");
  add("example.org", "TXT", "v=spf1 mx -all");
  add("_dmarc.example.org", "TXT", "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org");
  add("hearth._domainkey.example.org", "TXT", dkim_value);
  add("_imaps._tcp.example.org", "SRV", "0 1 993 mail.example.org");
  add("_caldav._tcp.example.org", "SRV", "0 0 0 .");
  add("autoconfig.example.org", "CNAME", "mail.example.org");
  add("example.org", "CAA", "0 issue \"letsencrypt.org\"");
  return p;
}

// What a correctly configured DNS answers for sample_plan().
observations good_answers() {
  observations o;
  o.put({"example.org", "MX"}, ok({"10 mail.example.org"}));
  o.put({"mail.example.org", "A"}, ok({"203.0.113.7"}));
  o.put({"mail.example.org", "AAAA"}, absent(dns::status::nodata));
  o.put({"example.org", "TXT"}, ok({"google-site-verification=abc", "v=spf1 mx -all"}));
  o.put({"_dmarc.example.org", "TXT"}, ok({"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org"}));
  // The zone splits the key into 255-byte strings; the resolver concatenates them.
  o.put({"hearth._domainkey.example.org", "TXT"}, ok({dkim_value}));
  o.put({"_imaps._tcp.example.org", "SRV"}, ok({"0 1 993 mail.example.org"}));
  o.put({"_caldav._tcp.example.org", "SRV"}, ok({"0 0 0 ."}));
  o.put({"autoconfig.example.org", "CNAME"}, ok({"mail.example.org"}));
  // Asked as A/AAAA, the alias is followed to its target's addresses.
  o.put({"autoconfig.example.org", "A"}, ok({"203.0.113.7"}));
  o.put({"autoconfig.example.org", "AAAA"}, absent(dns::status::nodata));
  o.put({"example.org", "CAA"}, ok({"0 issue \"letsencrypt.org\"", "0 iodef \"mailto:security@example.org\""}));
  return o;
}

const std::map<std::string, std::string> keys{{"hearth", dkim_p}};

std::vector<finding> failures(const std::vector<finding>& fs) {
  std::vector<finding> out;
  for (const auto& f : fs)
    if (f.lvl != finding::ok) out.push_back(f);
  return out;
}

}  // namespace

TEST_CASE("dns check: a zone as expected gives only OK") {
  auto fs = check_records(sample_plan(), good_answers(), keys);
  CHECK(fs.size() == 9);
  for (const auto& f : fs) INFO(format_finding(f));
  CHECK(failures(fs).empty());
  CHECK(format_tally(count(fs)) == "9 ok, 0 warnings, 0 failures");
}

TEST_CASE("dns check: the questions cover every record, CNAME also through addresses") {
  auto qs = questions_for(sample_plan());
  auto has = [&](const std::string& n, const std::string& t) {
    return std::find(qs.begin(), qs.end(), question{n, t}) != qs.end();
  };
  CHECK(has("example.org", "MX"));
  CHECK(has("hearth._domainkey.example.org", "TXT"));
  CHECK(has("autoconfig.example.org", "A"));
  CHECK(has("autoconfig.example.org", "AAAA"));
  CHECK(has("mail.example.org", "AAAA"));
  CHECK(has("autoconfig.example.org", "CNAME"));
  CHECK(has("example.org", "CAA"));
  CHECK_FALSE(has("mail.example.org", "CNAME"));
  std::set<question> unique(qs.begin(), qs.end());
  CHECK(unique.size() == qs.size());
}

TEST_CASE("dns check: a missing SRV record is one FAIL with the record to publish") {
  auto obs = good_answers();
  obs.put({"_imaps._tcp.example.org", "SRV"}, absent());
  auto bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].lvl == finding::fail);
  CHECK(bad[0].what == "SRV _imaps._tcp.example.org");
  CHECK(bad[0].fix == "publish SRV record _imaps._tcp.example.org: 0 1 993 mail.example.org");
  CHECK(format_finding(bad[0]) ==
        "FAIL SRV _imaps._tcp.example.org: no SRV record \u2014 publish SRV record _imaps._tcp.example.org: 0 1 993 "
        "mail.example.org");
}

TEST_CASE("dns check: different values FAIL, case and trailing dots do not matter") {
  auto obs = good_answers();
  obs.put({"example.org", "MX"}, ok({"10 Mail.Example.ORG."}));
  CHECK(failures(check_records(sample_plan(), obs, keys)).empty());

  obs.put({"example.org", "MX"}, ok({"10 mx.other.net"}));
  obs.put({"_dmarc.example.org", "TXT"}, ok({"v=DMARC1; p=none"}));
  auto bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].what == "MX example.org");
  CHECK(bad[0].detail == "DNS has 10 mx.other.net; expected 10 mail.example.org");
  CHECK(bad[1].what == "TXT _dmarc.example.org (DMARC)");
  CHECK(bad[1].detail.find("\"v=DMARC1; p=none\"") != std::string::npos);
}

TEST_CASE("dns check: two SPF records FAIL (RFC 7208 §4.5); other TXT kinds are ignored") {
  auto obs = good_answers();
  obs.put({"example.org", "TXT"}, ok({"v=spf1 mx -all", "v=spf1 ip4:192.0.2.1 -all", "site-verify=1"}));
  auto bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].lvl == finding::fail);
  CHECK(bad[0].what == "TXT example.org (SPF)");
  CHECK(bad[0].detail.rfind("2 SPF records", 0) == 0);
  CHECK(spf_records({"v=spf1 mx -all", "V=SPF1", "v=spf10 x", "x v=spf1"}).size() == 2);
}

TEST_CASE("dns check: temporary failures WARN, bogus answers FAIL, unasked questions WARN") {
  auto obs = good_answers();
  rrset t = absent(dns::status::temporary);
  t.why = "timeout";
  obs.put({"_dmarc.example.org", "TXT"}, t);
  obs.put({"example.org", "MX"}, absent(dns::status::bogus));
  auto bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].what == "MX example.org");
  CHECK(bad[0].lvl == finding::fail);
  CHECK(bad[1].lvl == finding::warn);
  CHECK(bad[1].detail == "lookup failed (timeout)");
  CHECK(failures(check_records(sample_plan(), observations{}, keys)).size() == 9);
}

TEST_CASE("dns check: DKIM key in DNS must match the private key") {
  auto plan = sample_plan();
  auto obs = good_answers();
  obs.put({"hearth._domainkey.example.org", "TXT"}, ok({"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAother"}));
  auto bad = failures(check_records(plan, obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].what == "DKIM key hearth (hearth._domainkey.example.org)");
  CHECK(bad[0].detail == "the public key in DNS does not match the private key on disk");

  // Folding whitespace inside p= is not a difference (RFC 6376 §3.6.2.2), a missing k= is rsa.
  CHECK(check_dkim("hearth._domainkey.example.org", dkim_value, dkim_p,
                   ok({"v=DKIM1; p=MIIBIjANBgkqhkiG9w0 BAQEFAAOCAQ8AMIIBCgKCAQEAtest"}))
            .lvl == finding::ok);
  // The right key published as the wrong type, a revoked key, two keys, no key.
  CHECK(check_dkim("s._domainkey.example.org", "v=DKIM1; k=ed25519; p=abc", "abc", ok({"v=DKIM1; p=abc"})).lvl ==
        finding::fail);
  CHECK(check_dkim("s._domainkey.example.org", dkim_value, dkim_p, ok({"v=DKIM1; k=rsa; p="})).detail.find("revoked") !=
        std::string::npos);
  CHECK(check_dkim("s._domainkey.example.org", dkim_value, dkim_p, ok({dkim_value, dkim_value})).lvl == finding::fail);
  CHECK(check_dkim("s._domainkey.example.org", dkim_value, dkim_p, absent()).detail == "no DKIM key record");
}

TEST_CASE("dns check: the CNAME target must be the planned one") {
  auto obs = good_answers();
  obs.put({"autoconfig.example.org", "CNAME"}, ok({"Mail.Example.ORG."}));
  CHECK(failures(check_records(sample_plan(), obs, keys)).empty());

  obs.put({"autoconfig.example.org", "CNAME"}, ok({"web.example.net"}));
  auto bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].lvl == finding::fail);
  CHECK(bad[0].what == "CNAME autoconfig.example.org");
  CHECK(bad[0].detail == "DNS has CNAME web.example.net; expected mail.example.org");

  obs.put({"autoconfig.example.org", "CNAME"}, absent(dns::status::nxdomain));
  obs.put({"autoconfig.example.org", "A"}, absent(dns::status::nxdomain));
  obs.put({"autoconfig.example.org", "AAAA"}, absent(dns::status::nxdomain));
  bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].lvl == finding::fail);
  CHECK(bad[0].detail == "no CNAME record");
  CHECK(bad[0].fix == "publish CNAME record autoconfig.example.org: mail.example.org");
}

TEST_CASE("dns check: an alias published as addresses instead of a CNAME") {
  auto obs = good_answers();
  obs.put({"autoconfig.example.org", "CNAME"}, absent(dns::status::nodata));
  // The target's own addresses: works today, so a WARN explaining that a CNAME is expected.
  auto fs = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].lvl == finding::warn);
  CHECK(fs[0].what == "CNAME autoconfig.example.org");
  CHECK(fs[0].detail.find("has A/AAAA records (203.0.113.7) instead of a CNAME to mail.example.org") !=
        std::string::npos);
  CHECK(fs[0].fix ==
        "replace the records of autoconfig.example.org with CNAME record autoconfig.example.org: mail.example.org");

  // Another address: FAIL.
  obs.put({"autoconfig.example.org", "A"}, ok({"198.51.100.1"}));
  fs = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].lvl == finding::fail);
  CHECK(fs[0].detail ==
        "autoconfig.example.org has A/AAAA records (198.51.100.1) instead of a CNAME to mail.example.org (203.0.113.7)");

  // The name exists with neither a CNAME nor addresses (a TXT only, say).
  obs.put({"autoconfig.example.org", "A"}, absent(dns::status::nodata));
  fs = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].lvl == finding::fail);
  CHECK(fs[0].detail == "no CNAME record");

  // Addresses that could not be looked up prove nothing.
  rrset t = absent(dns::status::temporary);
  obs.put({"autoconfig.example.org", "A"}, t);
  fs = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].lvl == finding::warn);
}

TEST_CASE("dns check: expected CAA records must be present exactly (RFC 8659)") {
  auto obs = good_answers();
  obs.put({"example.org", "CAA"}, absent(dns::status::nodata));
  auto bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(format_finding(bad[0]) ==
        "FAIL CAA example.org: no CAA record \u2014 publish CAA record example.org: 0 issue \"letsencrypt.org\"");

  // Another CA instead; the right CA with the critical flag; a different value.
  for (const char* v : {"0 issue \"pki.goog\"", "128 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org; x=1\"",
                        "0 issuewild \"letsencrypt.org\""}) {
    obs.put({"example.org", "CAA"}, ok({v}));
    bad = failures(check_records(sample_plan(), obs, keys));
    INFO(v);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].lvl == finding::fail);
    CHECK(bad[0].detail == "DNS has " + std::string(v) + "; missing 0 issue \"letsencrypt.org\"");
  }

  // Tags match case-insensitively; quotes are presentation only.
  obs.put({"example.org", "CAA"}, ok({"0 ISSUE letsencrypt.org"}));
  CHECK(failures(check_records(sample_plan(), obs, keys)).empty());

  // One more CA allowed besides the expected one: WARN, naming it.
  obs.put({"example.org", "CAA"}, ok({"0 issue \"letsencrypt.org\"", "0 issue \"pki.goog\""}));
  bad = failures(check_records(sample_plan(), obs, keys));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].lvl == finding::warn);
  CHECK(bad[0].detail == "other CAs may issue too: 0 issue \"pki.goog\"");
}

TEST_CASE("dns check: CAA presentation text") {
  auto r = parse_caa_text("0 issue \"letsencrypt.org\"");
  REQUIRE(r);
  CHECK(*r == dns::caa_record{0, "issue", "letsencrypt.org"});
  CHECK(parse_caa_text("128\tIODEF  \"mailto:a@b.example\"")->tag == "iodef");
  CHECK(parse_caa_text("0 issue letsencrypt.org")->value == "letsencrypt.org");
  CHECK(parse_caa_text("0 issue \"\"")->value.empty());
  CHECK(parse_caa_text("0 issue \"a\\\"b\\\\c\\059\"")->value == "a\"b\\c;");
  CHECK(dns::format_caa(*parse_caa_text("0 issue \"a\\\"b\"")) == "0 issue \"a\\\"b\"");
  for (const char* bad : {"", "issue \"x\"", "256 issue \"x\"", "0", "0 ", "0 is-sue \"x\"", "0 issue \"x",
                          "0 issue \"x\"y\"", "0 issue a b", "0 issue \"x\\\"", "0 issue \"\\05\"", "0 issue \"\\999\""}) {
    INFO(bad);
    CHECK_FALSE(parse_caa_text(bad));
  }
}

TEST_CASE("dns check: SPF lookups are counted through includes and redirects (RFC 7208 §4.6.4)") {
  std::map<std::string, rrset> chain;
  chain["a.example"] = ok({"v=spf1 include:b.example include:c.example a mx -all"});  // 2 + 2
  chain["b.example"] = ok({"v=spf1 ip4:192.0.2.0/24 exists:%{i}.x.example ptr ~all"});  // 2
  chain["c.example"] = ok({"v=spf1 a:host.c.example/24 mx:c.example//64 -all"});  // 2

  auto c = count_spf_lookups("v=spf1 mx a include:a.example -all", chain);
  CHECK(c.lookups == 2 + 1 + 4 + 2 + 2);
  CHECK(c.problems.empty());
  CHECK(check_spf_lookups("example.org", "v=spf1 mx a include:a.example -all", chain).lvl == finding::fail);
  CHECK(check_spf_lookups("example.org", "v=spf1 mx include:c.example -all", chain).what ==
        "SPF lookups example.org (4 of 10)");

  // A redirect counts and is followed, unless the record has "all" (RFC 7208 §6.1).
  CHECK(count_spf_lookups("v=spf1 redirect=c.example", chain).lookups == 3);
  CHECK(count_spf_lookups("v=spf1 -all redirect=c.example", chain).lookups == 0);
  CHECK(spf_references("v=spf1 include:A.example. redirect=c.example include:%{d}.x") ==
        std::vector<std::string>{"a.example", "c.example"});

  // Loops, missing records and unfetched names are problems (WARN), never endless.
  chain["loop.example"] = ok({"v=spf1 include:loop.example -all"});
  chain["none.example"] = absent();
  auto l = count_spf_lookups("v=spf1 include:loop.example include:none.example include:unknown.example", chain);
  CHECK(l.problems.size() == 3);
  CHECK(check_spf_lookups("example.org", "v=spf1 include:none.example -all", chain).lvl == finding::warn);
}

TEST_CASE("dns check: PTR and forward confirmation") {
  CHECK(check_ptr("203.0.113.7", "mail.example.org", ok({"Mail.Example.org"})).lvl == finding::ok);
  auto other = check_ptr("203.0.113.7", "mail.example.org", ok({"host-7.provider.net"}));
  CHECK(other.lvl == finding::fail);
  CHECK(other.fix == "ask your hosting provider to set the PTR of 203.0.113.7 to mail.example.org");
  CHECK(check_ptr("203.0.113.7", "mail.example.org", absent()).detail == "no PTR record for 203.0.113.7");
  CHECK(check_ptr("203.0.113.7", "mail.example.org", absent(dns::status::temporary)).lvl == finding::warn);

  CHECK(check_fcrdns("2001:db8::7", "mail.example.org", ok({"2001:db8:0:0::7"})).lvl == finding::ok);
  auto f = check_fcrdns("203.0.113.7", "mail.example.org", ok({"203.0.113.8"}));
  CHECK(f.lvl == finding::fail);
  CHECK(f.fix == "publish A record mail.example.org: 203.0.113.7");
}

TEST_CASE("dns check: blocklist names and answers (RFC 5782)") {
  CHECK(blocklist_name_for_ip("203.0.113.7", "zen.spamhaus.org") == "7.113.0.203.zen.spamhaus.org");
  CHECK(blocklist_name_for_ip("2001:db8::1", "BL.test.").rfind("1.0.0.0.", 0) == 0);
  CHECK(blocklist_name_for_ip("2001:db8::1", "bl.test").size() == 64 + 7);
  CHECK(blocklist_name_for_ip("nope", "bl.test").empty());
  CHECK(blocklist_name_for_domain("Example.org", "dbl.test") == "example.org.dbl.test");

  auto listed = classify_listing("203.0.113.7", "bl.test", ok({"127.0.0.2"}),
                                 ok({"Listed: see https://bl.test/lookup?ip=203.0.113.7."}));
  CHECK(listed.lvl == finding::fail);
  CHECK(listed.fix == "ask for removal at https://bl.test/lookup?ip=203.0.113.7");
  auto no_url = classify_listing("203.0.113.7", "bl.test", ok({"127.0.0.4"}), absent());
  CHECK(no_url.lvl == finding::fail);
  CHECK(no_url.fix == "see the list operator's removal page for bl.test");

  CHECK(classify_listing("203.0.113.7", "bl.test", absent(), {}).lvl == finding::ok);
  CHECK(classify_listing("203.0.113.7", "bl.test", absent(dns::status::nodata), {}).lvl == finding::ok);
  // Spamhaus answers 127.255.255.x to public resolvers: not a listing.
  auto refused = classify_listing("203.0.113.7", "zen.spamhaus.org", ok({"127.255.255.254"}), {});
  CHECK(refused.lvl == finding::warn);
  CHECK(refused.detail.find("refused") != std::string::npos);
  CHECK(classify_listing("203.0.113.7", "bl.test", absent(dns::status::temporary), {}).lvl == finding::warn);
  CHECK(classify_listing("203.0.113.7", "bl.test", ok({"198.51.100.1"}), {}).lvl == finding::warn);

  CHECK(removal_url({"no url here", "see http://x.example/r, thanks"}) == "http://x.example/r");
  CHECK(removal_url({std::string("https://") + char(1) + "bad"}).empty());
}

TEST_CASE("dns check: SMTP banner") {
  CHECK(check_banner("mail.example.org", "203.0.113.7", 25, {"220 mail.example.org ESMTP Hearth"}, "").lvl ==
        finding::ok);
  CHECK(check_banner("mail.example.org", "203.0.113.7", 25, {"220-mail.example.org welcome", "220 ready"}, "").lvl ==
        finding::ok);
  CHECK(check_banner("mail.example.org", "203.0.113.7", 25, {"220 other.example.org ESMTP"}, "").lvl == finding::fail);
  CHECK(check_banner("mail.example.org", "203.0.113.7", 25, {"554 go away"}, "").lvl == finding::fail);
  CHECK(check_banner("mail.example.org", "203.0.113.7", 25, {"2"}, "").lvl == finding::fail);
  CHECK(check_banner("mail.example.org", "203.0.113.7", 25, {}, "cannot connect: refused").detail ==
        "cannot connect: refused");
}
