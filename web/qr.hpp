// QR codes (ISO/IEC 18004) for the set-up pages: an otpauth:// URI for authenticator apps, the
// DAVx5 and Conversations URIs. Byte mode, error correction level M, versions 1 to 20 (up to
// 666 octets: every URI we draw fits with room to spare). Pure.
//
// Why hand-written: a QR code is a small, fixed algorithm (Reed-Solomon over GF(256), a module
// layout, a mask), and drawing it on the server keeps the pages free of a JavaScript library
// and the build free of npm.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::web::qr {

struct code {
  int size = 0;                   // modules per side (17 + 4 * version)
  std::vector<bool> dark;         // size * size, row by row
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y) * size + x]; }
};

// nullopt when `text` is too long for version 20.
std::optional<code> encode(std::string_view text);
// An SVG image with the 4-module quiet zone, black on white.
std::string svg(const code& c);
// The same as a data: URI for <img src> (the pages' CSP allows data: images only).
std::string svg_data_uri(const code& c);

}  // namespace hearth::web::qr
