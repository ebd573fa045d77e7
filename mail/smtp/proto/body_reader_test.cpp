#include "mail/smtp/proto/body_reader.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::smtp;

TEST_CASE("DATA: dot-unstuffing and the terminator split at every boundary") {
  const std::string wire = "Subject: x\r\n\r\n..leading dot\r\n.x\r\n.\rnot end\r\n...\r\n.\r\nNEXT";
  // ".x" loses its dot (RFC 5321 §4.5.2); ".\r" + "n" is content, not an end.
  const std::string want = "Subject: x\r\n\r\n.leading dot\r\nx\r\n\rnot end\r\n..\r\n";
  // Every split into two slices, and one octet at a time.
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    data_reader r(1 << 20);
    std::size_t used = r.feed(std::string_view(wire).substr(0, cut));
    if (!r.done()) used += r.feed(std::string_view(wire).substr(cut));
    REQUIRE(r.done());
    CHECK(wire.substr(used) == "NEXT");
    CHECK(r.sink().data() == want);
  }
  data_reader r(1 << 20);
  std::size_t used = 0;
  for (std::size_t i = 0; i < wire.size() && !r.done(); ++i) used += r.feed(std::string_view(wire).substr(i, 1));
  CHECK(r.done());
  CHECK(used == wire.size() - 4);
  CHECK(r.sink().data() == want);
  const auto& f = r.sink().flags();
  CHECK_FALSE(f.bare_lf);
  CHECK(f.bare_cr);  // from ".\rnot end"
  CHECK_FALSE(f.long_line);
}

TEST_CASE("DATA: an empty message ends at once") {
  data_reader r(100);
  CHECK(r.feed(".\r\n") == 3);
  CHECK(r.done());
  CHECK(r.sink().data().empty());
}

TEST_CASE("DATA: only CRLF.CRLF ends; bare LF and bare CR are recorded") {
  data_reader r(1000);
  r.feed("a\n.\nb\r\n");  // smuggling attempt: "\n.\n" is not the terminator
  CHECK_FALSE(r.done());
  CHECK(r.sink().flags().bare_lf);
  r.feed("c\r.\r\nd\r\n.\r\n");
  CHECK(r.done());
  CHECK(r.sink().flags().bare_cr);

  data_reader r2(1000);
  r2.feed("x\r\n.\rY\r\n.\r\n");  // ".\r" then not LF: the CR is content
  CHECK(r2.done());
  CHECK(r2.sink().flags().bare_cr);
}

TEST_CASE("DATA: long lines, NUL and size are recorded, reading goes on") {
  data_reader r(2000);
  r.feed(std::string(998, 'a') + "\r\n");
  CHECK_FALSE(r.sink().flags().long_line);
  r.feed(std::string(999, 'b') + "\r\n");
  CHECK(r.sink().flags().long_line);
  r.feed(std::string("z\0z\r\n", 5));
  CHECK(r.sink().flags().nul);
  r.feed(std::string(5000, 'c') + "\r\n.\r\n");
  CHECK(r.done());
  CHECK(r.sink().flags().too_big);
  CHECK(r.sink().data().size() == 2000);
  CHECK(r.sink().octets() > 7000);
}

TEST_CASE("BDAT: exact octet counts across chunks") {
  bdat_reader r(100);
  r.begin_chunk(5);
  CHECK(r.feed("ab") == 2);
  CHECK_FALSE(r.chunk_done());
  CHECK(r.feed("c\r\nBDAT") == 3);
  CHECK(r.chunk_done());
  r.begin_chunk(0);
  CHECK(r.chunk_done());
  r.begin_chunk(3);
  CHECK(r.feed(".\r\n") == 3);
  r.sink().finish();
  CHECK(r.sink().data() == "abc\r\n.\r\n");  // no dot-unstuffing in BDAT
  CHECK_FALSE(r.sink().flags().bare_lf);
}
