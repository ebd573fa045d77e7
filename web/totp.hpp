// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 30-second steps,
// 6 digits, the parameters every authenticator app (Aegis, FreeOTP, Google Authenticator)
// uses by default. Pure: the caller passes the time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::web::totp {

inline constexpr std::int64_t step_seconds = 30;
inline constexpr int digits = 6;

// RFC 4648 §6 base32 without padding (what otpauth:// URIs carry).
std::string base32(std::string_view bytes);
// The HOTP value of `counter` (RFC 4226 §5.3), as 6 digits with leading zeros.
std::string hotp(std::string_view secret, std::uint64_t counter);
// The step number for a Unix time.
inline std::int64_t step_of(std::int64_t unix_seconds) { return unix_seconds / step_seconds; }
// The step whose code is `code`, among the current step and one on either side (RFC 6238
// §5.2: clocks drift; one step each way is the usual allowance), later than `after` (a code
// used once is not accepted again, §5.2). nullopt when none matches or `code` is malformed.
std::optional<std::int64_t> verify(std::string_view secret, std::string_view code, std::int64_t unix_seconds,
                                   std::int64_t after);
// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER (the Key Uri Format the apps read).
std::string uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace hearth::web::totp
