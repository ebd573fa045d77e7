// What the status page shows of a certificate file: the first certificate of a PEM chain.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/util/result.hpp"

namespace hearth::web::admin {

struct certificate_info {
  std::string subject, issuer;  // one-line form ("CN=mail.example.org")
  std::int64_t not_after = 0;   // Unix seconds
};

// Errors: "cert.read" (missing, unreadable, over 1 MiB, or no PEM certificate in it).
result<certificate_info> read_certificate(const std::filesystem::path& pem_file);

}  // namespace hearth::web::admin
