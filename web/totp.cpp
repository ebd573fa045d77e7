#include "web/totp.hpp"

#include "core/crypto/crypto.hpp"

namespace hearth::web::totp {

std::string base32(std::string_view bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::string hotp(std::string_view secret, std::uint64_t counter) {
  std::string msg(8, '\0');
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  std::string mac = crypto::hmac_sha1(secret, msg);
  // RFC 4226 §5.4: dynamic truncation.
  int offset = static_cast<unsigned char>(mac[19]) & 0x0f;
  std::uint32_t bin = (static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset]) & 0x7f) << 24) |
                      (static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset + 1])) << 16) |
                      (static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset + 2])) << 8) |
                      static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset + 3]));
  std::string code = std::to_string(bin % 1000000);
  return std::string(digits - code.size(), '0') + code;
}

std::optional<std::int64_t> verify(std::string_view secret, std::string_view code, std::int64_t unix_seconds,
                                   std::int64_t after) {
  if (code.size() != static_cast<std::size_t>(digits)) return std::nullopt;
  for (char ch : code)
    if (ch < '0' || ch > '9') return std::nullopt;
  std::int64_t now = step_of(unix_seconds);
  for (std::int64_t s = now - 1; s <= now + 1; ++s) {
    if (s <= after || s < 0) continue;
    if (crypto::constant_time_equal(hotp(secret, static_cast<std::uint64_t>(s)), code)) return s;
  }
  return std::nullopt;
}

namespace {
std::string encode_component(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}
}  // namespace

std::string uri(std::string_view issuer, std::string_view account, std::string_view secret) {
  return "otpauth://totp/" + encode_component(issuer) + ":" + encode_component(account) + "?secret=" + base32(secret) +
         "&issuer=" + encode_component(issuer) + "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace hearth::web::totp
