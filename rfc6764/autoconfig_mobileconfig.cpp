// Apple configuration profile (.mobileconfig): a property list with one payload per account
// type. Keys as in Apple's "Configuration Profile Reference" (Mail, CalDAV, CardDAV payloads).
// Unsigned: iOS/macOS show it as "not verified", which is honest for a self-hosted server.
#include "rfc6764/autoconfig.hpp"

#include <vector>

#include "core/crypto/crypto.hpp"
#include "directory/address.hpp"

namespace hearth::rfc6764 {
namespace {

// A small plist writer: one <dict>, entries in the order they are added.
class dict {
 public:
  explicit dict(int indent) : pad_(static_cast<std::size_t>(indent), '\t') {}
  dict& str(std::string_view k, std::string_view v) {
    return raw(k, "<string>" + xml_escape(v) + "</string>");
  }
  dict& integer(std::string_view k, long long v) { return raw(k, "<integer>" + std::to_string(v) + "</integer>"); }
  dict& boolean(std::string_view k, bool v) { return raw(k, v ? "<true/>" : "<false/>"); }
  dict& raw(std::string_view k, const std::string& value_xml) {
    body_ += pad_ + "\t<key>" + xml_escape(k) + "</key>\n" + pad_ + "\t" + value_xml + "\n";
    return *this;
  }
  std::string text() const { return pad_ + "<dict>\n" + body_ + pad_ + "</dict>\n"; }

 private:
  std::string pad_;
  std::string body_;
};

// A name-based UUID (RFC 9562 §5.8, version 8: our own hash layout) from the host, the address
// and the payload kind: the same inputs always give the same UUID, so a reinstall replaces.
std::string derived_uuid(std::string_view host, std::string_view email, std::string_view kind) {
  std::string input = "hearth.mobileconfig";
  for (std::string_view part : {host, email, kind}) {
    input += '\0';
    input += part;
  }
  std::string h = crypto::sha256(input).substr(0, 16);
  h[6] = static_cast<char>((static_cast<unsigned char>(h[6]) & 0x0f) | 0x80);  // version 8
  h[8] = static_cast<char>((static_cast<unsigned char>(h[8]) & 0x3f) | 0x80);  // variant 10
  std::string out;
  static constexpr char digits[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    auto b = static_cast<unsigned char>(h[i]);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// "mail.example.org" -> "org.example.mail": the reverse-DNS style PayloadIdentifiers use.
std::string reverse_dns(std::string_view host) {
  std::string out;
  while (!host.empty()) {
    auto dot = host.rfind('.');
    std::string_view label = dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (!out.empty()) out += '.';
    out += label;
    host = dot == std::string_view::npos ? std::string_view() : host.substr(0, dot);
  }
  return out;
}

std::optional<endpoint> first_enabled(const config::config& c, config::service implicit, config::service starttls) {
  if (auto e = endpoint_for(c, implicit)) return e;
  return endpoint_for(c, starttls);
}

}  // namespace

std::string apple_mobileconfig(const config::config& c, std::string_view email, std::string_view display_name) {
  using config::service;
  // The identifier names the account without spelling the address into a reverse-DNS string.
  std::string id = reverse_dns(c.hostname) + ".hearth." + crypto::hex_encode(crypto::sha256(email)).substr(0, 16);
  std::string name = display_name.empty() ? std::string(email) : std::string(display_name);
  std::string domain(directory::domain_of(email));
  std::vector<std::string> payloads;

  auto in = first_enabled(c, service::imaps, service::imap);
  auto out = first_enabled(c, service::submissions, service::submission);
  if (in && out) {
    // UseSSL on a STARTTLS port makes Mail negotiate STARTTLS; on 993/465 it is implicit TLS.
    dict d(3);
    d.str("PayloadType", "com.apple.mail.managed")
        .integer("PayloadVersion", 1)
        .str("PayloadIdentifier", id + ".mail")
        .str("PayloadUUID", derived_uuid(c.hostname, email, "mail"))
        .str("PayloadDisplayName", "Mail")
        .str("EmailAccountDescription", std::string(email))
        .str("EmailAccountName", name)
        .str("EmailAccountType", "EmailTypeIMAP")
        .str("EmailAddress", email)
        .str("IncomingMailServerAuthentication", "EmailAuthPassword")
        .str("IncomingMailServerHostName", in->host)
        .integer("IncomingMailServerPortNumber", in->port)
        .boolean("IncomingMailServerUseSSL", true)
        .str("IncomingMailServerUsername", email)
        .str("OutgoingMailServerAuthentication", "EmailAuthPassword")
        .str("OutgoingMailServerHostName", out->host)
        .integer("OutgoingMailServerPortNumber", out->port)
        .boolean("OutgoingMailServerUseSSL", true)
        .str("OutgoingMailServerUsername", email)
        .boolean("OutgoingPasswordSameAsIncomingPassword", true);
    payloads.push_back(d.text());
  }
  if (auto web = endpoint_for(c, service::https)) {
    // RFC 6764 §5: the client starts from the context path /.well-known/caldav (carddav) and
    // follows the redirect to the principal.
    for (std::string_view kind : {"caldav", "carddav"}) {
      std::string k = kind == "caldav" ? "CalDAV" : "CardDAV";
      dict d(3);
      d.str("PayloadType", "com.apple." + std::string(kind) + ".account")
          .integer("PayloadVersion", 1)
          .str("PayloadIdentifier", id + "." + std::string(kind))
          .str("PayloadUUID", derived_uuid(c.hostname, email, kind))
          .str("PayloadDisplayName", kind == "caldav" ? "Calendars" : "Contacts")
          .str(k + "AccountDescription", std::string(email))
          .str(k + "HostName", web->host)
          .integer(k + "Port", web->port)
          .str(k + "PrincipalURL", "/.well-known/" + std::string(kind))
          .boolean(k + "UseSSL", true)
          .str(k + "Username", email);
      payloads.push_back(d.text());
    }
  }

  std::string content = "<array>\n";
  for (const auto& p : payloads) content += p;
  content += "\t</array>";
  dict top(0);
  top.raw("PayloadContent", content)
      .str("PayloadDescription", "Mail, calendars and contacts for " + std::string(email))
      .str("PayloadDisplayName", std::string(email))
      .str("PayloadIdentifier", id)
      .str("PayloadOrganization", directory::display_domain(domain))
      .boolean("PayloadRemovalDisallowed", false)
      .str("PayloadType", "Configuration")
      .str("PayloadUUID", derived_uuid(c.hostname, email, "profile"))
      .integer("PayloadVersion", 1);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
         "<plist version=\"1.0\">\n" +
         top.text() + "</plist>\n";
}

}  // namespace hearth::rfc6764
