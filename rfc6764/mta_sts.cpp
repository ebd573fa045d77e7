#include "rfc6764/mta_sts.hpp"

#include "core/crypto/crypto.hpp"

namespace hearth::rfc6764 {

std::string mta_sts_policy(const config::config& c) {
  std::string p = "version: STSv1\r\n";
  p += "mode: " + c.zone_mta_sts_mode + "\r\n";
  p += "mx: " + c.hostname + "\r\n";
  for (const auto& mx : c.zone_backup_mx) p += "mx: " + mx + "\r\n";
  p += "max_age: " + std::to_string(c.zone_mta_sts_max_age) + "\r\n";
  return p;
}

std::string mta_sts_id(const config::config& c) {
  return crypto::hex_encode(crypto::sha256(mta_sts_policy(c))).substr(0, 20);
}

}  // namespace hearth::rfc6764
