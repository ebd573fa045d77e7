// Sans-I/O parsers for the password-carrying SASL mechanisms. They see raw client messages
// (the session has already base64-decoded them) and never look anything up; the authenticator
// checks the password. Pure functions: thread-safe.
#pragma once
#include "core/util/result.hpp"

#include <string>
#include <string_view>

namespace hearth::auth::sasl {

inline constexpr std::size_t max_client_message = 8192;  // any longer client message fails
inline constexpr std::size_t max_identity = 255;          // RFC 4616 §2: authcid/authzid <= 255 octets

struct plain_credentials {
  std::string authcid;   // the user name (full address)
  std::string password;
};

// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd. Exactly two NULs, non-empty
// authcid and password. An authzid that is neither empty nor equal to the authcid (ASCII
// case-insensitively: authcids are addresses) is refused — Hearth has no proxy authorisation.
// Errors: "sasl.malformed" (shape, sizes), "sasl.authzid" (authzid differs).
result<plain_credentials> parse_plain(std::string_view message);

// LOGIN (draft-murchison-sasl-login-00): the server's two challenges.
inline constexpr std::string_view login_username_challenge = "Username:";
inline constexpr std::string_view login_password_challenge = "Password:";

// Checks one LOGIN response (user name or password): non-empty, no NUL, at most `limit` octets.
// Error: "sasl.malformed".
result<std::string> parse_login_field(std::string_view message, std::size_t limit);

}  // namespace hearth::auth::sasl
