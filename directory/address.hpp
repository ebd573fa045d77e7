// Email addresses as the directory stores and compares them.
//
// Normal form: "local@domain" where
//  - the domain is in its ACE form (IDNA2008 with UTS #46 non-transitional mapping, via libidn2),
//    lowercase: "Bücher.Example" -> "xn--bcher-kva.example";
//  - the local part's ASCII letters are lowercased (Hearth treats local parts as
//    case-insensitive, as every mainstream provider does, although RFC 5321 §2.4 lets a server
//    decide); non-ASCII UTF-8 is kept byte for byte (RFC 6531 SMTPUTF8).
// Accepted local parts are dot-atoms (RFC 5322 §3.2.3 atext, plus UTF-8 per RFC 6531 §3.3);
// quoted local parts and address literals ("x@[192.0.2.1]") are refused: Hearth does not host
// such mailboxes. A catch-all "@domain" is not an address: the alias API parses it.
// All functions are pure and thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hearth::directory {

// RFC 5321 §4.5.3.1: size limits, in octets of the normalized form.
inline constexpr std::size_t max_local_part = 64;
inline constexpr std::size_t max_domain = 255;
inline constexpr std::size_t max_address = 254;  // the path limit (256) minus the angle brackets

// Returns the normal form, or nullopt if `address` is not a valid address: no or several '@',
// an empty part, a limit exceeded, spaces or control characters, invalid UTF-8, a domain that
// IDNA2008 rejects.
std::optional<std::string> normalize_address(std::string_view address);

// The domain alone, same rules; one trailing dot (a fully qualified name typed by a person) is
// accepted and removed. Returns nullopt if invalid.
std::optional<std::string> normalize_domain(std::string_view domain);

// Back to Unicode for display ("xn--bcher-kva.example" -> "bücher.example"). Never fails:
// returns `ace` unchanged if it cannot be decoded.
std::string display_domain(std::string_view ace);

// The domain part of a normalized address (after the last '@'), or "" if there is none.
std::string_view domain_of(std::string_view normalized_address);

}  // namespace hearth::directory
