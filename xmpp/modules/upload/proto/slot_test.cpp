#include "xmpp/modules/upload/proto/slot.hpp"

using namespace hearth::xmpp::upload;

namespace {
slot sample() {
  slot s;
  s.id = "0123456789abcdef0123456789abcdef";
  s.filename = "très cool.jpg";
  s.owner = "alice@example.test";
  s.content_type = "image/jpeg";
  s.size = 12345;
  s.expires = 1000;
  return s;
}
}  // namespace

TEST_CASE("a signed slot verifies for its own URL only, until it expires") {
  const slot s = sample();
  const std::string t = sign(s, "secret");
  auto v = verify(t, s.id, s.filename, "secret", 999);
  REQUIRE(v);
  CHECK(v->owner == "alice@example.test");
  CHECK(v->size == 12345);
  CHECK(v->content_type == "image/jpeg");
  CHECK(v->expires == 1000);
  CHECK(verify(t, s.id, s.filename, "secret", 1000).error().code == "upload.expired");
  CHECK(verify(t, s.id, "other.jpg", "secret", 999).error().code == "upload.bad_token");
  CHECK(verify(t, "ffffffffffffffffffffffffffffffff", s.filename, "secret", 999).error().code == "upload.bad_token");
  CHECK(verify(t, s.id, s.filename, "another secret", 999).error().code == "upload.bad_token");
  // A larger size in the payload with the old signature is a forgery.
  slot big = s;
  big.size = 99999999;
  std::string forged = sign(big, "secret");
  forged = forged.substr(0, forged.find('.')) + t.substr(t.find('.'));
  CHECK(verify(forged, s.id, s.filename, "secret", 999).error().code == "upload.bad_token");
  CHECK(!verify("", s.id, s.filename, "secret", 999));
  CHECK(!verify("not base64.00", s.id, s.filename, "secret", 999));
  CHECK(!verify(std::string(5000, 'a'), s.id, s.filename, "secret", 999));
}

TEST_CASE("file names, types and ids that URLs may carry") {
  CHECK(valid_filename("photo.jpg"));
  CHECK(valid_filename("très cool.jpg"));
  CHECK_FALSE(valid_filename(""));
  CHECK_FALSE(valid_filename(".."));
  CHECK_FALSE(valid_filename("a/b"));
  CHECK_FALSE(valid_filename("a\\b"));
  CHECK_FALSE(valid_filename(std::string("a\0b", 3)));
  CHECK_FALSE(valid_filename("a\nb"));
  CHECK_FALSE(valid_filename(std::string(256, 'x')));
  CHECK(valid_content_type("image/jpeg"));
  CHECK(valid_content_type("text/plain; charset=utf-8"));
  CHECK_FALSE(valid_content_type("image"));
  CHECK_FALSE(valid_content_type("/jpeg"));
  CHECK_FALSE(valid_content_type("image/"));
  CHECK_FALSE(valid_content_type("ima ge/jpeg"));
  CHECK_FALSE(valid_content_type("text/plain\r\nX: y"));
  CHECK(valid_id("0123456789abcdef0123456789abcdef"));
  CHECK_FALSE(valid_id("0123456789ABCDEF0123456789abcdef"));
  CHECK_FALSE(valid_id("0123"));
}

TEST_CASE("upload URLs round-trip through the decoded path") {
  const std::string p = url_path("0123456789abcdef0123456789abcdef", "très cool.jpg");
  CHECK(p == "/upload/0123456789abcdef0123456789abcdef/tr%C3%A8s%20cool.jpg");
  auto parts = parse_path("/upload/0123456789abcdef0123456789abcdef/très cool.jpg", "/upload/");
  REQUIRE(parts);
  CHECK(parts->id == "0123456789abcdef0123456789abcdef");
  CHECK(parts->filename == "très cool.jpg");
  CHECK_FALSE(parse_path("/upload/0123456789abcdef0123456789abcdef", "/upload/"));
  CHECK_FALSE(parse_path("/upload/xyz/a.jpg", "/upload/"));
  CHECK_FALSE(parse_path("/upload/0123456789abcdef0123456789abcdef/a/b", "/upload/"));
  CHECK_FALSE(parse_path("/other/0123456789abcdef0123456789abcdef/a", "/upload/"));
}

TEST_CASE("Range headers (RFC 9110 §14.2)") {
  auto r = parse_range("bytes=0-99", 1000);
  CHECK(r.kind == range_kind::partial);
  CHECK(r.range.first == 0);
  CHECK(r.range.last == 99);
  r = parse_range("bytes=900-", 1000);
  CHECK((r.kind == range_kind::partial && r.range.first == 900 && r.range.last == 999));
  r = parse_range("bytes=-100", 1000);
  CHECK((r.kind == range_kind::partial && r.range.first == 900 && r.range.last == 999));
  r = parse_range("bytes=-5000", 1000);
  CHECK((r.kind == range_kind::partial && r.range.first == 0 && r.range.last == 999));
  r = parse_range("bytes=500-5000", 1000);
  CHECK((r.kind == range_kind::partial && r.range.last == 999));
  CHECK(parse_range("BYTES=1-2", 10).kind == range_kind::partial);
  CHECK(parse_range("bytes=1000-", 1000).kind == range_kind::unsatisfiable);
  CHECK(parse_range("bytes=-0", 1000).kind == range_kind::unsatisfiable);
  CHECK(parse_range("bytes=5-1", 1000).kind == range_kind::whole);
  CHECK(parse_range("bytes=0-1,5-6", 1000).kind == range_kind::whole);
  CHECK(parse_range("items=0-1", 1000).kind == range_kind::whole);
  CHECK(parse_range("bytes=a-b", 1000).kind == range_kind::whole);
  CHECK(parse_range("bytes=99999999999999999999-", 1000).kind == range_kind::whole);
  CHECK(parse_range("", 1000).kind == range_kind::whole);
}
