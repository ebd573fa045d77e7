// The autoconfiguration documents, built for a test config and read back with a real parser.
#include <catch2/catch.hpp>

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "rfc6764/autoconfig.hpp"
#include "rfc6764/autoconfig_test_support.hpp"

using namespace hearth;
using hearth::rfc6764::test::disable;
using hearth::rfc6764::test::test_config;
using config::service;

namespace {


pugi::xml_document parse_xml(const std::string& text) {
  pugi::xml_document doc;
  auto r = doc.load_buffer(text.data(), text.size());
  INFO(text);
  REQUIRE(r);
  return doc;
}

struct tb_server {
  std::string type, hostname, port, socket, username, authentication;
};

std::vector<tb_server> tb_servers(const pugi::xml_node& provider, const char* kind) {
  std::vector<tb_server> out;
  for (auto s : provider.children(kind))
    out.push_back({s.attribute("type").value(), s.child_value("hostname"), s.child_value("port"),
                   s.child_value("socketType"), s.child_value("username"), s.child_value("authentication")});
  return out;
}

}  // namespace

TEST_CASE("Thunderbird clientConfig lists every enabled mail listener, implicit TLS first") {
  auto c = test_config();
  auto doc = parse_xml(rfc6764::thunderbird_config(c, "example.org"));
  auto root = doc.document_element();
  CHECK(std::string(root.name()) == "clientConfig");
  CHECK(std::string(root.attribute("version").value()) == "1.1");
  auto provider = root.child("emailProvider");
  REQUIRE(provider);
  CHECK(std::string(provider.attribute("id").value()) == "example.org");
  CHECK(std::string(provider.child_value("domain")) == "example.org");
  CHECK(std::string(provider.child_value("displayName")) == "example.org mail");
  CHECK(std::string(provider.child_value("displayShortName")) == "example.org");

  auto in = tb_servers(provider, "incomingServer");
  REQUIRE(in.size() == 3);
  CHECK((in[0].type == "imap" && in[0].port == "993" && in[0].socket == "SSL"));
  CHECK((in[1].type == "imap" && in[1].port == "143" && in[1].socket == "STARTTLS"));
  CHECK((in[2].type == "pop3" && in[2].port == "995" && in[2].socket == "SSL"));
  auto out = tb_servers(provider, "outgoingServer");
  REQUIRE(out.size() == 2);
  CHECK((out[0].type == "smtp" && out[0].port == "465" && out[0].socket == "SSL"));
  CHECK((out[1].type == "smtp" && out[1].port == "587" && out[1].socket == "STARTTLS"));
  for (const auto* list : {&in, &out})
    for (const auto& s : *list) {
      CHECK(s.hostname == "mail.example.org");
      CHECK(s.username == "%EMAILADDRESS%");
      CHECK(s.authentication == "password-cleartext");
    }
}

TEST_CASE("Thunderbird clientConfig follows the configured ports and drops disabled listeners") {
  auto c = test_config(20000);
  disable(c, service::imap);
  disable(c, service::submission);
  auto doc = parse_xml(rfc6764::thunderbird_config(c, "example.org"));
  auto provider = doc.document_element().child("emailProvider");
  auto in = tb_servers(provider, "incomingServer");
  REQUIRE(in.size() == 2);
  CHECK(in[0].port == "20993");
  CHECK(in[1].port == "20995");
  auto out = tb_servers(provider, "outgoingServer");
  REQUIRE(out.size() == 1);
  CHECK(out[0].port == "20465");
}

TEST_CASE("xml_escape escapes markup and drops characters XML cannot carry") {
  CHECK(rfc6764::xml_escape("a&b<c>\"d\"'e'") == "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;");
  CHECK(rfc6764::xml_escape(std::string("x\x01y\tz", 5)) == "xy\tz");
}

TEST_CASE("Autodiscover response: IMAP and SMTP with implicit TLS, the address as login") {
  auto c = test_config();
  auto doc = parse_xml(rfc6764::autodiscover_response(c, "ann@example.org"));
  auto root = doc.document_element();
  CHECK(std::string(root.name()) == "Autodiscover");
  CHECK(std::string(root.attribute("xmlns").value()) == rfc6764::autodiscover_envelope_ns);
  auto response = root.child("Response");
  CHECK(std::string(response.attribute("xmlns").value()) == rfc6764::autodiscover_response_ns);
  auto account = response.child("Account");
  CHECK(std::string(account.child_value("AccountType")) == "email");
  CHECK(std::string(account.child_value("Action")) == "settings");
  std::vector<pugi::xml_node> protocols;
  for (auto p : account.children("Protocol")) protocols.push_back(p);
  REQUIRE(protocols.size() == 2);
  CHECK(std::string(protocols[0].child_value("Type")) == "IMAP");
  CHECK(std::string(protocols[0].child_value("Port")) == "993");
  CHECK(std::string(protocols[1].child_value("Type")) == "SMTP");
  CHECK(std::string(protocols[1].child_value("Port")) == "465");
  for (auto p : protocols) {
    CHECK(std::string(p.child_value("Server")) == "mail.example.org");
    CHECK(std::string(p.child_value("LoginName")) == "ann@example.org");
    CHECK(std::string(p.child_value("SSL")) == "on");
    CHECK(std::string(p.child_value("SPA")) == "off");
    CHECK(std::string(p.child_value("AuthRequired")) == "on");
    CHECK(std::string(p.child_value("DomainRequired")) == "off");
    CHECK_FALSE(p.child("Encryption"));
  }
}

TEST_CASE("Autodiscover response falls back to STARTTLS and leaves out what is disabled") {
  auto c = test_config(20000);
  disable(c, service::imaps);
  disable(c, service::submissions);
  disable(c, service::submission);
  auto doc = parse_xml(rfc6764::autodiscover_response(c, "ann@example.org"));
  auto account = doc.document_element().child("Response").child("Account");
  std::vector<pugi::xml_node> protocols;
  for (auto p : account.children("Protocol")) protocols.push_back(p);
  REQUIRE(protocols.size() == 1);
  CHECK(std::string(protocols[0].child_value("Type")) == "IMAP");
  CHECK(std::string(protocols[0].child_value("Port")) == "20143");
  CHECK(std::string(protocols[0].child_value("Encryption")) == "TLS");
}

TEST_CASE("Autodiscover error document") {
  auto doc = parse_xml(rfc6764::autodiscover_error(600, "Invalid Request"));
  auto error = doc.document_element().child("Response").child("Error");
  CHECK(std::string(error.child_value("ErrorCode")) == "600");
  CHECK(std::string(error.child_value("Message")) == "Invalid Request");
}

TEST_CASE("Autodiscover requests: any prefix or a default namespace") {
  const std::string ns(rfc6764::autodiscover_request_ns);
  const std::string schema(rfc6764::autodiscover_response_ns);
  SECTION("default namespace, as Outlook sends it") {
    auto r = rfc6764::parse_autodiscover_request(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"" + ns +
        "\">\n <Request>\n  <EMailAddress> Ann@Example.ORG </EMailAddress>\n  <AcceptableResponseSchema>" + schema +
        "</AcceptableResponseSchema>\n </Request>\n</Autodiscover>\n");
    REQUIRE(r);
    CHECK(*r == "ann@example.org");
  }
  SECTION("prefix a") {
    auto r = rfc6764::parse_autodiscover_request("<a:Autodiscover xmlns:a=\"" + ns +
                                                 "\"><a:Request><a:EMailAddress>bob@example.org</a:EMailAddress>"
                                                 "</a:Request></a:Autodiscover>");
    REQUIRE(r);
    CHECK(*r == "bob@example.org");
  }
  SECTION("another prefix, declared on an inner element") {
    auto r = rfc6764::parse_autodiscover_request("<x:Autodiscover xmlns:x=\"" + ns + "\"><x:Request xmlns:req=\"" +
                                                 ns + "\"><req:EMailAddress>cy@example.org</req:EMailAddress>"
                                                 "</x:Request></x:Autodiscover>");
    REQUIRE(r);
    CHECK(*r == "cy@example.org");
  }
}

TEST_CASE("Autodiscover requests: malformed input is refused with a reason") {
  const std::string ns(rfc6764::autodiscover_request_ns);
  auto code = [](std::string_view body) {
    auto r = rfc6764::parse_autodiscover_request(body);
    return r ? std::string("ok") : r.error().code;
  };
  CHECK(code("") == "autodiscover.malformed");
  CHECK(code("not xml at all") == "autodiscover.malformed");
  CHECK(code("<Autodiscover xmlns=\"" + ns + "\"><Request><EMailAddress>a@b.org</Request></Autodiscover>") ==
        "autodiscover.malformed");
  // No namespace, a wrong one, an undeclared prefix, and a prefix rebound to another namespace.
  CHECK(code("<Autodiscover><Request><EMailAddress>a@b.org</EMailAddress></Request></Autodiscover>") ==
        "autodiscover.malformed");
  CHECK(code("<Autodiscover xmlns=\"urn:other\"><Request><EMailAddress>a@b.org</EMailAddress></Request></Autodiscover>") ==
        "autodiscover.malformed");
  CHECK(code("<p:Autodiscover><p:Request><p:EMailAddress>a@b.org</p:EMailAddress></p:Request></p:Autodiscover>") ==
        "autodiscover.malformed");
  CHECK(code("<a:Autodiscover xmlns:a=\"" + ns + "\"><a:Request><a:EMailAddress xmlns:a=\"urn:other\">a@b.org"
                                                 "</a:EMailAddress></a:Request></a:Autodiscover>") ==
        "autodiscover.malformed");
  CHECK(code("<Autodiscover xmlns=\"" + ns + "\"><Request></Request></Autodiscover>") == "autodiscover.malformed");
  CHECK(code("<Autodiscover xmlns=\"" + ns + "\"><Request><EMailAddress>no-at-sign</EMailAddress></Request></Autodiscover>") ==
        "autodiscover.address");
  // An external entity is neither fetched nor expanded: what is left is not an address.
  CHECK(code("<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Autodiscover xmlns=\"" + ns +
             "\"><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>") != "ok");
  CHECK(code("<Autodiscover xmlns=\"" + ns + "\"><Request><EMailAddress>a@b.org</EMailAddress>"
             "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/"
             "responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>") == "autodiscover.schema");
  std::string big = "<Autodiscover xmlns=\"" + ns + "\"><Request><EMailAddress>a@b.org</EMailAddress></Request>" +
                    std::string(rfc6764::max_autodiscover_body, ' ') + "</Autodiscover>";
  CHECK(code(big) == "autodiscover.too_large");
}
