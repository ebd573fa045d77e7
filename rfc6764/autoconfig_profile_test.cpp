// The Apple profile and the PACC document, read back with a plist reader (pugixml) and a small
// JSON reader.
#include <catch2/catch.hpp>

#include <map>
#include <pugixml.hpp>
#include <cctype>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "rfc6764/autoconfig.hpp"
#include "rfc6764/autoconfig_test_support.hpp"

using namespace hearth;
using hearth::rfc6764::test::disable;
using hearth::rfc6764::test::test_config;
using config::service;

namespace {


// A plist <dict> as key -> value node.
std::map<std::string, pugi::xml_node> plist_dict(const pugi::xml_node& dict) {
  std::map<std::string, pugi::xml_node> out;
  for (auto k = dict.child("key"); k; k = k.next_sibling("key")) out[k.child_value()] = k.next_sibling();
  return out;
}

std::string text(const std::map<std::string, pugi::xml_node>& d, const std::string& key) {
  auto it = d.find(key);
  return it == d.end() ? std::string("<missing>") : std::string(it->second.name()) + ":" + it->second.child_value();
}

struct profile {
  pugi::xml_document doc;
  std::map<std::string, pugi::xml_node> top;
  std::vector<std::map<std::string, pugi::xml_node>> payloads;
};

void read_profile(profile& p, const std::string& body) {
  INFO(body);
  REQUIRE(p.doc.load_buffer(body.data(), body.size()));
  auto plist = p.doc.child("plist");
  REQUIRE(plist);
  p.top = plist_dict(plist.child("dict"));
  REQUIRE(p.top.count("PayloadContent"));
  for (auto d : p.top["PayloadContent"].children("dict")) p.payloads.push_back(plist_dict(d));
}

// A minimal JSON reader (objects, strings, true/false/null, numbers) flattening scalars to
// "a.b.c" -> text; fails on anything else, so malformed output fails the test.
class json_flat {
 public:
  explicit json_flat(std::string_view s) : s_(s) { ok_ = value("") && (ws(), i_ == s_.size()); }
  bool ok() const { return ok_; }
  std::map<std::string, std::string> values;

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool string(std::string& out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      char c = s_[i_];
      if (c == '"') return ++i_, true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        c = s_[i_];
        if (c == 'u') return false;  // not needed by these documents
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        out += c;
      }
    }
    return false;
  }
  bool value(const std::string& path) {
    ws();
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '{') {
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
      for (int n = 0; n < 1000; ++n) {
        ws();
        std::string key;
        if (!string(key)) return false;
        ws();
        if (i_ >= s_.size() || s_[i_++] != ':') return false;
        std::string sub = path.empty() ? key : path + "." + key;
        if (values.count(sub)) return false;  // duplicate member
        if (!value(sub)) return false;
        ws();
        if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
        if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
        return false;
      }
      return false;
    }
    if (s_[i_] == '"') {
      std::string v;
      if (!string(v)) return false;
      values[path] = v;
      return true;
    }
    for (std::string_view lit : {"true", "false", "null"})
      if (s_.substr(i_, lit.size()) == lit) {
        values[path] = std::string(lit);
        i_ += lit.size();
        return true;
      }
    std::size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-')) ++i_;
    if (start == i_) return false;
    values[path] = std::string(s_.substr(start, i_ - start));
    return true;
  }
  std::string_view s_;
  std::size_t i_ = 0;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("Apple profile: mail, CalDAV and CardDAV payloads for the address, without a password") {
  auto c = test_config();
  std::string body = rfc6764::apple_mobileconfig(c, "ann@example.org", "Ann & \"Co\" <x>");
  profile p;
  read_profile(p, body);
  CHECK(text(p.top, "PayloadType") == "string:Configuration");
  CHECK(text(p.top, "PayloadVersion") == "integer:1");
  CHECK(text(p.top, "PayloadRemovalDisallowed") == "false:");
  REQUIRE(p.payloads.size() == 3);

  auto& mail = p.payloads[0];
  CHECK(text(mail, "PayloadType") == "string:com.apple.mail.managed");
  CHECK(text(mail, "EmailAccountType") == "string:EmailTypeIMAP");
  CHECK(text(mail, "EmailAccountName") == "string:Ann & \"Co\" <x>");
  CHECK(text(mail, "EmailAddress") == "string:ann@example.org");
  CHECK(text(mail, "IncomingMailServerHostName") == "string:mail.example.org");
  CHECK(text(mail, "IncomingMailServerPortNumber") == "integer:993");
  CHECK(text(mail, "IncomingMailServerUseSSL") == "true:");
  CHECK(text(mail, "IncomingMailServerUsername") == "string:ann@example.org");
  CHECK(text(mail, "IncomingMailServerAuthentication") == "string:EmailAuthPassword");
  CHECK(text(mail, "OutgoingMailServerHostName") == "string:mail.example.org");
  CHECK(text(mail, "OutgoingMailServerPortNumber") == "integer:465");
  CHECK(text(mail, "OutgoingMailServerUseSSL") == "true:");
  CHECK(text(mail, "OutgoingMailServerUsername") == "string:ann@example.org");
  CHECK(text(mail, "OutgoingPasswordSameAsIncomingPassword") == "true:");

  for (int i : {1, 2}) {
    std::string k = i == 1 ? "CalDAV" : "CardDAV";
    std::string kind = i == 1 ? "caldav" : "carddav";
    auto& d = p.payloads[static_cast<std::size_t>(i)];
    CHECK(text(d, "PayloadType") == "string:com.apple." + kind + ".account");
    CHECK(text(d, k + "HostName") == "string:mail.example.org");
    CHECK(text(d, k + "Port") == "integer:443");
    CHECK(text(d, k + "UseSSL") == "true:");
    CHECK(text(d, k + "Username") == "string:ann@example.org");
    CHECK(text(d, k + "PrincipalURL") == "string:/.well-known/" + kind);
  }
  // No password key of any kind (the builder is never given one).
  CHECK(body.find("<key>IncomingPassword</key>") == std::string::npos);
  CHECK(body.find("<key>OutgoingPassword</key>") == std::string::npos);
  CHECK(body.find("<key>Password</key>") == std::string::npos);
}

TEST_CASE("Apple profile: UUIDs are well-formed, distinct and derived from the address") {
  auto c = test_config();
  std::regex uuid("[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}");
  auto uuids = [&](const std::string& email) {
    profile p;
    read_profile(p, rfc6764::apple_mobileconfig(c, email, ""));
    std::vector<std::string> out{p.top["PayloadUUID"].child_value()};
    for (auto& d : p.payloads) out.push_back(d["PayloadUUID"].child_value());
    return out;
  };
  auto a = uuids("ann@example.org");
  REQUIRE(a.size() == 4);
  for (const auto& u : a) CHECK(std::regex_match(u, uuid));
  CHECK(std::set<std::string>(a.begin(), a.end()).size() == 4);
  CHECK(uuids("ann@example.org") == a);
  auto b = uuids("bob@example.org");
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] != b[i]);
}

TEST_CASE("Apple profile follows the ports and leaves out disabled services") {
  auto c = test_config(20000);
  disable(c, service::https);
  disable(c, service::imaps);
  profile p;
  read_profile(p, rfc6764::apple_mobileconfig(c, "ann@example.org", ""));
  REQUIRE(p.payloads.size() == 1);
  CHECK(text(p.payloads[0], "IncomingMailServerPortNumber") == "integer:20143");
  CHECK(text(p.payloads[0], "OutgoingMailServerPortNumber") == "integer:20465");
  CHECK(text(p.payloads[0], "EmailAccountName") == "string:ann@example.org");
}

TEST_CASE("PACC document on standard ports") {
  auto c = test_config();
  std::string doc = rfc6764::pacc_document(c, "example.org");
  json_flat j(doc);
  INFO(doc);
  REQUIRE(j.ok());
  std::map<std::string, std::string> expected{
      {"protocols.imap.host", "mail.example.org"},
      {"protocols.pop3.host", "mail.example.org"},
      {"protocols.submit.host", "mail.example.org"},
      {"protocols.caldav.url", "https://mail.example.org/.well-known/caldav"},
      {"protocols.carddav.url", "https://mail.example.org/.well-known/carddav"},
      {"authentication.password", "true"},
      {"info.provider.name", "example.org"},
  };
  CHECK(j.values == expected);
}

TEST_CASE("PACC document leaves out mail services off their standard port") {
  auto c = test_config(20000);
  std::string doc = rfc6764::pacc_document(c, "example.org");
  json_flat j(doc);
  INFO(doc);
  REQUIRE(j.ok());
  CHECK(j.values.count("protocols.imap.host") == 0);
  CHECK(j.values.count("protocols.submit.host") == 0);
  CHECK(j.values["protocols.caldav.url"] == "https://mail.example.org:20443/.well-known/caldav");
  disable(c, service::https);
  json_flat none(rfc6764::pacc_document(c, "example.org"));
  REQUIRE(none.ok());
  CHECK(none.values.count("protocols.caldav.url") == 0);
  CHECK(none.values["authentication.password"] == "true");
}

TEST_CASE("PACC TXT record is the digest of the served bytes") {
  auto c = test_config();
  std::string doc = rfc6764::pacc_document(c, "example.org");
  CHECK(rfc6764::pacc_txt_record(c, "example.org") ==
        "v=UAAC1; a=sha256; d=" + crypto::base64_encode(crypto::sha256(doc)));
  CHECK(rfc6764::pacc_txt_record(c, "example.org") != rfc6764::pacc_txt_record(c, "example.net"));
}
