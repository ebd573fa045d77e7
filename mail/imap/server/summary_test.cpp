#include <catch2/catch.hpp>

#include "mail/imap/server/fetch_body.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/message/mime_stream.hpp"

using namespace hearth::mail::imap;

namespace {
parsed_message parsed(const std::string& msg) {
  parsed_message pm;
  pm.bytes = std::make_shared<const std::string>(msg);
  pm.structure = hearth::mail::parse_message(*pm.bytes);
  return pm;
}
}  // namespace

TEST_CASE("message summary: derived once, round trip, header-only answers the same", "[imap][summary]") {
  const std::string msg =
      "From: =?utf-8?Q?J=C3=BCrgen?= <j@example.test>\r\nTo: a@example.test, b@example.test\r\n"
      "Subject: =?utf-8?B?zqPOv8+Gzq/OsQ==?=\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
  const parsed_message pm = parsed(msg);
  auto s = summarize(pm);
  CHECK(s.header == msg.substr(0, msg.find("\r\n\r\n") + 4));
  CHECK(s.structure(true, false) == body_structure(pm.structure.root, true, false));
  CHECK(s.structure(false, true) == body_structure(pm.structure.root, false, true));
  CHECK(s.search_field("SUBJECT")->find("σοφία") != std::string::npos);
  CHECK(s.search_field("FROM")->find("jürgen") != std::string::npos);
  CHECK(s.search_field("BCC")->empty());
  CHECK(s.sent == 1793613600);

  auto back = decode_summary(encode_summary(s));
  REQUIRE(back.has_value());
  CHECK(back->header == s.header);
  CHECK(back->structure(true, false) == s.structure(true, false));
  CHECK(*back->search_field("TO") == *s.search_field("TO"));
  CHECK(back->sent == s.sent);
  CHECK(back->sent_zone == s.sent_zone);

  auto h = header_only(*back);
  CHECK(envelope(h->structure.root.header, false) == envelope(pm.structure.root.header, false));

  CHECK_FALSE(decode_summary("").has_value());
  CHECK_FALSE(decode_summary(std::string(1, '\x01') + "junk").has_value());  // an older version
  auto enc = encode_summary(s);
  CHECK_FALSE(decode_summary(enc.substr(0, enc.size() - 1)).has_value());  // truncated
}

TEST_CASE("message summary: from the streamed structure, the same as from the parsed message", "[imap][summary]") {
  const std::string msg =
      "From: =?utf-8?Q?J=C3=BCrgen?= <j@example.test>\r\nTo: a@example.test\r\nSubject: nested\r\n"
      "Date: Mon, 02 Nov 2026 10:00:00 +0100\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\npre\r\n"
      "--o\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Description: =?utf-8?q?caf=C3=A9?=\r\n\r\nhi\r\n"
      "--o\r\nContent-Type: message/rfc822\r\n\r\nFrom: Inner <i@example.test>\r\nSubject: inner\r\n"
      "Content-Type: multipart/alternative; boundary=\"a b\"\r\n\r\n--a b\r\n\r\nplain\r\n--a b\r\n"
      "Content-Type: text/html\r\n\r\n<p>x</p>\r\n--a b--\r\n--o--\r\nepilogue\r\n";
  const parsed_message pm = parsed(msg);
  const std::string whole = encode_summary(summarize(pm));
  for (std::size_t piece : {1, 5, 64, 4096}) {
    hearth::mail::structure_builder b;
    for (std::size_t at = 0; at < msg.size(); at += piece) b.feed(std::string_view(msg).substr(at, piece));
    auto s = b.finish();
    REQUIRE(s.has_value());
    INFO("pieces of " << piece);
    CHECK(encode_summary(summarize(s->structure, s->root_header())) == whole);
  }
  auto s = summarize(pm);
  CHECK(s.structure(true, false).find("\"MESSAGE\" \"RFC822\"") != std::string::npos);
}
