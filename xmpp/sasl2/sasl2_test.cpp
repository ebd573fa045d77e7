#include "core/crypto/crypto.hpp"
#include "core/sql/sql.hpp"
#include "tests/unit/test_database.hpp"
#include "xmpp/sasl2/request.hpp"
#include "xmpp/sasl2/token_store.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth;
using namespace hearth::xmpp;
using namespace hearth::xmpp::sasl2;

namespace {
element parse(std::string_view xml) {
  auto e = parse_fragment(xml);
  REQUIRE(e);
  return *e;
}
}  // namespace

TEST_CASE("SASL2 <authenticate/> with Bind2 and FAST") {
  auto r = parse_authenticate(parse(
      "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>"
      "<initial-response>" + crypto::base64_encode("n,,n=bob,r=abc") + "</initial-response>"
      "<user-agent id='d4565fa7-4d72-4749-b3d3-740edbf87770'><software>Test</software><device>Phone</device></user-agent>"
      "<bind xmlns='urn:xmpp:bind:0'><tag>App</tag></bind>"
      "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/></authenticate>"));
  REQUIRE(r);
  CHECK(r->mechanism == "SCRAM-SHA-256");
  CHECK(r->initial_response == "n,,n=bob,r=abc");
  CHECK(r->agent_id == "d4565fa7-4d72-4749-b3d3-740edbf87770");
  CHECK(r->software == "Test");
  CHECK(r->bind);
  CHECK(r->tag == "App");
  CHECK(r->request_token);
  CHECK_FALSE(r->fast);
  auto f = parse_authenticate(parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-SHA-256-NONE'>"
                                    "<initial-response>=</initial-response><user-agent id='x'/>"
                                    "<fast xmlns='urn:xmpp:fast:0' invalidate='true'/></authenticate>"));
  REQUIRE(f);
  CHECK(f->fast);
  CHECK(f->invalidate);
  CHECK(f->initial_response == "");
  CHECK_FALSE(f->bind);
  CHECK_FALSE(parse_authenticate(parse("<authenticate xmlns='urn:xmpp:sasl:2'/>")));
  CHECK_FALSE(parse_authenticate(parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>"
                                       "<initial-response>!!!</initial-response></authenticate>")));
  CHECK_FALSE(parse_authenticate(parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>"
                                       "<fast xmlns='urn:xmpp:fast:0'/></authenticate>")));
  CHECK_FALSE(parse_authenticate(parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><user-agent id='a'/>"
                                       "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-EXPR'/></authenticate>")));
  CHECK_FALSE(parse_authenticate(parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>"
                                       "<bind xmlns='urn:xmpp:bind:0'><tag>a/b</tag></bind></authenticate>")));
  CHECK(bound_resource("App", "x1") == "App.x1");
  CHECK(bound_resource("", "x1") == "x1");
  const std::string feat = feature_xml({"SCRAM-SHA-256", "PLAIN"}, true);
  auto fe = parse(feat);
  CHECK(fe.name == "authentication");
  CHECK(fe.ns == "urn:xmpp:sasl:2");
  CHECK(feat.find("<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast>") != std::string::npos);
}

TEST_CASE("FAST token slots: rotation keeps the old token until the new one is used; nothing stored in clear") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  {
    auto st = open_token_store(t.target, "server secret");
    REQUIRE(st);
    auto& s = **st;
    const std::string t1 = s.issue("bob@x.test", "phone", 1000);
    CHECK(s.tokens("bob@x.test", "phone", 500) == std::vector<std::string>{t1});
    CHECK(s.tokens("bob@x.test", "laptop", 500).empty());
    CHECK(s.tokens("bob@x.test", "phone", 1000).empty());  // expired
    s.used("bob@x.test", "phone", t1);  // new -> current
    const std::string t2 = s.issue("bob@x.test", "phone", 2000);
    CHECK(t2 != t1);
    CHECK(s.tokens("bob@x.test", "phone", 500) == std::vector<std::string>{t2, t1});
    s.used("bob@x.test", "phone", t1);  // the old one again: nothing moves
    CHECK(s.tokens("bob@x.test", "phone", 500) == std::vector<std::string>{t2, t1});
    s.used("bob@x.test", "phone", t2);  // the new one: the old one is gone
    CHECK(s.tokens("bob@x.test", "phone", 500) == std::vector<std::string>{t2});
    s.invalidate("bob@x.test", "phone");
    CHECK(s.tokens("bob@x.test", "phone", 500).empty());
    // Another secret derives other tokens from the same rows.
    const std::string t3 = s.issue("bob@x.test", "phone", 3000);
    auto other = open_token_store(t.target, "another secret");
    REQUIRE(other);
    auto seen = (*other)->tokens("bob@x.test", "phone", 500);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] != t3);
    // The rows hold nonces only: no token appears in them.
    auto raw = sql::open(t.target).value();
    auto rows = raw->get().query("SELECT nonce FROM fast_token WHERE account = ?1", "bob@x.test").value();
    REQUIRE(rows.size() == 1);
    CHECK(rows.text(0, 0) != t3);
    CHECK(rows.text(0, 0).size() == 32);
  }
}
