// Finding the report files in a report message. Pure; thread-safe.
//
// RFC 7489 §7.2.1.1: a DMARC aggregate report is an XML file, sent as is or compressed with
// gzip or zip (application/gzip, application/zip; senders also use application/x-gzip,
// application/x-zip-compressed, application/octet-stream, text/xml), attached to the message or
// as the whole body. RFC 8460 §5.3: a TLS-RPT report is JSON, application/tlsrpt+json or
// application/tlsrpt+gzip. Each leaf part with such a type (or a .xml/.gz/.zip/.json file
// name) is decoded (Content-Transfer-Encoding), uncompressed by its magic bytes (gzip 1f 8b,
// zip "PK\3\4": the first .xml or .json entry), and classified by its first character: '<'
// is DMARC XML, '{' TLS-RPT JSON.
//
// Limits: each uncompressed file at most max_payload_bytes (a gzip or zip bomb stops there),
// at most max_payloads files per message. Errors: "reports.none" (no report in the message),
// "reports.too_big", "reports.compression" (corrupt gzip or zip data).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/pieces.hpp"

namespace hearth::mail::reports {

inline constexpr std::size_t max_payload_bytes = 16u << 20;
inline constexpr std::size_t max_payloads = 8;

enum class report_kind { dmarc, tls };

struct payload {
  report_kind kind;
  std::string bytes;  // the XML or JSON document
};

result<std::vector<payload>> extract_reports(std::string_view message);

// The same for a message too large to hold (one SMTP kept on disk): `head`, its first octets
// (the header section at least), then `rest`, the octets after them, read in pieces. One pass
// over the pieces builds the MIME structure (mail/message/mime_stream.hpp: header sections
// kept, bodies counted); a second keeps only the report parts' encoded octets, at most
// max_encoded_bytes of them together (a part past that is "reports.too_big"), which are then
// decoded and uncompressed under the limits above. Errors: extract_reports',
// "reports.unreadable" when `rest` fails, "reports.too_big" when a header section passes the
// streaming limits.
inline constexpr std::size_t max_encoded_bytes = 32u << 20;
result<std::vector<payload>> extract_reports(std::string_view head, const body_pieces& rest);

// gzip (or zlib) data uncompressed, refusing output beyond `limit`. Errors "reports.too_big",
// "reports.compression".
result<std::string> gunzip(std::string_view data, std::size_t limit = max_payload_bytes);
// gzip of `data` (for the reports we send). Errors "reports.compression".
result<std::string> gzip(std::string_view data);
// The first .xml or .json entry (else the first file) of an in-memory zip archive, under the
// same limit. Errors as gunzip.
result<std::string> unzip_first(std::string_view archive, std::size_t limit = max_payload_bytes);

}  // namespace hearth::mail::reports
