// DKIM (RFC 6376) signing and verification with rsa-sha256 and ed25519-sha256 (RFC 8463).
// Sans-I/O: verification is split into find_signatures() (which key records are needed) and
// verify() (given the TXT answer for one signature's key), so the DNS lives in the filter and
// unit tests feed records directly.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/header.hpp"
#include "mail/message/pieces.hpp"

namespace hearth::mail::mailauth {

// A parsed DKIM-Signature field value (§3.5). Errors from parse_signature(): "dkim.syntax"
// (tag list), "dkim.missing" (a required tag), "dkim.version", "dkim.algorithm" (unknown a=),
// "dkim.canon", "dkim.domain" (i= not within d=, From not in h=), "dkim.base64".
struct signature {
  std::string algorithm;         // "rsa-sha256" | "ed25519-sha256" | "rsa-sha1"
  bool header_relaxed = false;   // c= header part
  bool body_relaxed = false;     // c= body part
  std::string domain;            // d=, lowercase
  std::string selector;          // s=, lowercase
  std::string auid;              // i= (default "@" + d)
  std::vector<std::string> headers;  // h=, lowercase, in order
  std::string b;                 // decoded signature
  std::string bh;                // decoded body hash
  std::string b_text;            // b= as written (FWS removed), for header.b in A-R
  std::optional<std::uint64_t> length;      // l=
  std::optional<std::int64_t> timestamp;    // t=
  std::optional<std::int64_t> expiration;   // x=
};
result<signature> parse_signature(std::string_view value);

// A DKIM key record (§3.6.1). Errors: "dkim.key_syntax", "dkim.key_revoked" (empty p=),
// "dkim.key_type" (unknown k=), "dkim.key_version".
struct key_record {
  std::string k = "rsa";            // "rsa" | "ed25519"
  std::string p;                    // decoded public key (DER SPKI or raw Ed25519)
  std::vector<std::string> hashes;  // h=, empty = any
  std::vector<std::string> services;  // s=, empty = "*"
  bool testing = false;             // t=y
  bool strict = false;              // t=s: i= domain must equal d=
};
result<key_record> parse_key_record(std::string_view txt);

enum class dkim_status { pass, fail, neutral, temperror, permerror, policy };
const char* dkim_status_name(dkim_status s);

// One DKIM-Signature field of a message and what it needs.
struct found_signature {
  std::size_t field_index = 0;         // index in header_section::fields
  std::optional<signature> sig;        // nullopt: did not parse (error says why)
  error parse_error;
  std::string key_name() const;        // "SELECTOR._domainkey.DOMAIN"
};
inline constexpr std::size_t max_signatures = 8;  // more are reported permerror, not checked
std::vector<found_signature> find_signatures(const header_section& h);

// The DNS answer for one signature's key: TXT strings, or a DNS failure.
struct key_answer {
  enum kind { ok, none, temporary } st = none;  // none: NXDOMAIN / no TXT
  std::vector<std::string> txt;
};

struct verification {
  dkim_status status = dkim_status::permerror;
  std::string domain, selector, auid, algorithm, b_text;
  std::string reason;  // for A-R comments and logs
  bool testing = false;
};

// Verifies one signature over `message` (header section `h` parsed from it). `now` for x=.
// Keys below 1024 bits fail (RFC 8301 §3.2); l= is honoured for the hash but the verdict does
// not depend on it otherwise ("l= ignored for the verdict" means a signature that
// covers only part of the body is still reported; we treat a body longer than l= as pass
// because the signed prefix verified, and we record reason "l=").
verification verify(std::string_view message, const header_section& h, const found_signature& s,
                    const key_answer& key, std::int64_t now);

// A body read in pieces rather than from the message text (mail/message/pieces.hpp); one that
// cannot be read makes the verification a temperror.
using mail::body_pieces;

// verify() when `message` holds the header section only and `body` reads the body (a large
// message kept on disk): the body hash is computed as the pieces arrive.
verification verify(std::string_view message, const header_section& h, const found_signature& s,
                    const key_answer& key, std::int64_t now, const body_pieces& body);

// ---- signing ----
struct signing_key {
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // "rsa-sha256" | "ed25519-sha256"
  std::string private_pem;
};

// The header fields signed when present (RFC 6376 §5.4.1's recommendation); From is always
// signed one extra time (over-signed) so no From can be added later without breaking it.
extern const std::vector<std::string> signed_headers;

// Returns the whole "DKIM-Signature: ...\r\n" field (folded) to put on top of `message`,
// relaxed/relaxed, t= `now`. Errors: "dkim.key" (PEM unreadable or wrong kind), "dkim.sign".
result<std::string> sign(std::string_view message, const signing_key& key, std::int64_t now);
// sign() when `message` holds the header section only and `body` reads the body.
result<std::string> sign(std::string_view message, const signing_key& key, std::int64_t now, const body_pieces& body);

}  // namespace hearth::mail::mailauth
