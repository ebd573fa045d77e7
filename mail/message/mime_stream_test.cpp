#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <iterator>
#include <string>

#include "mail/message/mime_compare.hpp"
#include "mail/message/mime_stream.hpp"

using namespace hearth::mail;

namespace {

// The streamed structure of `msg` fed in pieces cut at `cuts` (ascending offsets).
std::optional<streamed_structure> streamed(std::string_view msg, const std::vector<std::size_t>& cuts,
                                           const structure_limits& lim = {}, const stream_limits& sl = {}) {
  structure_builder b(lim, sl);
  std::size_t at = 0;
  for (std::size_t c : cuts) {
    b.feed(msg.substr(at, c - at));
    at = c;
  }
  b.feed(msg.substr(at));
  return b.finish();
}

// Empty when the streamed structure equals parse_message's for every way of cutting `msg` in
// two, for byte-by-byte feeding and for a few fixed piece sizes; else the first difference.
std::string compare_all_splits(const std::string& msg, const structure_limits& lim = {}) {
  const auto whole = parse_message(msg, lim);
  auto check = [&](const std::vector<std::size_t>& cuts, const std::string& how) -> std::string {
    auto s = streamed(msg, cuts, lim);
    if (!s) return how + ": gave up";
    auto d = structure_difference(s->structure, whole);
    if (!d.empty()) return how + ": " + d;
    const auto& r = whole.root;
    if (s->root_header() != std::string_view(msg).substr(r.header_begin, r.header_size())) return how + ": root header";
    return {};
  };
  for (std::size_t k = 0; k <= msg.size(); ++k)
    if (auto d = check({k}, "cut at " + std::to_string(k)); !d.empty()) return d;
  for (std::size_t step : {1, 2, 3, 7, 64}) {
    std::vector<std::size_t> cuts;
    for (std::size_t k = step; k < msg.size(); k += step) cuts.push_back(k);
    if (auto d = check(cuts, "pieces of " + std::to_string(step)); !d.empty()) return d;
  }
  return {};
}

// A random MIME message: nested multiparts (digest among them), message/rfc822 parts, bodies
// with lines that look like delimiters, CRLF or bare LF endings, missing close delimiters,
// preambles and epilogues. Deterministic for a seed.
struct generator {
  std::mt19937 rng;
  explicit generator(unsigned seed) : rng(seed) {}
  int pick(int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); }
  std::string eol() { return pick(5) == 0 ? "\n" : "\r\n"; }
  std::string text_lines(const std::vector<std::string>& bounds) {
    std::string out;
    const int n = pick(4);
    for (int i = 0; i < n; ++i) {
      switch (pick(8)) {
        case 0: out += ""; break;
        case 1: if (!bounds.empty()) out += "--" + bounds[pick(static_cast<int>(bounds.size()))] + (pick(2) ? "--" : "") + (pick(3) ? "" : " \t"); break;
        case 2: out += "--not-a-boundary"; break;
        case 3: out += std::string(pick(300), '-'); break;
        case 4: out += "From: x@y.test"; break;
        default: out += "line " + std::to_string(pick(1000));
      }
      out += pick(7) == 0 ? "\r\r\n" : eol();
    }
    return out;
  }
  std::string entity(int depth, std::vector<std::string> bounds) {
    std::string h;
    if (pick(3) == 0) h += "Subject: part " + std::to_string(depth) + eol();
    const int kind = depth > 4 ? 0 : pick(4);
    std::string body;
    if (kind == 1 || kind == 3) {
      const std::string b = "b" + std::to_string(depth) + "x" + std::to_string(pick(3));
      h += std::string("Content-Type: multipart/") + (kind == 3 ? "digest" : "mixed") + "; boundary=\"" + b + "\"" + eol();
      if (pick(4) == 0) h += " (folded)" + eol();
      auto inner = bounds;
      inner.push_back(b);
      body += text_lines(bounds);  // preamble
      const int n = 1 + pick(3);
      for (int i = 0; i < n; ++i) body += "--" + b + eol() + entity(depth + 1, inner) + eol();
      if (pick(4)) body += "--" + b + "--" + eol() + text_lines(bounds);
    } else if (kind == 2) {
      h += "Content-Type: message/rfc822" + eol();
      if (pick(5) == 0) h += "Content-Transfer-Encoding: base64" + eol();
      body += entity(depth + 1, bounds);
    } else {
      if (pick(2)) h += "Content-Type: text/plain; charset=utf-8" + eol();
      if (pick(3) == 0) h += "Content-Description: =?utf-8?q?caf=C3=A9?=" + eol();
      body += text_lines(bounds);
    }
    const bool no_blank = pick(12) == 0;
    return h + (no_blank ? "" : eol()) + body;
  }
};

}  // namespace

TEST_CASE("streamed MIME structure equals parse_message on the corpus, cut anywhere", "[mime][stream]") {
  const char* root = std::getenv("HEARTH_SOURCE_DIR");
  REQUIRE(root != nullptr);
  const auto dir = std::filesystem::path(root) / "tests/data/mime";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".eml") continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string msg{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    INFO(e.path().filename().string());
    CHECK(compare_all_splits(msg) == "");
  }
  CHECK(files >= 6);
}

TEST_CASE("streamed MIME structure: the delimiter rules at piece and line edges", "[mime][stream]") {
  const std::vector<std::string> cases = {
      "",
      "Subject: no body",
      "Subject: x\r\n\r\n",
      "Subject: x\r\n\r\nbody without line end",
      "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepi\r\n",
      // An empty line that ends a part's header is the line ending of the next delimiter.
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nA: 1\r\n\r\n--b--\r\n",
      // A delimiter right before its parent's delimiter: the inner part starts at the outer end.
      "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
      "--i\r\n--o\r\n\r\nx\r\n--o--\r\n",
      "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
      "--i\r\n\r\nin\r\n--i--\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n--o--",
      // A header line that is an enclosing delimiter ends the part's header.
      "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nA: 1\r\n--o\r\nB: 2\r\n\r\nx\n--o--\n",
      // Trailing whitespace and CRs on delimiter lines, long and short.
      "Content-Type: multipart/mixed; boundary=b\n\n--b \t \r\r\n\nx\n--b" + std::string(400, ' ') + "\r\n\ny\n--b--" +
          std::string(300, '\t') + "\r\n",
      "Content-Type: multipart/mixed; boundary=b\n\n--b\r \r\n\nnot a delimiter above\n--b\n\n" + std::string(500, '-') + "\n--b--\n",
      "Content-Type: multipart/mixed; boundary=b\r\n\r\nno delimiter at all\r\n",
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n--b\r\n\r\nafter close\r\n",
      "Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nno boundary parameter\r\n",
      "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\n1\r\n--d\r\nContent-Type: text/plain\r\n\r\n2\r\n--d--\r\n",
      "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA==\r\n",
      "Content-Type: message/rfc822\r\n\r\n",
      "Content-Type: message/rfc822\r\n\r\nSubject: header only",
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n--b--\r\n",
  };
  for (const auto& msg : cases) {
    INFO(msg);
    CHECK(compare_all_splits(msg) == "");
  }
}

TEST_CASE("streamed MIME structure: depth and part limits as parse_message applies them", "[mime][stream]") {
  std::string deep = "Subject: deep\r\n";
  std::string tail;
  for (int i = 0; i < 6; ++i) {
    deep += "Content-Type: multipart/mixed; boundary=l" + std::to_string(i) + "\r\n\r\n--l" + std::to_string(i) + "\r\n";
    tail = "\r\n--l" + std::to_string(i) + "--\r\n" + tail;
  }
  deep += "\r\nleaf" + tail;
  structure_limits lim;
  lim.max_depth = 3;
  CHECK(compare_all_splits(deep, lim) == "");
  std::string many = "Content-Type: multipart/mixed; boundary=m\r\n\r\n";
  for (int i = 0; i < 12; ++i) many += "--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: " + std::to_string(i) + "\r\n\r\nx\r\n";
  many += "--m--\r\n";
  lim = {};
  lim.max_parts = 9;
  CHECK(compare_all_splits(many, lim) == "");
  CHECK(parse_message(many, lim).has(problem_part_limit));
}

TEST_CASE("streamed MIME structure equals parse_message on generated messages", "[mime][stream]") {
  for (unsigned seed = 1; seed <= 80; ++seed) {
    generator g(seed);
    const std::string msg = "From: a@b.test\r\nTo: c@d.test\r\n" + g.entity(0, {});
    INFO("seed " << seed);
    CHECK(compare_all_splits(msg) == "");
  }
}

TEST_CASE("streamed MIME structure: a header past the limit gives up, memory stays bounded", "[mime][stream]") {
  stream_limits sl;
  sl.max_header = 4096;
  std::string msg = "Subject: x\r\n";
  for (int i = 0; i < 200; ++i) msg += "X-Filler: " + std::string(60, 'a') + "\r\n";
  msg += "\r\nbody\r\n";
  structure_builder b({}, sl);
  b.feed(msg);
  CHECK(b.gave_up());
  CHECK_FALSE(b.finish().has_value());
  // A body of one huge line is fine: only the line's first octets are kept.
  const std::string big = "Subject: one line\r\n\r\n" + std::string(200000, 'A');
  auto s = streamed(big, {}, {}, sl);
  REQUIRE(s.has_value());
  CHECK(structure_difference(s->structure, parse_message(big)) == "");
  CHECK(s->structure.root.lines == 1);
}
