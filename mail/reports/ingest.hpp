// A report message, received at the address our zone publishes for rua/TLS-RPT, into the
// store: extract_reports, the parsers, add_dmarc/add_tls. Blocking (the store); thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/pieces.hpp"
#include "mail/reports/store.hpp"

namespace hearth::mail::reports {

struct ingested {
  std::string kind;       // "dmarc" | "tls"
  std::string org, report_id, domain;
  std::size_t rows = 0;   // records (DMARC) or policies (TLS-RPT)
  bool duplicate = false; // the same report was stored before
};

// Every report in `message`. Errors: extract_reports' and the parsers' codes (the first
// report that failed, when none could be stored), "db.*".
result<std::vector<ingested>> ingest(store& st, std::string_view message, std::int64_t now);
// The same for a message read in pieces: `head`, then the octets `rest` gives (unpack.hpp).
result<std::vector<ingested>> ingest(store& st, std::string_view head, const body_pieces& rest, std::int64_t now);

}  // namespace hearth::mail::reports
