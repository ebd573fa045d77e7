#include "mail/smtp/proto/body_reader.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <string>

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

namespace {

// The content rules octet by octet, written plainly: what the readers must agree with
// whatever slices the octets come in.
struct reference_sink {
  std::string data;
  content_flags flags;
  std::size_t line = 0;
  bool cr = false;
  void put(char c, std::size_t max) {
    if (c == '\n') {
      if (!cr) flags.bare_lf = true;
      cr = false;
      line = 0;
    } else {
      if (cr) flags.bare_cr = true;
      cr = c == '\r';
      if (c == '\0') flags.nul = true;
      if (!cr && ++line > max_line_length) flags.long_line = true;
    }
    if (data.size() >= max) flags.too_big = true;
    else data += c;
  }
};

}  // namespace

TEST_CASE("DATA and BDAT: any slicing gives the octet-by-octet result") {
  // Pseudo-random content rich in the octets with rules (CR, LF, '.', NUL) and long runs.
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  const std::string alphabet = std::string("ab.\r\n\0x", 8);
  for (int round = 0; round < 200; ++round) {
    std::string body;
    const std::size_t len = next() % 3000;
    while (body.size() < len) {
      if (next() % 8 == 0) body.append(next() % 1200, 'q');  // a run, sometimes over 998
      else body += alphabet[next() % alphabet.size()];
    }
    const std::size_t max = round % 3 == 0 ? 1500 : 1 << 20;

    // BDAT: no stuffing; the reference sees the octets as they are.
    reference_sink ref;
    for (char c : body) ref.put(c, max);
    if (ref.cr) ref.flags.bare_cr = true;
    bdat_reader b(max);
    b.begin_chunk(body.size());
    for (std::size_t at = 0; at < body.size();) {
      const std::size_t n = std::min<std::size_t>(body.size() - at, 1 + next() % 700);
      REQUIRE(b.feed(std::string_view(body).substr(at, n)) == n);
      at += n;
    }
    b.sink().finish();
    CHECK(b.sink().data() == ref.data);
    CHECK(b.sink().flags().bare_cr == ref.flags.bare_cr);
    CHECK(b.sink().flags().bare_lf == ref.flags.bare_lf);
    CHECK(b.sink().flags().nul == ref.flags.nul);
    CHECK(b.sink().flags().long_line == ref.flags.long_line);
    CHECK(b.sink().flags().too_big == ref.flags.too_big);
    CHECK(b.sink().octets() == body.size());

    // DATA: the same body dot-stuffed and terminated comes back as the body (when it ends
    // in CRLF and has no lone CR before the end, stuffing is exact).
    std::string clean;
    for (char c : body)
      if (c != '\r' && c != '\n') clean += c;
      else if (c == '\n') clean += "\r\n";
    std::string wire;
    bool start = true;
    for (std::size_t i = 0; i < clean.size(); ++i) {
      if (start && clean[i] == '.') wire += '.';
      wire += clean[i];
      start = clean[i] == '\n';
    }
    if (!start) {
      wire += "\r\n";
      clean += "\r\n";
    }
    wire += ".\r\nNEXT";
    reference_sink want;
    for (char c : clean) want.put(c, max);
    data_reader d(max);
    std::size_t used = 0;
    while (!d.done() && used < wire.size()) {
      const std::size_t n = std::min<std::size_t>(wire.size() - used, 1 + next() % 700);
      used += d.feed(std::string_view(wire).substr(used, n));
    }
    REQUIRE(d.done());
    CHECK(wire.substr(used) == "NEXT");
    CHECK(d.sink().data() == want.data);
    CHECK(d.sink().flags().nul == want.flags.nul);
    CHECK(d.sink().flags().long_line == want.flags.long_line);
    CHECK(d.sink().flags().too_big == want.flags.too_big);
    CHECK_FALSE(d.sink().flags().bare_lf);
    CHECK_FALSE(d.sink().flags().bare_cr);
  }
}

TEST_CASE("DATA and BDAT: spilled pieces plus the rest are the content, at every cut") {
  const std::string wire = "Subject: x\r\n\r\n..leading dot\r\n.x\r\n.\rnot end\r\n...\r\n.\r\nNEXT";
  const std::string want = "Subject: x\r\n\r\n.leading dot\r\nx\r\n\rnot end\r\n..\r\n";
  for (std::size_t spill_at : {1u, 3u, 7u, 16u}) {
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      data_reader r(1 << 20);
      r.sink().set_spill_at(spill_at);
      std::string got;
      std::size_t used = r.feed(std::string_view(wire).substr(0, cut));
      got += r.sink().take_spill();
      if (!r.done()) used += r.feed(std::string_view(wire).substr(cut));
      got += r.sink().take_spill();
      REQUIRE(r.done());
      CHECK(wire.substr(used) == "NEXT");
      CHECK(got.size() == r.sink().spilled());
      CHECK(got + r.sink().data() == want);
      CHECK(r.sink().flags().bare_cr);
      CHECK_FALSE(r.sink().flags().too_big);
    }
  }
  // BDAT: chunk boundaries and spill cuts anywhere; nothing is unstuffed.
  const std::string content = "ab\r\n.\r\nx..\r\nend\r\n";
  for (std::size_t chunk = 1; chunk <= content.size(); ++chunk) {
    bdat_reader b(1 << 20);
    b.sink().set_spill_at(5);
    std::string got;
    for (std::size_t at = 0; at < content.size(); at += chunk) {
      const std::string_view piece = std::string_view(content).substr(at, chunk);
      b.begin_chunk(piece.size());
      CHECK(b.feed(piece) == piece.size());
      CHECK(b.chunk_done());
      got += b.sink().take_spill();
    }
    CHECK(got + b.sink().data() == content);
  }
}

TEST_CASE("the size limit counts spilled octets") {
  data_reader r(10);
  r.sink().set_spill_at(4);
  std::string got;
  for (int i = 0; i < 5; ++i) {
    r.feed("abc\r\n");
    got += r.sink().take_spill();
  }
  r.feed(".\r\n");
  CHECK(r.done());
  CHECK(r.sink().flags().too_big);
  CHECK(got.size() + r.sink().data().size() == 10);  // stored up to the limit, not beyond
  CHECK(r.sink().octets() == 25);                     // but everything was read
}

TEST_CASE("without a spill size nothing is handed out") {
  data_reader r(1 << 20);
  r.feed(std::string(100000, 'a').substr(0, 900) + "\r\n");
  CHECK(r.sink().take_spill().empty());
  CHECK(r.sink().spilled() == 0);
}
