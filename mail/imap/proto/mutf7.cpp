#include "mail/imap/proto/mutf7.hpp"

#include <cstdint>
#include <vector>

#include "core/util/utf8.hpp"

namespace hearth::mail::imap {
namespace {

// RFC 3501 §5.1.3: modified BASE64 uses "," instead of "/".
constexpr std::string_view b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  auto p = b64.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size())
    if (!util::next_utf8(s, i)) return false;
  return true;
}

namespace {

// Decodes the base64 between "&" and "-" (`run` excludes both) and appends it to `out`;
// returns the error text, or nullptr if the run is well-formed.
const char* decode_run(std::string_view run, std::string& out) {
  std::uint32_t bits = 0;
  int nbits = 0;
  std::vector<std::uint16_t> units;
  for (char c : run) {
    int v = b64_value(c);
    if (v < 0) return "bad character in modified base64 run";
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(static_cast<std::uint16_t>((bits >> nbits) & 0xFFFF));
    }
  }
  // Leftover bits must be fewer than 6 and zero (RFC 2152 padding rule).
  if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return "modified base64 run has stray bits";
  if (units.empty()) return "empty modified base64 run";
  std::string decoded;
  for (std::size_t k = 0; k < units.size(); ++k) {
    std::uint32_t u = units[k];
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (k + 1 >= units.size() || units[k + 1] < 0xDC00 || units[k + 1] > 0xDFFF)
        return "unpaired UTF-16 surrogate";
      u = 0x10000 + ((u - 0xD800) << 10) + (units[k + 1] - 0xDC00);
      ++k;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return "unpaired UTF-16 surrogate";
    } else if (u >= 0x20 && u <= 0x7E) {
      // RFC 3501 §5.1.3: printable US-ASCII MUST represent itself.
      return "printable ASCII encoded in modified base64";
    }
    util::append_utf8(decoded, u);
  }
  out += decoded;
  return nullptr;
}

}  // namespace

result<std::string> mutf7_decode(std::string_view in, bool literal_bad_runs) {
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E)
      return fail("imap.mutf7", "mailbox name is not modified UTF-7 (8-bit or control byte)");
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    auto end = in.find('-', i + 1);
    if (end == i + 1) {  // "&-" is "&"
      out += '&';
      i = end + 1;
      continue;
    }
    const char* err = end == std::string_view::npos ? "unterminated &...- run in mailbox name"
                                                     : decode_run(in.substr(i + 1, end - i - 1), out);
    if (!err) {
      i = end + 1;
    } else if (literal_bad_runs) {
      out += '&';  // this "&" starts no valid run: it stands for itself, as in Dovecot
      ++i;
    } else {
      return fail("imap.mutf7", err);
    }
  }
  return out;
}

std::string mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (auto u : pending) {
      bits = (bits << 16) | u;
      nbits += 16;
      while (nbits >= 6) {
        nbits -= 6;
        out += b64[(bits >> nbits) & 0x3F];
      }
    }
    if (nbits > 0) out += b64[(bits << (6 - nbits)) & 0x3F];
    out += '-';
    pending.clear();
  };
  std::size_t i = 0;
  while (i < utf8.size()) {
    auto next = util::next_utf8(utf8, i);
    if (!next) ++i;
    std::uint32_t cp = next ? *next : 0xFFFD;
    if (cp >= 0x20 && cp <= 0x7E) {
      flush();
      out += static_cast<char>(cp);
      if (cp == '&') out += '-';
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      pending.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush();
  return out;
}

}  // namespace hearth::mail::imap
