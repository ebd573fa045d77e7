// Charset conversion to UTF-8 (encoding.hpp). The common charsets are converted here (fast,
// the same on every libc); every other name goes to iconv (glibc's gconv modules: KOI8-R,
// ISO-2022-JP, Shift_JIS, GB18030, Big5, the ISO-8859 and Windows families...).
#include <iconv.h>

#include <cerrno>
#include <cstdint>

#include "core/util/strings.hpp"
#include "core/util/utf8.hpp"
#include "mail/message/encoding.hpp"

namespace hearth::mail {

namespace {

enum class cs { utf8, ascii, latin1, cp1252, unknown };

cs classify(std::string_view name) {
  std::string n = util::to_lower(util::trim(name));
  // RFC 2231 §5 / RFC 2184 allow a language suffix on the charset in encoded words.
  if (auto star = n.find('*'); star != std::string::npos) n.resize(star);
  if (n == "utf-8" || n == "utf8") return cs::utf8;
  if (n == "us-ascii" || n == "ascii" || n == "ansi_x3.4-1968" || n == "iso646-us" || n == "us")
    return cs::ascii;
  if (n == "iso-8859-1" || n == "iso8859-1" || n == "iso_8859-1" || n == "latin1" ||
      n == "latin-1" || n == "l1" || n == "iso_8859-1:1987" || n == "cp819" || n == "ibm819")
    return cs::latin1;
  if (n == "windows-1252" || n == "cp1252" || n == "x-cp1252") return cs::cp1252;
  return cs::unknown;
}

// Windows-1252 0x80-0x9F; the five undefined positions map to their C1 control (as WHATWG).
constexpr std::uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Copies valid UTF-8 sequences and replaces every invalid octet with U+FFFD
// (overlongs, surrogates and code points above U+10FFFF are invalid, RFC 3629 §3).
std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    if (static_cast<unsigned char>(in[i]) < 0x80) {
      out.push_back(in[i++]);
      continue;
    }
    std::size_t start = i;
    if (util::next_utf8(in, i)) {
      out.append(in.substr(start, i - start));
    } else {
      util::append_utf8(out, 0xFFFD);
      ++i;
    }
  }
  return out;
}

// A charset name we hand to iconv: a plain token (no "//" suffix such as //TRANSLIT, no path).
bool iconv_name_ok(std::string_view n) {
  if (n.empty() || n.size() > 40) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':' || c == '+';
    if (!ok) return false;
  }
  return true;
}

std::string iconv_name(std::string_view charset) {
  std::string n(util::trim(charset));
  if (auto star = n.find('*'); star != std::string::npos) n.resize(star);  // RFC 2231 language
  return n;
}

// Converts with iconv; an invalid or incomplete sequence becomes U+FFFD (one octet skipped).
std::optional<std::string> iconv_to_utf8(std::string_view charset, std::string_view bytes) {
  const std::string name = iconv_name(charset);
  if (!iconv_name_ok(name)) return std::nullopt;
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() * 2 + 16);
  char buf[4096];
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  for (;;) {
    char* o = buf;
    std::size_t o_left = sizeof buf;
    std::size_t r = in_left ? iconv(cd, &in, &in_left, &o, &o_left) : iconv(cd, nullptr, nullptr, &o, &o_left);
    out.append(buf, static_cast<std::size_t>(o - buf));
    if (r != static_cast<std::size_t>(-1)) {
      if (!in_left) {
        if (o != buf) continue;  // the flush wrote something; flush again until empty
        break;
      }
      continue;
    }
    if (errno == E2BIG) continue;
    if (!in_left) break;  // a failed flush: nothing left to skip
    // EILSEQ / EINVAL: an octet that does not belong; replace it and go on.
    util::append_utf8(out, 0xFFFD);
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
  }
  iconv_close(cd);
  return sanitize_utf8(out);
}

}  // namespace

bool known_charset(std::string_view charset) {
  if (classify(charset) != cs::unknown) return true;
  const std::string name = iconv_name(charset);
  if (!iconv_name_ok(name)) return false;
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  iconv_close(cd);
  return true;
}

std::optional<std::string> to_utf8(std::string_view charset, std::string_view bytes) {
  switch (classify(charset)) {
    case cs::utf8:
    case cs::ascii:
      // 8-bit octets labelled US-ASCII are a sender error; UTF-8 is the likeliest intent.
      return sanitize_utf8(bytes);
    case cs::latin1:
    case cs::cp1252: {
      bool win = classify(charset) == cs::cp1252;
      std::string out;
      out.reserve(bytes.size() * 2);
      for (unsigned char c : bytes) {
        if (win && c >= 0x80 && c < 0xA0)
          util::append_utf8(out, cp1252_high[c - 0x80]);
        else
          util::append_utf8(out, c);
      }
      return out;
    }
    case cs::unknown:
      break;
  }
  return iconv_to_utf8(charset, bytes);
}

}  // namespace hearth::mail
