// Origin checks and the XEP-0156 documents.
#include <catch2/catch.hpp>

#include "xmpp/web/web.hpp"

using namespace hearth::xmpp::web;

TEST_CASE("web: origins and XEP-0156 documents") {
  web_options o;
  o.hostname = "mail.example.test";
  o.https_port = 8443;
  o.is_local_domain = [](const std::string& d) { return d == "example.test"; };
  CHECK(origin_allowed(o, "https://mail.example.test:8443"));
  CHECK(origin_allowed(o, "https://EXAMPLE.test:8443"));
  CHECK_FALSE(origin_allowed(o, "https://mail.example.test"));  // another port
  CHECK_FALSE(origin_allowed(o, "http://mail.example.test:8443"));
  CHECK_FALSE(origin_allowed(o, "https://evil.test:8443"));
  CHECK_FALSE(origin_allowed(o, "null"));
  o.origins = {"https://chat.example.test"};
  CHECK(origin_allowed(o, "https://chat.example.test"));
  CHECK_FALSE(origin_allowed(o, "https://mail.example.test:8443"));
  o.origins = {"*"};
  CHECK(origin_allowed(o, "https://anything.test"));
  CHECK(websocket_url(o) == "wss://mail.example.test:8443/xmpp-websocket");
  o.https_port = 443;
  CHECK(bosh_url(o) == "https://mail.example.test/http-bind");
  CHECK(host_meta_xrd(o).find("<Link rel='urn:xmpp:alt-connections:websocket' href='wss://mail.example.test/xmpp-websocket'/>") !=
        std::string::npos);
  CHECK(host_meta_json(o).find("\"href\":\"https://mail.example.test/http-bind\"") != std::string::npos);
}
