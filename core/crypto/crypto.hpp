// Small cryptographic building blocks over OpenSSL 3 (EVP): encodings, digests, HMAC, PBKDF2,
// randomness. Every function here is thread-safe (no shared state beyond OpenSSL's own, which is
// thread-safe in OpenSSL 3). Binary values travel as std::string (bytes, not text).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::crypto {

// The digests SCRAM and PBKDF2 need. Kept as an enum so callers do not see OpenSSL types.
enum class hash { sha1, sha256 };

// Digest size in bytes: 20 for sha1, 32 for sha256.
std::size_t digest_size(hash h);

// RFC 4648 §4 base64 with padding. Never fails.
std::string base64_encode(std::string_view data);

// Strict RFC 4648 §4 decoding: length a multiple of 4, only the base64 alphabet, '=' only as
// one or two final padding characters, no whitespace or line breaks, and the unused bits of the
// last group must be zero (RFC 4648 §3.5: canonical encoding). "" decodes to "".
// Returns std::nullopt on any violation.
std::optional<std::string> base64_decode(std::string_view text);

// Lower-case hexadecimal, two characters per byte.
std::string hex_encode(std::string_view data);

// n bytes from OpenSSL's CSPRNG. Throws std::runtime_error if the CSPRNG fails (it only does
// when the system has no entropy source at all; there is no safe way to continue).
std::string random_bytes(std::size_t n);

// A password a person can type: 4 groups of 5 characters from a 32-character alphabet without
// look-alikes (no 0/o, 1/l), joined by '-': "k7mqz-4pxd9-...". 20 × 5 = 100 bits of entropy.
std::string generate_password();

std::string sha1(std::string_view data);    // 20 raw bytes
std::string sha256(std::string_view data);  // 32 raw bytes
std::string digest(hash h, std::string_view data);

std::string hmac_sha1(std::string_view key, std::string_view data);    // 20 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string hmac(hash h, std::string_view key, std::string_view data);

// PBKDF2 (RFC 8018 §5.2) with HMAC-`which`; this is SCRAM's Hi() (RFC 5802 §2.2) when
// out_len == digest_size(which). iterations must be >= 1 and out_len >= 1, otherwise (or if
// OpenSSL fails) returns "".
std::string pbkdf2(hash which, std::string_view password, std::string_view salt,
                   std::uint32_t iterations, std::size_t out_len);

// Compares in time that depends only on the lengths, not on where the contents differ.
// Different lengths compare unequal (the length itself is not secret here).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hearth::crypto
