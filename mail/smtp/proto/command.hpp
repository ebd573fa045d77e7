// SMTP command parser (RFC 5321 §4.1, ESMTP parameters of RFC 1870, 6152, 3030, 3461,
// 4954, 6531). Pure: one command line (without its CRLF) in, a typed command or an error.
#pragma once
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::smtp {

// Limits of RFC 5321 §4.5.3.1.
inline constexpr std::size_t max_local_part = 64;
inline constexpr std::size_t max_domain = 255;
inline constexpr std::size_t max_path = 256;

// A mailbox from a path. `is_null` for the null reverse-path "<>". A bare "Postmaster" in
// RCPT TO (RFC 5321 §4.5.1) has an empty domain. Source routes are dropped (§4.1.1.3 /
// Appendix C: "SHOULD ignore").
struct path {
  bool is_null = false;
  std::string local;   // as sent, quotes removed and quoted-pairs resolved
  std::string domain;  // a domain, or an address literal with its brackets
  bool utf8 = false;   // contains octets >= 0x80 (valid UTF-8; needs SMTPUTF8, RFC 6531)
  std::string address() const;  // "local@domain" (local re-quoted if needed); "" when null
};

enum class body_type { unspecified, seven_bit, eight_bit_mime, binary_mime };

struct mail_params {
  std::optional<std::uint64_t> size;  // RFC 1870
  body_type body = body_type::unspecified;  // RFC 6152, RFC 3030
  bool smtputf8 = false;  // RFC 6531
  std::string ret;        // RFC 3461 §4.3: "FULL" or "HDRS" (upper-cased)
  std::string envid;      // RFC 3461 §4.4, xtext as sent
  std::string auth;       // RFC 4954 §5, xtext as sent ("<>" allowed)
  bool requiretls = false;  // RFC 8689 §4: the message may only travel over verified TLS
};

struct rcpt_params {
  std::string notify;  // RFC 3461 §4.1: "NEVER" or a comma list of SUCCESS,FAILURE,DELAY
  std::string orcpt;   // RFC 3461 §4.2: "addr-type;xtext" as sent
};

enum class verb { helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, help, starttls, auth };

struct command {
  verb kind = verb::noop;
  std::string domain;  // HELO/EHLO argument (domain or address literal)
  path mailbox;        // MAIL (reverse-path) / RCPT (forward-path)
  mail_params mail;
  rcpt_params rcpt;
  std::uint64_t chunk_size = 0;  // BDAT
  bool last = false;             // BDAT ... LAST
  std::string mechanism;         // AUTH, upper-cased
  std::optional<std::string> initial_response;  // AUTH, as sent ("=" for empty)
  std::string argument;          // VRFY / HELP / NOOP free text
};

// Parses one command line without CRLF.
// Errors: error.code is the reply code and enhanced code to send, "500 5.5.1" (unknown
// command), "501 5.5.4" (syntax of arguments), "501 5.5.2" (syntax of path), "553 5.1.3"
// (path too long / bad mailbox syntax), "555 5.5.4" (unknown or bad MAIL/RCPT parameter),
// "504 5.5.4" (unsupported parameter value); error.message is the reply text. Never throws
// for bad input.
result<command> parse_command(std::string_view line);

// Parses "<...>" or "<>" (allow_null) at the start of `s`; `s` is advanced past it.
// Same error convention as parse_command.
result<path> parse_path(std::string_view& s, bool allow_null);

// True when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace hearth::mail::smtp
