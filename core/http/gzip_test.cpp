#include "core/http/gzip.hpp"

#include <zlib.h>

using namespace hearth::http;

namespace {
std::string gunzip(const std::string& z) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  zs.avail_in = static_cast<uInt>(z.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  CHECK(rc == Z_STREAM_END);
  return out;
}
}  // namespace

TEST_CASE("accepts_gzip follows Accept-Encoding and q-values") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("deflate, gzip;q=0.5"));
  CHECK(accepts_gzip("*"));
  CHECK(accepts_gzip("GZIP"));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("identity"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
}

TEST_CASE("maybe_gzip compresses large text bodies only") {
  std::string xml = "<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\">";
  for (int i = 0; i < 200; ++i) xml += "<d:response><d:href>/dav/x/" + std::to_string(i) + "</d:href></d:response>";
  xml += "</d:multistatus>";
  auto r = response::text(207, xml, "application/xml; charset=utf-8");
  REQUIRE(maybe_gzip(r, "gzip, deflate"));
  CHECK(r.body.size() < xml.size());
  CHECK(gunzip(r.body) == xml);
  bool enc = false;
  for (auto& [k, v] : r.headers) enc = enc || (k == "Content-Encoding" && v == "gzip");
  CHECK(enc);
  auto small = response::text(200, "short");
  CHECK_FALSE(maybe_gzip(small, "gzip"));
  auto binary = response::text(200, xml, "image/png");
  CHECK_FALSE(maybe_gzip(binary, "gzip"));
  auto refused = response::text(200, xml, "text/plain");
  CHECK_FALSE(maybe_gzip(refused, "identity"));
}
