// libFuzzer: the TLS-RPT report parser (on core/json with its report limits) (mail/reports/tlsrpt_json.hpp), and
// the rua URIs we post reports to (https_uris, parse_https_uri).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/reports/https_post.hpp"
#include "mail/reports/outgoing.hpp"
#include "mail/reports/tlsrpt_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hearth::mail::reports::parse_tls_report(text);
  (void)hearth::mail::reports::parse_rfc3339(text);
  for (const auto& uri : hearth::mail::reports::https_uris(text)) (void)hearth::mail::reports::parse_https_uri(uri);
  (void)hearth::mail::reports::parse_https_uri(text);
  return 0;
}
