// The QR codes are read back by a real decoder, zbarimg (Debian zbar-tools, installed by
// scripts/setup.sh from scripts/packages/web.txt).
#include "web/qr.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

using namespace hearth::web;

namespace {

// zbarimg's reading of the code drawn as a PGM image (4 pixels a module, quiet zone), or
// "(zbarimg failed)".
std::string decode(const qr::code& c) {
  std::random_device rd;
  auto path = std::filesystem::temp_directory_path() / ("hearth_qr_" + std::to_string(rd()) + ".pgm");
  const int scale = 4, n = (c.size + 8) * scale;
  {
    std::ofstream f(path, std::ios::binary);
    f << "P5\n" << n << " " << n << "\n255\n";
    for (int py = 0; py < n; ++py)
      for (int px = 0; px < n; ++px) {
        int x = px / scale - 4, y = py / scale - 4;
        bool dark = x >= 0 && y >= 0 && x < c.size && y < c.size && c.at(x, y);
        f.put(dark ? 0 : static_cast<char>(255));
      }
  }
  std::string cmd = "zbarimg --quiet --raw -Sdisable -Sqrcode.enable '" + path.string() + "' 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
    if (pclose(p) != 0) out = "(zbarimg failed)";
  }
  std::filesystem::remove(path);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("qr: sizes grow with the text, up to version 20") {
  CHECK(qr::encode("x")->size == 21);  // version 1
  CHECK(qr::encode(std::string(14, 'a'))->size == 21);  // level M, version 1 holds 14 octets
  CHECK(qr::encode(std::string(15, 'a'))->size == 25);
  CHECK(qr::encode(std::string(666, 'a'))->size == 97);  // version 20
  CHECK_FALSE(qr::encode(std::string(667, 'a')));
}

TEST_CASE("qr: zbarimg reads back what we draw") {
  const std::string texts[] = {
      "x",
      "xmpp:alice@example.org",
      "otpauth://totp/Hearth%20mail.example.org:alice@example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Hearth%20mail.example.org&algorithm=SHA1&digits=6&period=30",
      "caldavs://alice%40example.org@mail.example.org:443/dav/",
      std::string(300, 'Q') + "-end",  // version 12: several blocks of two lengths
      std::string(600, 'z'),           // version 19
  };
  for (const auto& t : texts) {
    auto c = qr::encode(t);
    REQUIRE(c);
    CHECK(decode(*c) == t);
  }
  auto s = qr::svg(*qr::encode("x"));
  CHECK(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\""));
  CHECK(qr::svg_data_uri(*qr::encode("x")).starts_with("data:image/svg+xml;base64,"));
}
