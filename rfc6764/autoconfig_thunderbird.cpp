// Thunderbird autoconfig: Mozilla's "clientConfig version 1.1" format, as documented on the
// Mozilla wiki (Thunderbird:Autoconfiguration:ConfigFileFormat) and in
// draft-ietf-mailmaint-autoconfig. Element names are the documented ones, exactly.
#include "rfc6764/autoconfig.hpp"

#include "directory/address.hpp"

namespace hearth::rfc6764 {
namespace {

// kind: "incomingServer" or "outgoingServer"; type: "imap", "pop3", "smtp".
void server(std::string& out, const char* kind, const char* type, const endpoint& e) {
  out += "    <";
  out += kind;
  out += " type=\"";
  out += type;
  out += "\">\n";
  out += "      <hostname>" + xml_escape(e.host) + "</hostname>\n";
  out += "      <port>" + std::to_string(e.port) + "</port>\n";
  // "SSL" = TLS from the first byte, "STARTTLS" = upgrade required (the format's own words).
  out += e.implicit_tls ? "      <socketType>SSL</socketType>\n" : "      <socketType>STARTTLS</socketType>\n";
  out += "      <username>%EMAILADDRESS%</username>\n";
  // "password-cleartext": PLAIN/LOGIN or the protocol's own login, always inside TLS here.
  out += "      <authentication>password-cleartext</authentication>\n";
  out += "    </";
  out += kind;
  out += ">\n";
}

}  // namespace

std::string thunderbird_config(const config::config& c, std::string_view domain) {
  using config::service;
  std::string d = xml_escape(domain);
  std::string shown = xml_escape(directory::display_domain(domain));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n";
  out += "  <emailProvider id=\"" + d + "\">\n";
  out += "    <domain>" + d + "</domain>\n";
  out += "    <displayName>" + shown + " mail</displayName>\n";
  out += "    <displayShortName>" + shown + "</displayShortName>\n";
  // RFC 8314 §3: implicit TLS is preferred over STARTTLS, so it is listed first.
  struct entry {
    const char* kind;
    const char* type;
    service svc;
  };
  static constexpr entry entries[] = {
      {"incomingServer", "imap", service::imaps},     {"incomingServer", "imap", service::imap},
      {"incomingServer", "pop3", service::pop3s},     {"outgoingServer", "smtp", service::submissions},
      {"outgoingServer", "smtp", service::submission},
  };
  for (const auto& e : entries)
    if (auto ep = endpoint_for(c, e.svc)) server(out, e.kind, e.type, *ep);
  out += "  </emailProvider>\n</clientConfig>\n";
  return out;
}

}  // namespace hearth::rfc6764
