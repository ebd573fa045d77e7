// RDATA parsers for the record types Hearth asks for, and helpers to build query names.
//
// Pure functions over bytes (no Asio, no libunbound), so they are unit-tested on hand-built
// arrays and fuzzable. Input is one record's RDATA without the RDLENGTH prefix, as libunbound
// hands it out in ub_result->data[i] (names inside are already uncompressed there: unbound
// keeps RDATA decompressed in its cache; resolver_test checks this against a live knotd).
//
// Every parser is bounds-checked: a truncated or over-long RDATA, a label over 63 octets, a name
// over 255 octets or a compression pointer gives std::nullopt, never a read past the end.
// Names come back in presentation form, lowercase, without the trailing dot; the root name is
// "" (RFC 7505 null MX, RFC 2782 "service not available" SRV target). Octets that are not
// letters, digits, '-', '_' or '*' are written as \DDD (RFC 1035 §5.1), so a hostile label
// cannot forge a dot or a control character in a log line.
// Thread-safety: all functions are reentrant.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::dns {

struct mx_record {
  std::uint16_t preference = 0;
  std::string host;  // "" = null MX (RFC 7505)
  bool operator==(const mx_record&) const = default;
};

struct srv_record {
  std::uint16_t priority = 0, weight = 0, port = 0;
  std::string target;  // "" = service decidedly not available (RFC 2782)
  bool operator==(const srv_record&) const = default;
};

struct tlsa_record {
  std::uint8_t usage = 0, selector = 0, matching = 0;
  std::string data;  // certificate association data, lowercase hex (RFC 6698 §2.2)
  bool operator==(const tlsa_record&) const = default;
};

// RFC 8659 §4.1: one CAA record.
struct caa_record {
  std::uint8_t flags = 0;  // bit 0 (128) is the Issuer Critical Flag
  std::string tag;         // 1..255 ASCII letters and digits, lowercased (tags match case-insensitively)
  std::string value;       // the rest of the RDATA, bytes as they are
  bool operator==(const caa_record&) const = default;
};

// Record types, by their IANA numbers.
enum class rr_type : std::uint16_t {
  a = 1, cname = 5, ptr = 12, mx = 15, txt = 16, aaaa = 28, srv = 33, tlsa = 52, caa = 257
};

// A domain name in uncompressed wire format starting at `pos` in `rdata`. On success returns the
// presentation form and advances `pos` past the name.
std::optional<std::string> parse_name(std::string_view rdata, std::size_t& pos);

std::optional<std::array<std::uint8_t, 4>> parse_a(std::string_view rdata);     // exactly 4 octets
std::optional<std::array<std::uint8_t, 16>> parse_aaaa(std::string_view rdata); // exactly 16 octets
std::optional<mx_record> parse_mx(std::string_view rdata);    // RFC 1035 §3.3.9
std::optional<srv_record> parse_srv(std::string_view rdata);  // RFC 2782
std::optional<std::string> parse_ptr(std::string_view rdata); // RFC 1035 §3.3.12
std::optional<std::string> parse_cname(std::string_view rdata); // RFC 1035 §3.3.1: the target
// RFC 1035 §3.3.14: one or more <character-string>s; returned concatenated without separators,
// as RFC 7208 §3.3 (SPF) and RFC 6376 §3.6.2.2 (DKIM) read them. Bytes are returned as they are.
std::optional<std::string> parse_txt(std::string_view rdata);
std::optional<tlsa_record> parse_tlsa(std::string_view rdata); // RFC 6698 §2.1
// RFC 8659 §4.1: flags octet, tag length (1..255, within the RDATA), tag (ASCII letters and
// digits, else nullopt), value (the remaining octets; may be empty).
std::optional<caa_record> parse_caa(std::string_view rdata);
// Presentation form as in zone files (RFC 8659 §4.1.1): `0 issue "letsencrypt.org"`; the value
// quoted as quote_txt() does.
std::string format_caa(const caa_record& r);

// Lowercase; strips one trailing dot; checks the name fits DNS limits (labels 1..63 octets,
// total <= 253 characters) and contains only printable ASCII without spaces. Returns nullopt
// for names that cannot be asked for (non-ASCII names must be converted to A-labels first).
std::optional<std::string> normalize_query_name(std::string_view name);

// "1.2.0.192.in-addr.arpa" for 192.0.2.1 (RFC 1035 §3.5).
std::string reverse_name_v4(const std::array<std::uint8_t, 4>& addr);
// Nibble form under ip6.arpa (RFC 3596 §2.5).
std::string reverse_name_v6(const std::array<std::uint8_t, 16>& addr);

// Presentation form of TXT data as one quoted string, '"' and '\' escaped and bytes outside
// printable ASCII as \DDD (RFC 1035 §5.1). For `hearth dns lookup` and logs.
std::string quote_txt(std::string_view text);

}  // namespace hearth::dns
