// Password storage: what is computed when a password is set, and how a password is checked.
//
// A password becomes a directory::stored_credentials (ARCHITECTURE.md principle 2):
//   argon2id     PHC string from libargon2 (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte hash:
//                the OWASP 2023 minimum for Argon2id), used by PLAIN/LOGIN/HTTP Basic.
//   scram_sha1   "i=4096,s=SALT_B64,k=STOREDKEY_B64,v=SERVERKEY_B64" (RFC 5802 §3), so SCRAM
//   scram_sha256 can be offered without storing the password (RFC 5802 §3, RFC 7677).
//
// SASLprep (RFC 4013): SCRAM keys are derived from saslprep_lite(password): the RFC 4013 §2.1
// mapping (non-ASCII spaces -> U+0020, "commonly mapped to nothing" characters removed), without
// NFKC normalisation or the prohibited-character check. ASCII and already-normalised UTF-8
// passwords (the common case, and every generate_password() result) are unchanged, so they
// work with every SCRAM client; a password whose NFKC form differs may fail SCRAM with clients
// that normalise, but always works with PLAIN. Argon2id always hashes the bytes as given.
//
// All functions are thread-safe. derive_credentials and verify_password cost ~tens of
// milliseconds of CPU (Argon2id by design): call them off latency-critical paths if needed.
#pragma once
#include "directory/credentials.hpp"
#include "core/crypto/crypto.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::auth {

// Argon2id cost. The defaults are the production values; tests and fuzzers pass cheaper ones.
struct argon2_params {
  std::uint32_t memory_kib = 19456;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};

inline constexpr std::uint32_t scram_iterations = 4096;  // RFC 7677 §4 recommends >= 4096
inline constexpr std::size_t scram_salt_size = 16;
inline constexpr std::size_t max_password_size = 1024;  // longer input is refused, not hashed

// One parsed SCRAM credential (raw bytes, not base64).
struct scram_entry {
  std::uint32_t iterations = 0;
  std::string salt;
  std::string stored_key;  // H(ClientKey)
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
};

// RFC 4013 §2.1 mapping only (see the file comment). Invalid UTF-8 is passed through unchanged.
std::string saslprep_lite(std::string_view password);

// RFC 5802 §3: SaltedPassword = Hi(saslprep(password), salt, i); ClientKey = HMAC(SP, "Client
// Key"); StoredKey = H(ClientKey); ServerKey = HMAC(SP, "Server Key").
scram_entry derive_scram(crypto::hash h, std::string_view password, std::string_view salt,
                         std::uint32_t iterations);

// "i=4096,s=...,k=...,v=..." <-> scram_entry. parse_scram returns nullopt for anything
// malformed: missing/duplicate/unknown fields, bad base64, iterations outside 1..10,000,000,
// key sizes that do not match `h`, empty salt.
std::string format_scram(const scram_entry& e);
std::optional<scram_entry> parse_scram(crypto::hash h, std::string_view text);

// Fresh credentials for a password: new random salts for Argon2id and for SCRAM.
// Throws std::runtime_error only if the CSPRNG or libargon2 fails (out of memory).
directory::stored_credentials derive_credentials(std::string_view password,
                                                 const argon2_params& params = {});

// Same, but the SCRAM entries reuse the salt and iteration count of `salt_from` (when they parse).
// Use this for app passwords: SCRAM sends ONE salt per account in server-first-message, so an
// app password can be checked by SCRAM only if its keys were derived with the account's salt.
directory::stored_credentials derive_credentials(std::string_view password,
                                                 const directory::stored_credentials& salt_from,
                                                 const argon2_params& params = {});

// True iff `password` matches the Argon2id PHC string (argon2id_verify). False for an empty or
// malformed PHC string, a password longer than max_password_size, or a PHC string whose cost
// exceeds 1 GiB of memory / 16 passes (a corrupted row must not stall the server).
bool verify_password(const directory::stored_credentials& creds, std::string_view password);

}  // namespace hearth::auth
