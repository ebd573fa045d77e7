#include <catch2/catch.hpp>

#include "mail/mailauth/authres.hpp"
#include "mail/mailauth/dmarc.hpp"
#include "mail/mailauth/hygiene.hpp"

using namespace hearth::mail::mailauth;

namespace {
std::shared_ptr<public_suffix_list> psl() {
  static auto l = [] {
    auto real = public_suffix_list::load(public_suffix_list::default_path);
    return real ? *real : public_suffix_list::from_text("com\norg\nco.uk\nuk\n*.ck\n!www.ck\n");
  }();
  return l;
}
}  // namespace

TEST_CASE("organizational domains from the Public Suffix List", "[dmarc]") {
  auto small = public_suffix_list::from_text("// comment\ncom\nco.uk\nuk\n*.ck\n!www.ck\n");
  CHECK(small->organizational_domain("mail.example.com") == "example.com");
  CHECK(small->organizational_domain("Example.COM.") == "example.com");
  CHECK(small->organizational_domain("a.b.example.co.uk") == "example.co.uk");
  CHECK(small->organizational_domain("co.uk") == "co.uk");
  CHECK(small->organizational_domain("a.b.foo.ck") == "b.foo.ck");
  CHECK(small->organizational_domain("a.www.ck") == "www.ck");
  CHECK(small->organizational_domain("x.b.test") == "b.test");  // implicit "*" rule
  auto real = psl();
  CHECK(real->organizational_domain("mail.example.co.uk") == "example.co.uk");
  CHECK(real->size() > 5);
}

TEST_CASE("DMARC records", "[dmarc]") {
  auto r = parse_dmarc("v=DMARC1; p=reject; sp=none; adkim=s; pct=50; rua=mailto:x@y");
  REQUIRE(r);
  CHECK(r->p == "reject");
  CHECK(r->sp == "none");
  CHECK(r->adkim_strict);
  CHECK_FALSE(r->aspf_strict);
  CHECK(r->pct == 50);
  CHECK(parse_dmarc("v=DMARC1; rua=mailto:x@y")->p == "none");
  CHECK_FALSE(parse_dmarc("p=reject; v=DMARC1"));
  CHECK_FALSE(parse_dmarc("v=DMARC1; p=bounce"));
  CHECK_FALSE(parse_dmarc("v=DMARC1"));
  CHECK_FALSE(parse_dmarc("v=DMARC1; p=none; pct=101"));
  CHECK(pick_dmarc({"v=spf1 -all", "v=DMARC1; p=none"}) == "v=DMARC1; p=none");
  CHECK_FALSE(pick_dmarc({"v=DMARC1; p=none", "v=DMARC1; p=reject"}));
  CHECK_FALSE(pick_dmarc({"v=DMARC10; p=none"}));
}

TEST_CASE("DMARC alignment and verdicts", "[dmarc]") {
  auto& l = *psl();
  CHECK(aligned(l, "mail.example.com", "example.com", false));
  CHECK_FALSE(aligned(l, "mail.example.com", "example.com", true));
  CHECK(aligned(l, "EXAMPLE.com", "example.com.", true));
  CHECK_FALSE(aligned(l, "example.net", "example.com", false));
  CHECK_FALSE(aligned(l, "a.co.uk", "b.co.uk", false));

  dmarc_record rec = *parse_dmarc("v=DMARC1; p=reject; sp=quarantine");
  dmarc_input in;
  in.from_domain = "example.com";
  in.spf_result = "pass";
  in.spf_domain = "bounces.example.com";
  CHECK(evaluate_dmarc(l, in, rec, false, 0).result == "pass");  // relaxed SPF alignment
  rec.aspf_strict = true;
  auto f = evaluate_dmarc(l, in, rec, false, 0);
  CHECK(f.result == "fail");
  CHECK(f.policy == "reject");
  in.dkim.push_back({"example.com"});
  CHECK(evaluate_dmarc(l, in, rec, false, 0).result == "pass");  // aligned DKIM
  in.dkim = {{"other.net"}};
  in.spf_result = "fail";
  CHECK(evaluate_dmarc(l, in, rec, false, 0).result == "fail");
  // sp= for a subdomain when the record came from the organizational domain.
  in.from_domain = "sub.example.com";
  CHECK(evaluate_dmarc(l, in, rec, true, 0).policy == "quarantine");
  // pct=: sampled out of reject gets quarantine.
  rec.pct = 10;
  in.from_domain = "example.com";
  CHECK(evaluate_dmarc(l, in, rec, false, 50).policy == "quarantine");
  CHECK(evaluate_dmarc(l, in, rec, false, 5).policy == "reject");
}

TEST_CASE("Authentication-Results: ours removed, others kept, ours written", "[authres]") {
  std::string m =
      "Authentication-Results: MX.Home.test; dkim=pass\r\n"
      "Authentication-Results: other.example; spf=pass\r\n"
      "Authentication-Results: (comment) mx.home.test;\r\n\tdmarc=pass\r\n"
      "Subject: x\r\n\r\nbody\r\n";
  CHECK(authserv_id(" (c) mx.home.test; spf=pass") == "mx.home.test");
  CHECK(authserv_id(" (\v\\") == "");  // fuzz: a quoted-pair ending the input
  CHECK(authserv_id("(a(b)c)\"quoted.id\"; x") == "quoted.id");
  CHECK(remove_our_results(m, "mx.home.test") == 2);
  CHECK(m == "Authentication-Results: other.example; spf=pass\r\nSubject: x\r\n\r\nbody\r\n");
  auto f = format_results("mx.home.test", {{"spf", "pass", "", {{"smtp.mailfrom", "a@b.test"}}},
                                           {"dkim", "fail", "body (hash)", {{"header.d", "b.test"}}}});
  CHECK(f == "Authentication-Results: mx.home.test;\r\n\tspf=pass smtp.mailfrom=a@b.test;\r\n\t"
             "dkim=fail (body hash) header.d=b.test\r\n");
  CHECK(format_results("h", {}) == "Authentication-Results: h; none\r\n");
}

TEST_CASE("outgoing hygiene", "[hygiene]") {
  hygiene_options o;
  o.hostname = "mail.a.test";
  o.strip = {"X-Forwarded-For"};
  std::string m =
      "Received: from laptop (10.0.0.5)\r\n\tby internal\r\n"
      "Received: from relay\r\n"
      "X-Originating-IP: [10.0.0.5]\r\n"
      "x-forwarded-for: 10.0.0.5\r\n"
      "From: a@a.test\r\n"
      "Subject: hi\r\n\r\nbody\r\nReceived: in the body stays\r\n";
  auto c = clean_message(m, o, 1700000000);
  CHECK(c.find("Received: from") == std::string::npos);
  CHECK(c.find("10.0.0.5") == std::string::npos);
  CHECK(c.find("Received: in the body stays") != std::string::npos);
  CHECK(c.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
  CHECK(c.find("@mail.a.test>\r\n") != std::string::npos);
  CHECK(c.starts_with("From: a@a.test\r\nSubject: hi\r\nDate: "));
  CHECK(c.find("\r\n\r\nbody\r\n") != std::string::npos);
  // Present Date and Message-ID are kept as they are.
  std::string k = "Date: x\r\nMessage-ID: <1@x>\r\nFrom: a@a.test\r\n\r\nb\r\n";
  CHECK(clean_message(k, o, 0) == k);
  CHECK(author_domain("From: \"A\" <a@Sub.A.test>\r\n\r\n") == "sub.a.test");
}
