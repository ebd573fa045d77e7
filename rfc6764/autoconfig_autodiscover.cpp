// Microsoft Autodiscover, the "Plain Old XML" flavour Outlook uses for IMAP/SMTP accounts
// ([MS-OXDSCLI]; Exchange's "Autodiscover (POX)" reference: Account, AccountType, Action,
// Protocol and its Type, Server, Port, LoginName, DomainRequired, SPA, SSL, AuthRequired).
#include "rfc6764/autoconfig.hpp"

#include <pugixml.hpp>

#include "core/util/strings.hpp"
#include "directory/address.hpp"

namespace hearth::rfc6764 {
namespace {

std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Namespaces in XML 1.0 §6: the prefix (or no prefix: the default namespace) is bound by the
// nearest xmlns declaration on the element or an ancestor. pugixml does not do this itself.
std::string_view namespace_of(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  std::string attr = colon == std::string_view::npos ? std::string("xmlns")
                                                     : "xmlns:" + std::string(name.substr(0, colon));
  for (pugi::xml_node p = n; p && p.type() == pugi::node_element; p = p.parent())
    if (auto a = p.attribute(attr.c_str())) return a.value();
  return {};
}

bool is(const pugi::xml_node& n, std::string_view ns, std::string_view local) {
  return n.type() == pugi::node_element && local_name(n) == local && namespace_of(n) == ns;
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view ns, std::string_view local) {
  for (pugi::xml_node c : parent.children())
    if (is(c, ns, local)) return c;
  return {};
}

// One Protocol element. STARTTLS is "Encryption TLS" in the POX schema (it overrides SSL).
void protocol(std::string& out, const char* type, const endpoint& e, std::string_view email, bool smtp) {
  out += "      <Protocol>\n";
  out += "        <Type>";
  out += type;
  out += "</Type>\n";
  out += "        <Server>" + xml_escape(e.host) + "</Server>\n";
  out += "        <Port>" + std::to_string(e.port) + "</Port>\n";
  out += "        <DomainRequired>off</DomainRequired>\n";
  out += "        <LoginName>" + xml_escape(email) + "</LoginName>\n";
  // SPA (NTLM) off: logins are the address and its password, inside TLS.
  out += "        <SPA>off</SPA>\n";
  out += "        <SSL>on</SSL>\n";
  if (!e.implicit_tls) out += "        <Encryption>TLS</Encryption>\n";
  out += "        <AuthRequired>on</AuthRequired>\n";
  if (smtp) out += "        <UsePOPAuth>off</UsePOPAuth>\n        <SMTPLast>off</SMTPLast>\n";
  out += "      </Protocol>\n";
}

std::optional<endpoint> first_enabled(const config::config& c, config::service implicit, config::service starttls) {
  if (auto e = endpoint_for(c, implicit)) return e;
  return endpoint_for(c, starttls);
}

}  // namespace

std::string autodiscover_response(const config::config& c, std::string_view email) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<Autodiscover xmlns=\"" + std::string(autodiscover_envelope_ns) + "\">\n";
  out += "  <Response xmlns=\"" + std::string(autodiscover_response_ns) + "\">\n";
  out += "    <Account>\n";
  out += "      <AccountType>email</AccountType>\n";
  out += "      <Action>settings</Action>\n";
  if (auto e = first_enabled(c, config::service::imaps, config::service::imap)) protocol(out, "IMAP", *e, email, false);
  if (auto e = first_enabled(c, config::service::submissions, config::service::submission))
    protocol(out, "SMTP", *e, email, true);
  out += "    </Account>\n  </Response>\n</Autodiscover>\n";
  return out;
}

std::string autodiscover_error(int code, std::string_view message) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<Autodiscover xmlns=\"" + std::string(autodiscover_envelope_ns) + "\">\n";
  out += "  <Response>\n    <Error>\n";
  out += "      <ErrorCode>" + std::to_string(code) + "</ErrorCode>\n";
  out += "      <Message>" + xml_escape(message) + "</Message>\n";
  out += "      <DebugData />\n    </Error>\n  </Response>\n</Autodiscover>\n";
  return out;
}

result<std::string> parse_autodiscover_request(std::string_view body) {
  if (body.size() > max_autodiscover_body)
    return fail("autodiscover.too_large", "the request is larger than " + std::to_string(max_autodiscover_body) + " bytes");
  pugi::xml_document doc;
  // parse_default expands only the predefined and numeric entities and never fetches a DTD.
  auto parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) return fail("autodiscover.malformed", std::string("not well-formed XML: ") + parsed.description());
  pugi::xml_node root = doc.document_element();
  if (!is(root, autodiscover_request_ns, "Autodiscover"))
    return fail("autodiscover.malformed", "the root is not an Autodiscover request element");
  pugi::xml_node request = child(root, autodiscover_request_ns, "Request");
  pugi::xml_node address = child(request, autodiscover_request_ns, "EMailAddress");
  if (!request || !address) return fail("autodiscover.malformed", "no Request/EMailAddress element");
  if (pugi::xml_node schema = child(request, autodiscover_request_ns, "AcceptableResponseSchema")) {
    if (util::trim(schema.child_value()) != autodiscover_response_ns)
      return fail("autodiscover.schema", "only the Outlook response schema is offered");
  }
  auto normalized = directory::normalize_address(util::trim(address.child_value()));
  if (!normalized) return fail("autodiscover.address", "EMailAddress is not a valid address");
  return *normalized;
}

}  // namespace hearth::rfc6764
