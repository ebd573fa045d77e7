#include "auth/password.hpp"

#include "core/util/strings.hpp"

#include <argon2.h>

#include <charconv>
#include <stdexcept>

namespace hearth::auth {
namespace {

constexpr std::uint32_t max_scram_iterations = 10'000'000;
constexpr std::size_t argon2_salt_size = 16;
constexpr std::size_t argon2_hash_size = 32;

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  std::uint32_t v = 0;
  if (s.empty() || s.size() > 10) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or -1 (and i += 1)
// for an invalid byte. Overlong forms and surrogates count as invalid.
long next_code_point(std::string_view s, std::size_t& i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return -1;
  }
  long cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr long min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += len;
  return cp;
}

// RFC 3454 table C.1.2 (non-ASCII space characters).
bool is_non_ascii_space(long cp) {
  return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}
// RFC 3454 table B.1 (commonly mapped to nothing). U+200B is in C.1.2 too; RFC 4013 §2.1 lists
// the C.1.2 mapping first, so it becomes a space (checked before this).
bool is_mapped_to_nothing(long cp) {
  return cp == 0x00AD || cp == 0x034F || cp == 0x1806 || (cp >= 0x180B && cp <= 0x180D) ||
         (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         cp == 0xFEFF;
}

std::string scram_with_salt(crypto::hash h, std::string_view password, std::string_view salt,
                            std::uint32_t iterations) {
  return format_scram(derive_scram(h, password, salt, iterations));
}

std::string argon2_hash(std::string_view password, const argon2_params& p) {
  std::string salt = crypto::random_bytes(argon2_salt_size);
  std::size_t len = argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism,
                                      static_cast<std::uint32_t>(salt.size()), argon2_hash_size,
                                      Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), argon2_hash_size,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

// "$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH": refuse costs that would let a corrupted or
// hostile row pin a CPU or exhaust memory.
bool argon2_cost_acceptable(std::string_view phc) {
  if (!phc.starts_with("$argon2id$")) return false;
  auto parts = util::split(phc, '$');  // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
  if (parts.size() != 6) return false;
  for (auto kv : util::split(parts[3], ',')) {
    if (kv.size() < 3 || kv[1] != '=') return false;
    auto v = parse_u32(kv.substr(2));
    if (!v) return false;
    if (kv[0] == 'm' && *v > 1024u * 1024u) return false;
    if (kv[0] == 't' && *v > 16) return false;
    if (kv[0] == 'p' && *v > 16) return false;
  }
  return true;
}

}  // namespace

std::string saslprep_lite(std::string_view password) {
  std::string out;
  out.reserve(password.size());
  std::size_t i = 0;
  while (i < password.size()) {
    std::size_t start = i;
    long cp = next_code_point(password, i);
    if (cp >= 0 && is_non_ascii_space(cp)) {
      out += ' ';
    } else if (cp >= 0 && is_mapped_to_nothing(cp)) {
      // dropped
    } else {
      out.append(password.substr(start, i - start));
    }
  }
  return out;
}

scram_entry derive_scram(crypto::hash h, std::string_view password, std::string_view salt,
                         std::uint32_t iterations) {
  std::string salted =
      crypto::pbkdf2(h, saslprep_lite(password), salt, iterations, crypto::digest_size(h));
  scram_entry e;
  e.iterations = iterations;
  e.salt = std::string(salt);
  e.stored_key = crypto::digest(h, crypto::hmac(h, salted, "Client Key"));
  e.server_key = crypto::hmac(h, salted, "Server Key");
  return e;
}

std::string format_scram(const scram_entry& e) {
  return "i=" + std::to_string(e.iterations) + ",s=" + crypto::base64_encode(e.salt) +
         ",k=" + crypto::base64_encode(e.stored_key) + ",v=" + crypto::base64_encode(e.server_key);
}

std::optional<scram_entry> parse_scram(crypto::hash h, std::string_view text) {
  if (text.size() > 1024) return std::nullopt;
  scram_entry e;
  bool have_i = false, have_s = false, have_k = false, have_v = false;
  for (auto field : util::split(text, ',')) {
    if (field.size() < 2 || field[1] != '=') return std::nullopt;
    std::string_view value = field.substr(2);
    bool* seen = nullptr;
    switch (field[0]) {
      case 'i': {
        seen = &have_i;
        auto v = parse_u32(value);
        if (!v || *v < 1 || *v > max_scram_iterations) return std::nullopt;
        e.iterations = *v;
        break;
      }
      case 's':
      case 'k':
      case 'v': {
        auto d = crypto::base64_decode(value);
        if (!d) return std::nullopt;
        std::string* target = field[0] == 's' ? &e.salt : field[0] == 'k' ? &e.stored_key : &e.server_key;
        seen = field[0] == 's' ? &have_s : field[0] == 'k' ? &have_k : &have_v;
        *target = std::move(*d);
        break;
      }
      default:
        return std::nullopt;
    }
    if (*seen) return std::nullopt;
    *seen = true;
  }
  if (!have_i || !have_s || !have_k || !have_v || e.salt.empty()) return std::nullopt;
  if (e.stored_key.size() != crypto::digest_size(h) || e.server_key.size() != crypto::digest_size(h))
    return std::nullopt;
  return e;
}

directory::stored_credentials derive_credentials(std::string_view password,
                                                 const argon2_params& params) {
  directory::stored_credentials c;
  c.argon2id = argon2_hash(password, params);
  c.scram_sha1 = scram_with_salt(crypto::hash::sha1, password,
                                 crypto::random_bytes(scram_salt_size), scram_iterations);
  c.scram_sha256 = scram_with_salt(crypto::hash::sha256, password,
                                   crypto::random_bytes(scram_salt_size), scram_iterations);
  return c;
}

directory::stored_credentials derive_credentials(std::string_view password,
                                                 const directory::stored_credentials& salt_from,
                                                 const argon2_params& params) {
  directory::stored_credentials c;
  c.argon2id = argon2_hash(password, params);
  auto one = [&](crypto::hash h, const std::string& from) {
    auto e = parse_scram(h, from);
    if (e) return scram_with_salt(h, password, e->salt, e->iterations);
    return scram_with_salt(h, password, crypto::random_bytes(scram_salt_size), scram_iterations);
  };
  c.scram_sha1 = one(crypto::hash::sha1, salt_from.scram_sha1);
  c.scram_sha256 = one(crypto::hash::sha256, salt_from.scram_sha256);
  return c;
}

bool verify_password(const directory::stored_credentials& creds, std::string_view password) {
  if (password.size() > max_password_size || creds.argon2id.size() > 512) return false;
  if (!argon2_cost_acceptable(creds.argon2id)) return false;
  // argon2id_verify needs a NUL-terminated string.
  std::string phc = creds.argon2id;
  return argon2id_verify(phc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace hearth::auth
