#include <catch2/catch.hpp>

#include "xmpp/s2s/internal.hpp"
#include "xmpp/s2s/s2s.hpp"

using namespace hearth::xmpp;

TEST_CASE("XEP-0185 dialback key") {
  // Expected value computed independently (Python hmac/hashlib) from the XEP-0185 §2 formula.
  CHECK(dialback_key("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F") ==
        "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc");
}

TEST_CASE("dialback keys differ by domain and stream id") {
  auto k = dialback_key("secret", "b.test", "a.test", "id1");
  CHECK(k.size() == 64);
  CHECK(k != dialback_key("secret", "a.test", "b.test", "id1"));
  CHECK(k != dialback_key("secret", "b.test", "a.test", "id2"));
  CHECK(k != dialback_key("other", "b.test", "a.test", "id1"));
}

TEST_CASE("stanza namespace switch is recursive and leaves other namespaces") {
  element m("message", std::string(ns_client));
  m.add("body", std::string(ns_client)).add_text("hi");
  m.add("x", "urn:other");
  switch_ns(m, ns_client, ns_server);
  CHECK(m.ns == ns_server);
  CHECK(m.child("body")->ns == ns_server);
  CHECK(m.child("x")->ns == "urn:other");
  CHECK(serialize(m, ns_server).find("jabber:client") == std::string::npos);
}
