#include "core/crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <stdexcept>

namespace hearth::crypto {
namespace {

const EVP_MD* md_for(hash h) { return h == hash::sha1 ? EVP_sha1() : EVP_sha256(); }

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, -1 for anything else (including '=').
constexpr std::array<signed char, 256> make_b64_table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < b64_alphabet.size(); ++i)
    t[static_cast<unsigned char>(b64_alphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr auto b64_table = make_b64_table();

}  // namespace

std::size_t digest_size(hash h) { return h == hash::sha1 ? 20 : 32; }

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += b64_alphabet[(v >> 6) & 63];
    out += b64_alphabet[v & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = at(i) << 16;
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += b64_alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Hand-written rather than EVP_DecodeBlock: OpenSSL's decoder skips whitespace and does not
// reject misplaced padding, and SASL/SCRAM need the strict form (RFC 4648 §3.3, RFC 5802 §7).
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last) {
      if (text[i + 3] == '=') pad = (text[i + 2] == '=') ? 2 : 1;
    }
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      if (k >= 4 - pad) {
        v <<= 6;
        continue;
      }
      int d = b64_table[static_cast<unsigned char>(text[i + k])];
      if (d < 0) return std::nullopt;  // bad character, or '=' before the end
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    // RFC 4648 §3.5: the pad bits of a canonical encoding are zero.
    if (pad == 1 && (v & 0xFF) != 0) return std::nullopt;
    if (pad == 2 && (v & 0xFFFF) != 0) return std::nullopt;
    out += static_cast<char>((v >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

std::string hex_encode(std::string_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n == 0) return out;
  if (n > INT_MAX || RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("crypto: the random number generator failed");
  return out;
}

std::string generate_password() {
  // 32 symbols (a-z without l and o, 2-9): a byte & 31 is then uniform, no modulo bias, and
  // each symbol carries exactly 5 bits.
  static constexpr std::string_view s32 = "abcdefghijkmnpqrstuvwxyz23456789";
  static_assert(s32.size() == 32);
  std::string r = random_bytes(20);
  std::string out;
  for (std::size_t i = 0; i < 20; ++i) {
    if (i > 0 && i % 5 == 0) out += '-';
    out += s32[static_cast<unsigned char>(r[i]) & 31];
  }
  return out;
}

std::string digest(hash h, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 md_for(h), nullptr) != 1)
    return {};
  out.resize(len);
  return out;
}
std::string sha1(std::string_view data) { return digest(hash::sha1, data); }
std::string sha256(std::string_view data) { return digest(hash::sha256, data); }

std::string hmac(hash h, std::string_view key, std::string_view data) {
  if (key.size() > INT_MAX) return {};
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(md_for(h), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr)
    return {};
  out.resize(len);
  return out;
}
std::string hmac_sha1(std::string_view key, std::string_view data) { return hmac(hash::sha1, key, data); }
std::string hmac_sha256(std::string_view key, std::string_view data) { return hmac(hash::sha256, key, data); }

std::string pbkdf2(hash which, std::string_view password, std::string_view salt,
                   std::uint32_t iterations, std::size_t out_len) {
  if (iterations < 1 || iterations > INT_MAX || out_len < 1 || out_len > 1024 ||
      password.size() > INT_MAX || salt.size() > INT_MAX)
    return {};
  std::string out(out_len, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md_for(which),
                        static_cast<int>(out_len), reinterpret_cast<unsigned char*>(out.data())) != 1)
    return {};
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hearth::crypto
