#include "core/backup/zip.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>

using namespace hearth::zip;
using hearth::result;

namespace {

void put16(std::string& s, unsigned v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, unsigned long v) {
  put16(s, v & 0xffff);
  put16(s, (v >> 16) & 0xffff);
}

std::string deflate_raw(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = in.size();
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = out.size();
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A zip with the given (name, content, deflate?) entries, as `zip` writes it (no zip64).
std::string make_zip(const std::vector<std::tuple<std::string, std::string, bool>>& files) {
  std::string body, cd;
  for (const auto& [name, content, deflated] : files) {
    const std::string data = deflated ? deflate_raw(content) : content;
    const unsigned long crc = crc32(0, reinterpret_cast<const Bytef*>(content.data()), content.size());
    const unsigned long offset = body.size();
    put32(body, 0x04034b50); put16(body, 20); put16(body, 0); put16(body, deflated ? 8 : 0);
    put16(body, 0); put16(body, 0); put32(body, crc); put32(body, data.size()); put32(body, content.size());
    put16(body, name.size()); put16(body, 0);
    body += name + data;
    put32(cd, 0x02014b50); put16(cd, 20); put16(cd, 20); put16(cd, 0); put16(cd, deflated ? 8 : 0);
    put16(cd, 0); put16(cd, 0); put32(cd, crc); put32(cd, data.size()); put32(cd, content.size());
    put16(cd, name.size()); put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0); put32(cd, 0); put32(cd, offset);
    cd += name;
  }
  std::string out = body + cd;
  put32(out, 0x06054b50); put16(out, 0); put16(out, 0); put16(out, files.size()); put16(out, files.size());
  put32(out, cd.size()); put32(out, body.size()); put16(out, 0);
  return out;
}

result<std::string> extract(const std::string& zip, const entry& e) {
  auto off = data_offset(std::string_view(zip).substr(e.local_offset), e);
  if (!off) return off.error();
  std::string out;
  auto x = extractor::start(e, [&](std::string_view p) -> result<void> {
    out += p;
    return {};
  });
  if (!x) return x.error();
  std::string_view data = std::string_view(zip).substr(*off, e.compressed_size);
  // In small pieces, as a reader would feed them.
  for (std::size_t i = 0; i < data.size(); i += 7)
    if (auto r = x->feed(data.substr(i, 7)); !r) return r.error();
  if (auto r = x->finish(); !r) return r.error();
  return out;
}

}  // namespace

TEST_CASE("zip: entries listed and extracted, stored and deflated") {
  std::string big;
  for (int i = 0; i < 5000; ++i) big += "From line " + std::to_string(i) + "\n";
  auto z = make_zip({{"Takeout/Mail/All mail.mbox", big, true}, {"Takeout/Calendar/a.ics", "BEGIN:VCALENDAR", false}});
  auto d = find_directory(z, z.size());
  REQUIRE(d);
  CHECK_FALSE(d->zip64_record_offset);
  auto cd = parse_directory(std::string_view(z).substr(d->offset, d->size), *d);
  REQUIRE(cd);
  REQUIRE(cd->size() == 2);
  CHECK((*cd)[0].name == "Takeout/Mail/All mail.mbox");
  CHECK(extract(z, (*cd)[0]).value() == big);
  CHECK(extract(z, (*cd)[1]).value() == "BEGIN:VCALENDAR");
}

TEST_CASE("zip: damage is detected") {
  auto z = make_zip({{"a.txt", std::string(1000, 'x'), true}, {"b.txt", "hello", false}});
  auto d = find_directory(z, z.size()).value();
  auto cd = parse_directory(std::string_view(z).substr(d.offset, d.size), d).value();
  auto flipped = z;
  flipped[(*data_offset(std::string_view(z).substr(cd[1].local_offset), cd[1]))] ^= 1;
  CHECK(extract(flipped, cd[1]).error().code == "zip.crc");
  CHECK_FALSE(find_directory("not a zip at all, not at all", 28));
  CHECK_FALSE(parse_directory(std::string_view(z).substr(d.offset, d.size - 1), d));
}

TEST_CASE("zip64: sizes and offsets from the extra field, directory from the zip64 record") {
  // What zip writes for archives over 4 GiB (Takeout's large parts), with small contents.
  const std::string name = "Takeout/Mail/big.mbox", content = "From x\nSubject: big\n\nbody\n";
  const unsigned long crc = crc32(0, reinterpret_cast<const Bytef*>(content.data()), content.size());
  std::string z;
  put32(z, 0x04034b50); put16(z, 45); put16(z, 0); put16(z, 0); put16(z, 0); put16(z, 0);
  put32(z, crc); put32(z, content.size()); put32(z, content.size()); put16(z, name.size()); put16(z, 0);
  z += name + content;
  const std::size_t cd_offset = z.size();
  std::string cd;
  put32(cd, 0x02014b50); put16(cd, 45); put16(cd, 45); put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0);
  put32(cd, crc); put32(cd, 0xffffffff); put32(cd, 0xffffffff); put16(cd, name.size()); put16(cd, 28);
  put16(cd, 0); put16(cd, 0); put16(cd, 0); put32(cd, 0); put32(cd, 0xffffffff);
  cd += name;
  put16(cd, 0x0001); put16(cd, 24);
  put32(cd, content.size()); put32(cd, 0); put32(cd, content.size()); put32(cd, 0); put32(cd, 0); put32(cd, 0);
  z += cd;
  const std::size_t record_offset = z.size();
  put32(z, 0x06064b50); put32(z, 44); put32(z, 0); put16(z, 45); put16(z, 45); put32(z, 0); put32(z, 0);
  put32(z, 1); put32(z, 0); put32(z, 1); put32(z, 0); put32(z, cd.size()); put32(z, 0); put32(z, cd_offset); put32(z, 0);
  put32(z, 0x07064b50); put32(z, 0); put32(z, record_offset); put32(z, 0); put32(z, 1);
  put32(z, 0x06054b50); put16(z, 0); put16(z, 0); put16(z, 0xffff); put16(z, 0xffff);
  put32(z, 0xffffffff); put32(z, 0xffffffff); put16(z, 0);

  auto d = find_directory(z, z.size());
  REQUIRE(d);
  REQUIRE(d->zip64_record_offset == record_offset);
  auto d64 = read_zip64_record(std::string_view(z).substr(record_offset, 56), *d);
  REQUIRE(d64);
  CHECK(d64->offset == cd_offset);
  CHECK(d64->entries == 1);
  auto entries = parse_directory(std::string_view(z).substr(d64->offset, d64->size), *d64);
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].size == content.size());
  CHECK((*entries)[0].local_offset == 0);
  CHECK(extract(z, (*entries)[0]).value() == content);
}
