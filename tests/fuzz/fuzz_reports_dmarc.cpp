// libFuzzer: the DMARC aggregate report XML parser (mail/reports/dmarc_xml.hpp), then the
// summary of what it read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/reports/dmarc_xml.hpp"
#include "mail/reports/summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = hearth::mail::reports::parse_dmarc_report({reinterpret_cast<const char*>(data), size});
  if (!r) return 0;
  std::vector<hearth::mail::reports::stored_dmarc_row> rows;
  for (const auto& row : r->rows) {
    hearth::mail::reports::stored_dmarc_row s;
    static_cast<hearth::mail::reports::dmarc_row&>(s) = row;
    s.org = r->org;
    s.domain = r->domain;
    s.begin = r->begin;
    rows.push_back(std::move(s));
  }
  (void)hearth::mail::reports::format_dmarc(rows);
  return 0;
}
