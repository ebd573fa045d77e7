// The zone generator: every DNS record a domain needs for what this server offers,
// as a plan of records that `hearth dns zone` prints (BIND master file or JSON) and that
// `hearth dns check` compares with what the world sees. One plan, two readers, so the two
// commands can never disagree about what "correct" is.
//
// plan_zone() is pure apart from reading the directory (domains, DKIM keys); the output
// functions are pure. All functions are thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/util/result.hpp"
#include "directory/directory.hpp"

namespace hearth::rfc6764 {

struct zone_record {
  std::string name;     // absolute owner name, lowercase ACE, no trailing dot: "_imaps._tcp.example.org"
  std::string type;     // "MX", "A", "AAAA", "TXT", "SRV", "CNAME", "CAA", "TLSA"
  std::string value;    // RDATA in presentation form WITHOUT quoting/splitting for TXT (the full text,
                        // e.g. "v=spf1 mx -all"); names inside RDATA absolute WITHOUT trailing dot
                        // ("10 mail.example.org"); SRV "0 1 993 mail.example.org"; null SRV "0 0 0 ."
  std::string comment;  // one line: what it is for
  std::string group;    // heading of the group it is printed under ("Mail exchange", "SPF", "DKIM", ...)
};

struct zone_input {
  std::string domain{};  // ACE (Unicode is accepted too: the directory normalizes it)
  std::string ip4{}, ip6{};  // override config server.ip4/ip6 when non-empty
  // The PACC document whose SHA-256 the _ua-auto-config TXT record carries. nullopt (the
  // normal case) means the bytes the server serves, rfc6764::pacc_document(c, domain); tests
  // pass fixed bytes so that their golden output does not change with that document.
  std::optional<std::string> pacc_document{};
  // DANE (RFC 7672): the TLSA records of the MX host, "3 1 1 HEX", the current key first, then
  // the next one (the caller reads the certificate files: zone.tlsa). Empty: none published.
  std::vector<std::string> tlsa{};
};

struct zone_plan {
  std::string domain;                // ACE
  unsigned ttl = 3600;               // config zone.ttl, for to_json
  std::vector<zone_record> records;  // in print order; records of one group are adjacent
  std::vector<std::string> notes;    // what the operator must do elsewhere: the PTR the hosting
                                     // provider must set, records belonging to another zone,
                                     // anything not publishable yet
  std::vector<std::string> outgoing; // smtp.queue.bind_addresses besides the server's own
                                     // addresses (canonical): in SPF, need a PTR too
};

// Plans every record of `in.domain`. Errors:
//   "zone.not_ours"  the domain is not a local domain (or not a valid domain name)
//   "zone.invalid"   in.ip4 / in.ip6 is not an IPv4 / IPv6 literal, or server.hostname is empty
// Reads the directory's domains and DKIM keys; a directory failure throws (directory.hpp).
hearth::result<zone_plan> plan_zone(const config::config& c, directory::directory& dir, const zone_input& in);

// BIND master file (RFC 1035 §5.1): $ORIGIN DOMAIN. and $TTL, group headings as comment
// blocks, a ';' comment line over each record, owner names relative inside the origin ("@"
// for the apex) and absolute with a trailing dot elsewhere, names in RDATA absolute with a
// trailing dot, TXT values quoted and split into 255-octet character-strings, notes as
// comments at the end. Accepted by kzonecheck and named-checkzone once a SOA and NS are added.
std::string to_bind(const zone_plan& plan, unsigned ttl);

// {"domain":..., "ttl":..., "records":[{"name","type","ttl","value","comment","group"}], "notes":[...]}
// (RFC 8259; non-ASCII and control characters escaped as \uXXXX, so the output is ASCII).
std::string to_json(const zone_plan& plan);

// ---- pieces shared with `hearth dkim` and `hearth dns check` ----

// The DKIM TXT value of a stored key: "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=..."
// (RFC 6376 §3.6.1, RFC 8463 §4.2). Errors: "zone.dkim_key" when the PEM cannot be read.
hearth::result<std::string> dkim_txt_value(const directory::dkim_key& key);

// A TXT value as zone-file RDATA: split into character-strings of at most 255 octets
// (RFC 1035 §3.3.14), each in double quotes with '"' and '\' backslash-escaped and bytes
// outside printable ASCII written as \DDD (RFC 1035 §5.1). "" for an empty value.
std::string quote_txt_rdata(std::string_view text);

// The reverse-DNS owner name of an IP literal, without trailing dot:
// "7.113.0.203.in-addr.arpa", or the 32-nibble ip6.arpa name (RFC 3596 §2.5). "" if not an IP.
std::string reverse_name(std::string_view ip);

}  // namespace hearth::rfc6764
