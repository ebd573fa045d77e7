#include "directory/address.hpp"

#include <idn2.h>

#include <cstdlib>
#include <memory>

#include "core/util/strings.hpp"

namespace hearth::directory {

namespace {

// Longest input we bother to look at: far above every limit, bounds the work on hostile input.
constexpr std::size_t max_input = 1024;

struct idn2_free_deleter {
  void operator()(char* p) const { idn2_free(p); }
};
using idn2_string = std::unique_ptr<char, idn2_free_deleter>;

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
// Also refuses C0/C1 controls, DEL and spaces (U+0020, U+00A0 and the other Unicode spaces
// are not allowed in an address either), since no caller wants them.
bool valid_utf8_no_controls(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c <= 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t len;
    char32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
    if (cp <= 0x9f) return false;  // C1 controls
    if (cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff)
      return false;  // spaces, zero-width space, BOM
    i += len;
  }
  return true;
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// RFC 5322 §3.2.3 atext (ASCII part).
bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// Dot-atom: atoms of atext (or UTF-8, RFC 6531 §3.3) separated by single dots.
std::optional<std::string> normalize_local(std::string_view local) {
  if (local.empty() || local.size() > max_local_part) return std::nullopt;
  if (!valid_utf8_no_controls(local)) return std::nullopt;
  if (local.front() == '.' || local.back() == '.') return std::nullopt;
  std::string out;
  out.reserve(local.size());
  char prev = 0;
  for (char c : local) {
    auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (prev == '.') return std::nullopt;
    } else if (u < 0x80 && !is_atext(c)) {
      return std::nullopt;
    }
    out += util::ascii_lower(c);
    prev = c;
  }
  return out;
}

// An ASCII domain in its final form: LDH labels (RFC 1035 §2.3.1, relaxed by RFC 1123 §2.1 to
// allow a leading digit) of 1..63 octets; A-labels ("xn--") must decode.
bool valid_ace_domain(std::string_view d) {
  if (d.empty() || d.size() > max_domain) return false;
  for (auto label : util::split(d, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    if (label.size() >= 4 && label[2] == '-' && label[3] == '-') {
      // RFC 5891 §4.2.3.1: "??--" is reserved; only "xn--" A-labels are meaningful, and
      // §5.4: an A-label must decode to a valid U-label that encodes back to the same A-label
      // (otherwise two spellings would name one domain, or display_domain would not round-trip).
      if (label.substr(0, 4) != "xn--") return false;
      std::string l(label);
      char* u = nullptr;
      int rc = idn2_to_unicode_8z8z(l.c_str(), &u, 0);
      idn2_string u_guard(u);
      if (rc != IDN2_OK || !u) return false;
      char* back = nullptr;
      rc = idn2_to_ascii_8z(u, &back, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
      idn2_string back_guard(back);
      if (rc != IDN2_OK || !back || util::to_lower(back) != l) return false;
    }
  }
  return true;
}

std::optional<std::string> normalize_domain_impl(std::string_view domain, bool allow_trailing_dot) {
  if (domain.size() > max_input) return std::nullopt;
  if (allow_trailing_dot && !domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return std::nullopt;
  if (!valid_utf8_no_controls(domain)) return std::nullopt;
  std::string ace;
  if (is_ascii(domain)) {
    ace = util::to_lower(domain);
  } else {
    std::string in(domain);
    char* out = nullptr;
    // IDNA2008 (RFC 5891) with UTS #46 non-transitional mapping: case folding, NFC, and
    // "ß"/"ς" kept as themselves, as browsers do since 2017.
    int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    idn2_string guard(out);
    if (rc != IDN2_OK || !out) return std::nullopt;
    ace = util::to_lower(out);
  }
  if (!valid_ace_domain(ace)) return std::nullopt;
  return ace;
}

}  // namespace

std::optional<std::string> normalize_domain(std::string_view domain) { return normalize_domain_impl(domain, true); }

std::optional<std::string> normalize_address(std::string_view address) {
  if (address.size() > max_input) return std::nullopt;
  auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  auto local = normalize_local(address.substr(0, at));
  if (!local) return std::nullopt;
  auto domain = normalize_domain_impl(address.substr(at + 1), false);
  if (!domain) return std::nullopt;
  std::string out = std::move(*local);
  out += '@';
  out += *domain;
  if (out.size() > max_address) return std::nullopt;
  return out;
}

std::string display_domain(std::string_view ace) {
  if (ace.size() > max_input) return std::string(ace);
  std::string in(ace);
  char* out = nullptr;
  int rc = idn2_to_unicode_8z8z(in.c_str(), &out, 0);
  idn2_string guard(out);
  if (rc != IDN2_OK || !out) return in;
  return out;
}

std::string_view domain_of(std::string_view normalized_address) {
  auto at = normalized_address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : normalized_address.substr(at + 1);
}

}  // namespace hearth::directory
