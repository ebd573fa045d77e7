#include "mail/filter/dnsbl.hpp"

#include <catch2/catch.hpp>

#include "mail/filter/checks.hpp"
#include "mail/filter/uri.hpp"
#include "mail/filter/verdict.hpp"

using namespace hearth::mail::filter;

TEST_CASE("DNSBL query names (RFC 5782)", "[filter][dnsbl]") {
  CHECK(ip_query_name("192.0.2.99", "bl.example") == "99.2.0.192.bl.example");
  CHECK(ip_query_name("192.0.2.99", "BL.Example.") == "99.2.0.192.bl.example");
  CHECK(ip_query_name("::ffff:192.0.2.99", "bl.example") == "99.2.0.192.bl.example");
  // RFC 5782 §2.4's example.
  CHECK(ip_query_name("2001:db8:1:2:3:4:567:89ab", "ugly.example.com") ==
        "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
  CHECK(ip_query_name("not-an-ip", "bl.example").empty());
  CHECK(domain_query_name("Sender.Example", "dbl.example") == "sender.example.dbl.example");
  CHECK(domain_query_name("a..b", "dbl.example").empty());
  CHECK(domain_query_name(std::string(64, 'a') + ".example", "dbl.example").empty());
  CHECK(is_listing("127.0.0.2"));
  CHECK(is_listing("127.0.1.3"));
  CHECK_FALSE(is_listing("127.255.255.254"));  // "query refused"
  CHECK_FALSE(is_listing("192.0.2.1"));
  CHECK_FALSE(is_listing("nonsense"));
}

TEST_CASE("list specifications and rules", "[filter][dnsbl]") {
  auto a = parse_list_spec("zen.spamhaus.org:reject", 3);
  REQUIRE(a);
  CHECK(a->zone == "zen.spamhaus.org");
  CHECK(a->reject);
  auto b = parse_list_spec("list.dnswl.org:-2.5", 3);
  REQUIRE(b);
  CHECK_FALSE(b->reject);
  CHECK(b->weight == Approx(-2.5));
  auto c = parse_list_spec("bl.spamcop.net", 3);
  REQUIRE(c);
  CHECK(c->weight == Approx(3));
  CHECK_FALSE(parse_list_spec("bl.example:lots", 3));
  CHECK_FALSE(parse_list_spec("bad zone:1", 3));
  CHECK_FALSE(parse_list_spec(":1", 3));
  CHECK(parse_score("1.5").value() == Approx(1.5));
  CHECK(parse_score("-2").value() == Approx(-2));
  CHECK_FALSE(parse_score("1e9"));
  CHECK_FALSE(parse_score("nan"));
  CHECK_FALSE(parse_score(""));
  CHECK(parse_rule("reject")->reject);
  CHECK(parse_rule("0")->off());
  CHECK(parse_rule("1.25")->score == Approx(1.25));
  CHECK_FALSE(parse_rule("maybe"));
  CHECK(format_score(1.5) == "1.5");
  CHECK(format_score(2) == "2");
  CHECK(format_score(-0.25) == "-0.25");
  CHECK(format_score(0) == "0");
}

TEST_CASE("URI extraction", "[filter][uri]") {
  std::vector<std::string> h;
  extract_hosts("Visit https://Shop.Example.COM/path?x=1 or http://user:pw@evil.example:8080/ now, "
                "also www.bare.example. and <a href=\"HTTP://html.example\">x</a> "
                "but not http://192.0.2.1/ nor http://localhost/ nor mailto:a@b.example",
                h, 20);
  CHECK(h == std::vector<std::string>{"shop.example.com", "evil.example", "www.bare.example", "html.example"});
  std::vector<std::string> few;
  extract_hosts("http://a.example http://b.example http://a.example http://c.example", few, 2);
  CHECK(few == std::vector<std::string>{"a.example", "b.example"});
  std::vector<std::string> none;
  extract_hosts("http://", none, 5);
  extract_hosts("https://-bad-.example/", none, 5);
  CHECK(none.empty());
  CHECK(uribl_names("a.b.example.com") == std::vector<std::string>{"a.b.example.com", "example.com"});
  CHECK(uribl_names("example.com") == std::vector<std::string>{"example.com"});
  // With the Public Suffix List's answer: a registered domain under a two-label suffix.
  registered_domain_fn psl = [](std::string_view h) -> std::string {
    return h.ends_with("example.co.uk") ? "example.co.uk" : std::string(h);
  };
  CHECK(uribl_names("www.example.co.uk", psl) == std::vector<std::string>{"www.example.co.uk", "example.co.uk"});
  CHECK(uribl_names("www.example.co.uk") == std::vector<std::string>{"www.example.co.uk", "co.uk"});  // without
  CHECK(uribl_names("example.co.uk", psl) == std::vector<std::string>{"example.co.uk"});
}

TEST_CASE("URI extraction from MIME parts", "[filter][uri]") {
  const std::string msg =
      "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=\"BB\"\r\n\r\n"
      "--BB\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "see http://qp=2Eexample/=\r\nx\r\n"
      "--BB\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "PGEgaHJlZj0iaHR0cHM6Ly9iNjQuZXhhbXBsZS9wIj5jbGljazwvYT4=\r\n"
      "--BB\r\nContent-Type: image/png\r\n\r\nhttp://not-text.example/\r\n"
      "--BB--\r\n";
  auto h = message_hosts(msg);
  CHECK(h == std::vector<std::string>{"qp.example", "b64.example"});
}

TEST_CASE("the verdict", "[filter][verdict]") {
  verdict_options o{5, 15};
  auto clean = decide(1.5, {"RDNS_NONE(1.5)"}, o);
  CHECK(clean.action == spam_action::deliver);
  CHECK(clean.fields == "X-Spam-Status: No, score=1.5 required=5 tests=RDNS_NONE(1.5)\r\nX-Spam-Score: 1.5\r\n");
  auto none = decide(0, {}, o);
  CHECK(none.fields.find("tests=none\r\n") != std::string::npos);
  auto junk = decide(5, {"A(2)", "B(3)"}, o);
  CHECK(junk.action == spam_action::junk);
  CHECK(junk.fields.rfind("X-Spam-Status: Yes, score=5 ", 0) == 0);
  CHECK(decide(15, {}, o).action == spam_action::reject);
  CHECK(decide(-3, {"DNSWL(-3)"}, o).action == spam_action::deliver);
  // Long symbol lists are folded; no line over 78 characters.
  std::vector<std::string> many(20, "DNSBL_some.long.list.example(3)");
  auto f = decide(60, many, o);
  std::size_t start = 0;
  while (start < f.fields.size()) {
    auto end = f.fields.find("\r\n", start);
    CHECK(end - start <= 78);
    start = end + 2;
  }
  hearth::mail::smtp::transaction_state st;
  add_score(st, "RDNS_NONE", 1.5);
  add_score(st, "DNSWL_x", -1);
  CHECK(st.score == Approx(0.5));
  CHECK(st.symbols == std::vector<std::string>{"RDNS_NONE(1.5)", "DNSWL_x(-1)"});
}
