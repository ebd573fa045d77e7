// Router precedence, 404/405/OPTIONS, query parameters and Basic credentials.
#include "core/http/router.hpp"

#include <catch2/catch.hpp>

#include "core/crypto/crypto.hpp"

using namespace hearth::http;

namespace {

handler says(std::string what) {
  return [what](const request&) { return response::text(200, what); };
}

request make(std::string method, std::string path, std::string host = "mail.example.test") {
  request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.host = std::move(host);
  return r;
}

std::string header(const response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<none>";
}

}  // namespace

TEST_CASE("router: host-specific before generic, exact before prefix, longest prefix first") {
  router rt;
  rt.add({{"GET"}, "/", true, std::nullopt, says("root prefix")});
  rt.add({{"GET"}, "/dav/", true, std::nullopt, says("dav prefix")});
  rt.add({{"GET"}, "/dav/cal/", true, std::nullopt, says("cal prefix")});
  rt.add({{"GET"}, "/dav/cal/x", false, std::nullopt, says("exact x")});
  rt.add({{"GET"}, "/mail/config-v1.1.xml", false, std::nullopt, says("generic config")});
  rt.add({{"GET"}, "/mail/", true, "autoconfig.", says("autoconfig host")});

  CHECK(rt.dispatch(make("GET", "/anything")).body == "root prefix");
  CHECK(rt.dispatch(make("GET", "/dav/y")).body == "dav prefix");
  CHECK(rt.dispatch(make("GET", "/dav/cal/y")).body == "cal prefix");
  CHECK(rt.dispatch(make("GET", "/dav/cal/x")).body == "exact x");
  CHECK(rt.dispatch(make("GET", "/dav/cal/xy")).body == "cal prefix");
  CHECK(rt.dispatch(make("GET", "/mail/config-v1.1.xml")).body == "generic config");
  // The host-specific prefix route beats the generic exact one.
  CHECK(rt.dispatch(make("GET", "/mail/config-v1.1.xml", "autoconfig.example.test")).body == "autoconfig host");
  CHECK(rt.dispatch(make("GET", "/mail/config-v1.1.xml", "AutoConfig.example.test")).body == "autoconfig host");
}

TEST_CASE("router: 404 without a path match, 405 with Allow, generic OPTIONS, HEAD via GET") {
  router rt;
  rt.add({{"GET"}, "/doc", false, std::nullopt, says("get")});
  rt.add({{"POST"}, "/doc", false, std::nullopt, says("post")});
  rt.add({{"PROPFIND"}, "/only-propfind", false, std::nullopt, says("propfind")});
  rt.add({{}, "/any", false, std::nullopt, says("any")});
  rt.add({{"GET"}, "/host-only", false, "mta-sts.", says("mta-sts")});

  auto missing = rt.dispatch(make("GET", "/nope"));
  CHECK(missing.status == 404);
  // A host-specific route does not exist for other hosts.
  CHECK(rt.dispatch(make("GET", "/host-only")).status == 404);
  CHECK(rt.dispatch(make("GET", "/host-only", "mta-sts.example.test")).body == "mta-sts");

  CHECK(rt.dispatch(make("GET", "/doc")).body == "get");
  CHECK(rt.dispatch(make("POST", "/doc")).body == "post");
  auto head = rt.dispatch(make("HEAD", "/doc"));
  CHECK(head.status == 200);
  CHECK(head.body == "get");

  auto del = rt.dispatch(make("DELETE", "/doc"));
  CHECK(del.status == 405);
  CHECK(header(del, "Allow") == "GET, HEAD, OPTIONS, POST");

  auto opt = rt.dispatch(make("OPTIONS", "/doc"));
  CHECK(opt.status == 200);
  CHECK(header(opt, "Allow") == "GET, HEAD, OPTIONS, POST");
  CHECK(opt.body.empty());

  auto pf = rt.dispatch(make("GET", "/only-propfind"));
  CHECK(pf.status == 405);
  CHECK(header(pf, "Allow") == "OPTIONS, PROPFIND");

  // A route without methods takes every method, OPTIONS included.
  CHECK(rt.dispatch(make("DELETE", "/any")).body == "any");
  CHECK(rt.dispatch(make("OPTIONS", "/any")).body == "any");
  // Methods are case-sensitive (RFC 9110 §9.1).
  CHECK(rt.dispatch(make("get", "/doc")).status == 405);
}

TEST_CASE("router: handler exceptions pass through to the session") {
  router rt;
  rt.add({{"GET"}, "/boom", false, std::nullopt, [](const request&) -> response { throw std::runtime_error("x"); }});
  CHECK_THROWS_AS(rt.dispatch(make("GET", "/boom")), std::runtime_error);
}

TEST_CASE("query_param: decoding, '+' as space, first match, malformed escapes") {
  CHECK(query_param("emailaddress=demo%40example.test&x=1", "emailaddress") == "demo@example.test");
  CHECK(query_param("a=1&b=two+words&c=3", "b") == "two words");
  CHECK(query_param("a=1%2B1", "a") == "1+1");
  CHECK(query_param("a=1&a=2", "a") == "1");
  CHECK(query_param("flag&x=1", "flag") == "");
  CHECK(query_param("e%6dail=x", "email") == "x");
  CHECK(query_param("a=1", "b") == std::nullopt);
  CHECK(query_param("", "a") == std::nullopt);
  CHECK(query_param("a=%zz", "a") == std::nullopt);
  CHECK(query_param("a=abc%", "a") == std::nullopt);
  CHECK(query_param("a=abc%4", "a") == std::nullopt);
  // A malformed key elsewhere does not hide a good one.
  CHECK(query_param("%zz=1&a=2", "a") == "2");
}

TEST_CASE("basic_credentials: RFC 7617") {
  auto with = [](std::string value) {
    request r;
    r.headers["authorization"] = std::move(value);
    return basic_credentials(r);
  };
  auto b64 = [](std::string_view s) { return hearth::crypto::base64_encode(s); };

  auto good = with("Basic " + b64("demo@example.test:pa:ss word"));
  REQUIRE(good);
  CHECK(good->first == "demo@example.test");
  CHECK(good->second == "pa:ss word");  // split at the first ':'
  CHECK(with("basic " + b64("u:p")));   // the scheme is case-insensitive
  auto empty_pw = with("Basic " + b64("u:"));
  REQUIRE(empty_pw);
  CHECK(empty_pw->second.empty());

  CHECK_FALSE(with("Basic " + b64("no-colon")));
  CHECK_FALSE(with("Basic " + b64(":nouser")));
  CHECK_FALSE(with("Basic not*base64"));
  CHECK_FALSE(with("Basic " + b64("u:p").substr(1)));  // wrong length
  CHECK_FALSE(with("Basic dTpwcQ"));                    // "u:pq" without its padding: not strict
  CHECK_FALSE(with("Basic " + b64("u\n:p")));
  CHECK_FALSE(with("Basic " + b64("u:p\x7f")));
  CHECK_FALSE(with("Bearer " + b64("u:p")));
  CHECK_FALSE(with("Basic"));
  CHECK_FALSE(with(""));
  request none;
  CHECK_FALSE(basic_credentials(none));
}
