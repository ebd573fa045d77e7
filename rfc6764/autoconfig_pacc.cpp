// PACC, draft-ietf-mailmaint-pacc ("Automatic Configuration of Email, Calendar, and Contact
// Server Settings"): one JSON document at https://ua-auto-config.DOMAIN/.well-known/
// user-agent-configuration.json, vouched for by the _ua-auto-config TXT record.
//
// Caveat, said here and in the report: the draft's full text was not available to us while
// writing this. The structure below is the one two independent implementations of -02/-03 agree
// on: "protocols" with "imap", "pop3" and "submit" identified by "host" alone (the client uses
// implicit TLS on the protocol's standard port: 993, 995, 465), "jmap", "caldav" and "carddav" by
// "url"; "authentication" with "password": true (and "oauth-public" for OAuth, which we do not
// offer); "info" with "provider" {"name"}. Because the draft has no port member, a mail service
// not listening on its standard implicit-TLS port cannot be described and is left out rather
// than announced wrongly (a dev instance with --port-offset lists only calendars and contacts).
#include "rfc6764/autoconfig.hpp"

#include "core/crypto/crypto.hpp"
#include <vector>

#include "directory/address.hpp"

namespace hearth::rfc6764 {
namespace {

// RFC 8259 §7: quote, backslash and control characters escaped; UTF-8 passes through.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string https_url(const endpoint& web, std::string_view path) {
  std::string url = "https://" + web.host;
  if (web.port != 443) url += ":" + std::to_string(web.port);
  return url + std::string(path);
}

}  // namespace

std::string pacc_document(const config::config& c, std::string_view domain) {
  using config::service;
  std::vector<std::string> protocols;
  struct mail_entry {
    const char* name;
    service svc;
  };
  static constexpr mail_entry mail[] = {{"imap", service::imaps}, {"pop3", service::pop3s}, {"submit", service::submissions}};
  for (const auto& m : mail) {
    auto e = endpoint_for(c, m.svc);
    if (e && e->port == config::standard_port(m.svc))
      protocols.push_back(json_string(m.name) + ":{\"host\":" + json_string(e->host) + "}");
  }
  if (auto web = endpoint_for(c, service::https)) {
    // RFC 6764 §5: the context paths; the server redirects them to the principal's home.
    protocols.push_back("\"caldav\":{\"url\":" + json_string(https_url(*web, "/.well-known/caldav")) + "}");
    protocols.push_back("\"carddav\":{\"url\":" + json_string(https_url(*web, "/.well-known/carddav")) + "}");
  }
  std::string out = "{\"protocols\":{";
  for (std::size_t i = 0; i < protocols.size(); ++i) out += (i ? "," : "") + protocols[i];
  out += "},\"authentication\":{\"password\":true},";
  out += "\"info\":{\"provider\":{\"name\":" + json_string(directory::display_domain(domain)) + "}}}";
  return out;
}

std::string pacc_txt_record(const config::config& c, std::string_view domain) {
  return "v=UAAC1; a=sha256; d=" + crypto::base64_encode(crypto::sha256(pacc_document(c, domain)));
}

}  // namespace hearth::rfc6764
