#include <boost/asio/co_spawn.hpp>

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is destroyed (the same note as in app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "mail/mailauth/spf.hpp"

using namespace hearth::mail::mailauth;
namespace asio = boost::asio;
namespace dns = hearth::dns;

namespace {

// Records by name; a name absent from every map is NXDOMAIN; "temp.*" names are SERVFAIL.
struct fake_dns : spf_dns {
  std::multimap<std::string, std::string> txts, as, aaaas, ptrs;
  std::multimap<std::string, std::pair<int, std::string>> mxs;
  int queries = 0;

  bool exists(const std::string& n) const {
    for (auto* m : {&txts, &as, &aaaas, &ptrs})
      if (m->count(n)) return true;
    return mxs.count(n) > 0;
  }
  template <class T, class M, class F>
  dns::answer<T> get(const M& m, const std::string& n, F conv) {
    ++queries;
    dns::answer<T> a;
    if (n.starts_with("temp.")) return a;
    auto [b, e] = m.equal_range(n);
    for (auto it = b; it != e; ++it) a.records.push_back(conv(it->second));
    a.st = !a.records.empty() ? dns::status::ok : exists(n) ? dns::status::nodata : dns::status::nxdomain;
    return a;
  }
  asio::awaitable<dns::answer<std::string>> txt(std::string n) override {
    co_return get<std::string>(txts, n, [](auto& s) { return s; });
  }
  asio::awaitable<dns::answer<asio::ip::address_v4>> a(std::string n) override {
    co_return get<asio::ip::address_v4>(as, n, [](auto& s) { return asio::ip::make_address_v4(s); });
  }
  asio::awaitable<dns::answer<asio::ip::address_v6>> aaaa(std::string n) override {
    co_return get<asio::ip::address_v6>(aaaas, n, [](auto& s) { return asio::ip::make_address_v6(s); });
  }
  asio::awaitable<dns::answer<dns::mx_record>> mx(std::string n) override {
    co_return get<dns::mx_record>(mxs, n, [](auto& p) { return dns::mx_record{static_cast<std::uint16_t>(p.first), p.second}; });
  }
  asio::awaitable<dns::answer<std::string>> ptr(asio::ip::address addr) override {
    co_return get<std::string>(ptrs, addr.to_string(), [](auto& s) { return s; });
  }
};

spf_outcome run(fake_dns& d, const std::string& ip, const std::string& domain, const std::string& sender = "") {
  asio::io_context ioc;
  auto f = asio::co_spawn(ioc, check_host(d, asio::ip::make_address(ip), domain, sender.empty() ? "user@" + domain : sender,
                                          "helo.example.net", "mx.example.org", 1700000000),
                          asio::use_future);
  ioc.run();
  return f.get();
}

std::string expand(const std::string& spec, bool exp = false) {
  // RFC 7208 §7.4 example context.
  spf_macro_context c;
  c.sender = "strong-bad@email.example.com";
  c.domain = "email.example.com";
  c.ip = asio::ip::make_address("192.0.2.3");
  c.helo = "mx.example.org";
  c.now = 1700000000;
  auto r = expand_macros(spec, c, exp);
  return r ? *r : "ERROR";
}

}  // namespace

TEST_CASE("SPF macro expansion (RFC 7208 §7.4 examples)", "[spf]") {
  CHECK(expand("%{s}") == "strong-bad@email.example.com");
  CHECK(expand("%{o}") == "email.example.com");
  CHECK(expand("%{d}") == "email.example.com");
  CHECK(expand("%{d4}") == "email.example.com");
  CHECK(expand("%{d3}") == "email.example.com");
  CHECK(expand("%{d2}") == "example.com");
  CHECK(expand("%{d1}") == "com");
  CHECK(expand("%{dr}") == "com.example.email");
  CHECK(expand("%{d2r}") == "example.email");
  CHECK(expand("%{l}") == "strong-bad");
  CHECK(expand("%{l-}") == "strong.bad");
  CHECK(expand("%{lr}") == "strong-bad");
  CHECK(expand("%{lr-}") == "bad.strong");
  CHECK(expand("%{l1r-}") == "strong");
  CHECK(expand("%{ir}.%{v}._spf.%{d2}") == "3.2.0.192.in-addr._spf.example.com");
  CHECK(expand("%{lr-}.lp._spf.%{d2}") == "bad.strong.lp._spf.example.com");
  CHECK(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}") == "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
  CHECK(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}") == "3.2.0.192.in-addr.strong.lp._spf.example.com");
  CHECK(expand("%{d2}.trusted-domains.example.net") == "example.com.trusted-domains.example.net");
  CHECK(expand("%%%_%-") == "% %20");
  CHECK(expand("%{S}") == "strong-bad%40email.example.com");
  CHECK(expand("%{c}") == "ERROR");  // explanation only
  CHECK(expand("%{c} %{t}", true) == "192.0.2.3 1700000000" );
  CHECK(expand("%{x}") == "ERROR");
  CHECK(expand("%{d0}") == "ERROR");
  CHECK(expand("%") == "ERROR");
  spf_macro_context c6;
  c6.ip = asio::ip::make_address("2001:db8::cb01");
  c6.domain = "email.example.com";
  CHECK(*expand_macros("%{ir}.%{v}._spf.%{d2}", c6) ==
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST_CASE("SPF record parsing", "[spf]") {
  auto r = parse_spf("v=spf1 +a mx/24 -ip4:192.0.2.0/24 ip6:2001:db8::/32 a:x.%{d}/24//64 ~all redirect=_spf.%{d}");
  REQUIRE(r);
  REQUIRE(r->terms.size() == 6);
  CHECK(r->terms[1].mech == spf_mech::mx);
  CHECK(r->terms[1].cidr4 == 24);
  CHECK(r->terms[2].qualifier == '-');
  CHECK(r->terms[4].domain_spec == "x.%{d}");
  CHECK(r->terms[4].cidr6 == 64);
  CHECK(r->redirect == "_spf.%{d}");
  CHECK_FALSE(parse_spf("v=spf1 foo"));
  CHECK_FALSE(parse_spf("v=spf1 ip4:300.1.1.1"));
  CHECK_FALSE(parse_spf("v=spf1 ip4:1.2.3.4/33"));
  CHECK_FALSE(parse_spf("v=spf1 redirect=a.b redirect=c.d"));
  CHECK_FALSE(parse_spf("v=spf1 include"));
  CHECK_FALSE(parse_spf("v=spf1 a:%{z}"));
  CHECK(parse_spf("v=spf1 unknown-mod=%{d} -all"));
  CHECK(is_spf_record("V=SPF1 -all"));
  CHECK_FALSE(is_spf_record("v=spf10"));
}

TEST_CASE("SPF evaluation: every mechanism", "[spf]") {
  fake_dns d;
  d.txts.insert({"ex.test", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/64 a:host.ex.test mx -all"});
  d.as.insert({"host.ex.test", "198.51.100.7"});
  d.mxs.insert({"ex.test", {10, "mx1.ex.test"}});
  d.as.insert({"mx1.ex.test", "198.51.100.25"});
  CHECK(run(d, "192.0.2.200", "ex.test").result == spf_result::pass);
  CHECK(run(d, "2001:db8::5", "ex.test").result == spf_result::pass);
  CHECK(run(d, "198.51.100.7", "ex.test").result == spf_result::pass);
  auto mx = run(d, "198.51.100.25", "ex.test");
  CHECK(mx.result == spf_result::pass);
  CHECK(mx.mechanism == "mx:ex.test");
  auto f = run(d, "203.0.113.1", "ex.test");
  CHECK(f.result == spf_result::fail);
  CHECK(f.mechanism == "-all");
  CHECK(run(d, "::ffff:192.0.2.9", "ex.test").result == spf_result::pass);  // v4-mapped

  d.txts.insert({"soft.test", "v=spf1 ~all"});
  d.txts.insert({"neutral.test", "v=spf1 ?all"});
  d.txts.insert({"empty.test", "v=spf1"});
  CHECK(run(d, "203.0.113.1", "soft.test").result == spf_result::softfail);
  CHECK(run(d, "203.0.113.1", "neutral.test").result == spf_result::neutral);
  CHECK(run(d, "203.0.113.1", "empty.test").result == spf_result::neutral);
  CHECK(run(d, "203.0.113.1", "nothing.test").result == spf_result::none);
  CHECK(run(d, "203.0.113.1", "temp.test").result == spf_result::temperror);
  CHECK(run(d, "203.0.113.1", "localhost").result == spf_result::none);

  // include, redirect, exists with macros, ptr
  d.txts.insert({"inc.test", "v=spf1 include:ex.test -all"});
  d.txts.insert({"red.test", "v=spf1 redirect=ex.test"});
  d.txts.insert({"exists.test", "v=spf1 exists:%{ir}.%{l}._spf.%{d} -all"});
  d.as.insert({"1.113.0.203.alice._spf.exists.test", "127.0.0.2"});
  d.txts.insert({"ptr.test", "v=spf1 ptr -all"});
  d.ptrs.insert({"203.0.113.5", "mail.ptr.test."});
  d.as.insert({"mail.ptr.test", "203.0.113.5"});
  d.txts.insert({"a-cidr.test", "v=spf1 a/24 -all"});
  d.as.insert({"a-cidr.test", "203.0.113.200"});
  CHECK(run(d, "192.0.2.1", "inc.test").result == spf_result::pass);
  CHECK(run(d, "203.0.113.1", "inc.test").result == spf_result::fail);
  CHECK(run(d, "192.0.2.1", "red.test").result == spf_result::pass);
  CHECK(run(d, "203.0.113.1", "exists.test", "alice@exists.test").result == spf_result::pass);
  CHECK(run(d, "203.0.113.1", "exists.test", "bob@exists.test").result == spf_result::fail);
  CHECK(run(d, "203.0.113.5", "ptr.test").result == spf_result::pass);
  CHECK(run(d, "203.0.113.6", "ptr.test").result == spf_result::fail);
  CHECK(run(d, "203.0.113.9", "a-cidr.test").result == spf_result::pass);
  CHECK(run(d, "203.0.114.9", "a-cidr.test").result == spf_result::fail);

  // exp= (§6.2): the explanation of a fail, with the explanation-only macros.
  d.txts.insert({"exp.test", "v=spf1 -all exp=why.%{d}"});
  d.txts.insert({"why.exp.test", "%{i} is not one of %{d}'s servers (%{c} at %{r})"});
  auto e = run(d, "203.0.113.1", "exp.test");
  CHECK(e.result == spf_result::fail);
  CHECK(e.explanation == "203.0.113.1 is not one of exp.test's servers (203.0.113.1 at mx.example.org)");
  d.txts.insert({"noexp.test", "v=spf1 -all exp=missing.%{d}"});
  auto ne = run(d, "203.0.113.1", "noexp.test");
  CHECK(ne.result == spf_result::fail);
  CHECK(ne.explanation.empty());
}

TEST_CASE("SPF errors and limits", "[spf]") {
  fake_dns d;
  d.txts.insert({"two.test", "v=spf1 -all"});
  d.txts.insert({"two.test", "v=spf1 +all"});
  CHECK(run(d, "192.0.2.1", "two.test").result == spf_result::permerror);
  d.txts.insert({"bad.test", "v=spf1 bogus:x"});
  CHECK(run(d, "192.0.2.1", "bad.test").result == spf_result::permerror);
  // include loop: stopped by the lookup limit.
  d.txts.insert({"loop.test", "v=spf1 include:loop.test -all"});
  auto l = run(d, "192.0.2.1", "loop.test");
  CHECK(l.result == spf_result::permerror);
  CHECK(l.lookups == 11);
  // 10 lookups are fine, the 11th is not.
  std::string ten = "v=spf1", eleven = "v=spf1";
  for (int i = 0; i < 10; ++i) {
    d.as.insert({"h" + std::to_string(i) + ".lim.test", "198.51.100.1"});
    ten += " a:h" + std::to_string(i) + ".lim.test";
  }
  eleven = ten + " a:h0.lim.test";
  d.txts.insert({"ten.test", ten + " -all"});
  d.txts.insert({"eleven.test", eleven + " -all"});
  CHECK(run(d, "192.0.2.1", "ten.test").result == spf_result::fail);
  CHECK(run(d, "192.0.2.1", "eleven.test").result == spf_result::permerror);
  // void lookups: 2 are allowed, the third is a permerror.
  d.txts.insert({"void2.test", "v=spf1 a:n1.void.test a:n2.void.test -all"});
  d.txts.insert({"void3.test", "v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test -all"});
  CHECK(run(d, "192.0.2.1", "void2.test").result == spf_result::fail);
  CHECK(run(d, "192.0.2.1", "void3.test").result == spf_result::permerror);
  // include of a domain without a record; redirect to nothing.
  d.txts.insert({"incnone.test", "v=spf1 include:nothing.test -all"});
  d.txts.insert({"rednone.test", "v=spf1 redirect=nothing.test"});
  CHECK(run(d, "192.0.2.1", "incnone.test").result == spf_result::permerror);
  CHECK(run(d, "192.0.2.1", "rednone.test").result == spf_result::permerror);
  // temperror inside include propagates.
  d.txts.insert({"inctemp.test", "v=spf1 include:temp.x.test -all"});
  CHECK(run(d, "192.0.2.1", "inctemp.test").result == spf_result::temperror);
  // More than 10 MX names.
  for (int i = 0; i < 11; ++i) d.mxs.insert({"manymx.test", {10, "m" + std::to_string(i) + ".manymx.test"}});
  d.txts.insert({"manymx.test", "v=spf1 mx -all"});
  CHECK(run(d, "192.0.2.1", "manymx.test").result == spf_result::permerror);
}
