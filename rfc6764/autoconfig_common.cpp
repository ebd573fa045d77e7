// Helpers every autoconfiguration document shares.
#include "rfc6764/autoconfig.hpp"

namespace hearth::rfc6764 {

std::optional<endpoint> endpoint_for(const config::config& c, config::service s) {
  const auto& l = c.listen(s);
  if (l.port == 0) return std::nullopt;
  return endpoint{c.hostname, l.port, config::service_tls(s) == config::tls_mode::implicit};
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 §2.2: C0 controls other than TAB, LF and CR cannot appear even escaped.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        out += ch;
    }
  }
  return out;
}

}  // namespace hearth::rfc6764
