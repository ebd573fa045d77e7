#include <cstdint>

#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {

bool is_utf8_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead == 0) return false;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // The lead byte gives the length and the first bits; each continuation byte is 10xxxxxx.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) len = 2, cp = lead & 0x1F;  // C0, C1: overlong ASCII
    else if ((lead & 0xF0) == 0xE0) len = 3, cp = lead & 0x0F;
    else if (lead >= 0xF0 && lead <= 0xF4) len = 4, cp = lead & 0x07;
    else return false;
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    // Shortest form only, no UTF-16 surrogates, nothing past U+10FFFF (RFC 3629 §3).
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

}  // namespace hearth::dav::ical
