// What the directory stores for a password: opaque strings produced and understood by auth/
// (auth::derive_credentials). The directory never sees the password itself.
#pragma once
#include <string>

namespace hearth::directory {

struct stored_credentials {
  std::string argon2id;      // PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash
  std::string scram_sha1;    // "i=ITERATIONS,s=SALT_B64,k=STOREDKEY_B64,v=SERVERKEY_B64"
  std::string scram_sha256;  // same shape, SHA-256
};

}  // namespace hearth::directory
