#include <catch2/catch.hpp>
#include <string>

#include "mail/message/message.hpp"

using namespace hearth::mail;

namespace {

std::string_view body_of(const std::string& m, const body_part& p) {
  return std::string_view(m).substr(p.body_begin, p.size());
}
std::string_view header_of(const std::string& m, const body_part& p) {
  return std::string_view(m).substr(p.header_begin, p.header_size());
}

}  // namespace

TEST_CASE("Content-Type parameters and RFC 2231", "[mime]") {
  auto t = parse_content_type(" Text/HTML ; charset=\"ISO-8859-1\" (comment); format=flowed");
  CHECK(t.type == "text");
  CHECK(t.subtype == "html");
  CHECK(t.is("TEXT", "Html"));
  CHECK(t.params.get("CHARSET") == "ISO-8859-1");
  CHECK(t.params.get("format") == "flowed");
  CHECK(t.params.get("missing", "dflt") == "dflt");

  auto bad = parse_content_type("garbage");
  CHECK_FALSE(bad.valid);
  CHECK(bad.is("text", "plain"));
  CHECK(bad.params.get("charset") == "us-ascii");

  // RFC 2231 §3 and §4.1: continuations, charset, language, mixed encoded/plain sections.
  auto d = parse_content_disposition(
      "attachment;\r\n filename*0*=ISO-8859-1'fr'caf%E9%20;\r\n filename*1=\"au lait\";"
      " filename*2*=%2Etxt; filename=\"fallback.txt\"; size=42");
  CHECK(d.type == "attachment");
  auto f = d.params.find("filename");
  REQUIRE(f != nullptr);
  CHECK(f->extended);
  CHECK(f->charset == "ISO-8859-1");
  CHECK(f->language == "fr");
  CHECK(f->value == "caf\xC3\xA9 au lait.txt");
  CHECK(f->raw == "ISO-8859-1'fr'caf%E9%20au%20lait%2Etxt");
  CHECK(d.params.get("size") == "42");
  CHECK(d.params.list.size() == 2);

  auto out_of_order = parse_parameters("; name*1=\"b\"; name*0=\"a\"; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  CHECK(out_of_order.get("name") == "ab");
  CHECK(out_of_order.get("title") == "This is ***fun***");
  auto unknown = parse_parameters("; f*=x-no-such-charset''%F0");
  REQUIRE(unknown.find("f") != nullptr);
  CHECK(unknown.find("f")->unknown_charset);
  CHECK(parse_parameters("; name=\"=?UTF-8?B?w6k=?=.pdf\"").get("name") == "\xC3\xA9.pdf");
}

TEST_CASE("simple message is one text/plain part", "[mime]") {
  const std::string m = "Subject: x\r\n\r\nline 1\r\nline 2\r\n";
  auto s = parse_message(m);
  CHECK(s.part_count == 1);
  CHECK(s.problems == 0);
  CHECK(s.root.type.is("text", "plain"));
  CHECK(s.root.type.params.get("charset") == "us-ascii");
  CHECK(s.root.encoding == "7bit");
  CHECK(s.root.body_begin == 14);
  CHECK(s.root.size() == 16);
  CHECK(s.root.lines == 2);
  CHECK(find_part(s.root, {1}) == &s.root);
  CHECK(find_part(s.root, {2}) == nullptr);
}

TEST_CASE("multipart/mixed with alternative, attachment and message/rfc822", "[mime]") {
  const std::string inner_msg =
      "From: Carol <carol@example.org>\r\n"
      "Subject: inner\r\n"
      "\r\n"
      "Inner body.\r\n";
  const std::string m =
      "From: Alice <alice@example.org>\r\n"
      "Subject: =?UTF-8?Q?R=C3=A9union?=\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
      "\r\n"
      "This is the preamble, it mentions --outer inline.\r\n"
      "--outerX is not a delimiter either\r\n"
      "--outer\r\n"
      "Content-Type: multipart/alternative; boundary=inner\r\n"
      "\r\n"
      "--inner\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Caf=C3=A9\r\n"
      "--inner\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "\r\n"
      "<p>Caf\xC3\xA9</p>\r\n"
      "\r\n"
      "--inner--\r\n"
      "--outer\r\n"
      "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-ID: <pdf@x>\r\n"
      "Content-Description: =?ISO-8859-1?Q?R=E9sum=E9?=\r\n"
      "Content-Language: fr, en\r\n"
      "\r\n"
      "JVBERi0x\r\n"
      "LjQK\r\n"
      "--outer  \r\n"
      "Content-Type: message/rfc822\r\n"
      "\r\n" +
      inner_msg +
      "--outer--\r\n"
      "epilogue\r\n";
  auto s = parse_message(m);
  CHECK(s.problems == 0);
  CHECK(s.part_count == 7);
  const auto& root = s.root;
  CHECK(display_value(*root.header.find("subject")) == "R\xC3\xA9union");
  REQUIRE(root.type.is("multipart", "mixed"));
  CHECK(root.body_begin == m.find("This is the preamble"));
  CHECK(root.body_end == m.size());
  REQUIRE(root.children.size() == 3);

  const auto& alt = root.children[0];
  CHECK(alt.type.is("multipart", "alternative"));
  CHECK(alt.header_begin == m.find("Content-Type: multipart/alternative"));
  CHECK(alt.body_begin == m.find("--inner\r\n"));
  // The CRLF before "--outer" belongs to the delimiter.
  CHECK(alt.body_end == m.find("--inner--\r\n") + 9);
  REQUIRE(alt.children.size() == 2);
  const auto& plain = alt.children[0];
  CHECK(plain.type.is("text", "plain"));
  CHECK(plain.encoding == "quoted-printable");
  CHECK(header_of(m, plain) ==
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
  CHECK(body_of(m, plain) == "Caf=C3=A9");
  CHECK(plain.lines == 1);
  CHECK(decode_transfer_encoding(body_of(m, plain), plain.encoding) == "Caf\xC3\xA9");
  const auto& html = alt.children[1];
  CHECK(body_of(m, html) == "<p>Caf\xC3\xA9</p>\r\n");
  CHECK(html.size() == 14);
  CHECK(html.lines == 1);

  const auto& pdf = root.children[1];
  CHECK(pdf.type.is("application", "pdf"));
  CHECK(pdf.type.params.get("name") == "r.pdf");
  CHECK(pdf.disposition.type == "attachment");
  CHECK(pdf.disposition.params.get("filename") == "r.pdf");
  CHECK(pdf.encoding == "base64");
  CHECK(pdf.id == "<pdf@x>");
  CHECK(pdf.description == "R\xC3\xA9sum\xC3\xA9");
  CHECK(pdf.language == std::vector<std::string>{"fr", "en"});
  CHECK(body_of(m, pdf) == "JVBERi0x\r\nLjQK");
  CHECK(pdf.body_begin == m.find("JVBERi0x"));
  CHECK(pdf.size() == 14);
  CHECK(pdf.lines == 2);
  CHECK(decode_transfer_encoding(body_of(m, pdf), pdf.encoding) == "%PDF-1.4\n");

  const auto& rfc = root.children[2];
  REQUIRE(rfc.type.is("message", "rfc822"));
  CHECK(rfc.header_begin == m.find("Content-Type: message/rfc822"));
  CHECK(body_of(m, rfc) == inner_msg.substr(0, inner_msg.size() - 2));
  REQUIRE(rfc.children.size() == 1);
  const auto& enc = rfc.children[0];
  CHECK(enc.header_begin == rfc.body_begin);
  CHECK(enc.header.find("From") != nullptr);
  CHECK(display_value(*enc.header.find("Subject")) == "inner");
  CHECK(body_of(m, enc) == "Inner body.");
  CHECK(enc.type.is("text", "plain"));

  // IMAP section numbers (RFC 9051 §6.4.5).
  CHECK(find_part(root, {1}) == &alt);
  CHECK(find_part(root, {1, 2}) == &html);
  CHECK(find_part(root, {2}) == &pdf);
  CHECK(find_part(root, {3}) == &rfc);
  CHECK(find_part(root, {3, 1}) == &enc);
  CHECK(find_part(root, {4}) == nullptr);
  CHECK(find_part(root, {1, 3}) == nullptr);
  CHECK(find_part(root, {0}) == nullptr);
}

TEST_CASE("missing final boundary ends the last part at its parent's end", "[mime]") {
  const std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\n\r\nfirst\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\nsecond, never closed\r\n";
  auto s = parse_message(m);
  CHECK(s.has(problem_missing_close));
  REQUIRE(s.root.children.size() == 2);
  CHECK(body_of(m, s.root.children[0]) == "first");
  CHECK(body_of(m, s.root.children[1]) == "second, never closed\r\n");
  CHECK(s.root.children[1].body_end == m.size());
}

TEST_CASE("multipart/digest parts default to message/rfc822; empty parts", "[mime]") {
  const std::string m =
      "Content-Type: multipart/digest; boundary=d\r\n\r\n"
      "--d\r\n\r\nSubject: one\r\n\r\nbody one\r\n"
      "--d\r\n"
      "--d--\r\n";
  auto s = parse_message(m);
  REQUIRE(s.root.children.size() == 2);
  CHECK(s.root.children[0].type.is("message", "rfc822"));
  REQUIRE(s.root.children[0].children.size() == 1);
  CHECK(body_of(m, s.root.children[0].children[0]) == "body one");
  CHECK(s.root.children[1].size() == 0);
}

TEST_CASE("malformed multiparts degrade to text/plain", "[mime]") {
  const std::string no_boundary = "Content-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n";
  auto a = parse_message(no_boundary);
  CHECK(a.has(problem_missing_boundary));
  CHECK(a.root.type.is("text", "plain"));
  CHECK(a.root.children.empty());
  CHECK(body_of(no_boundary, a.root) == "--x\r\nhello\r\n");

  const std::string no_parts = "Content-Type: multipart/mixed; boundary=zz\r\n\r\nno delimiter\r\n";
  auto b = parse_message(no_parts);
  CHECK(b.has(problem_no_parts));
  CHECK(b.root.type.is("text", "plain"));

  const std::string encoded = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp4\r\n";
  auto c = parse_message(encoded);
  CHECK(c.root.type.is("text", "plain"));
  CHECK(c.root.children.empty());
}

TEST_CASE("bare LF message is parsed with LF offsets", "[mime]") {
  const std::string m =
      "Subject: lf\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\none\n--b\n\ntwo\n--b--\n";
  auto s = parse_message(m);
  CHECK(s.has(problem_bare_lf));
  REQUIRE(s.root.children.size() == 2);
  CHECK(body_of(m, s.root.children[0]) == "one");
  CHECK(body_of(m, s.root.children[1]) == "two");
}

TEST_CASE("nesting beyond the depth limit is cut and degraded", "[mime]") {
  std::string m;
  const int depth = 30;
  for (int i = 0; i < depth; ++i)
    m += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" + std::to_string(i) + "\r\n";
  m += "\r\nleaf\r\n";
  for (int i = depth - 1; i >= 0; --i) m += "--b" + std::to_string(i) + "--\r\n";
  auto s = parse_message(m);
  CHECK(s.has(problem_depth_limit));
  const body_part* p = &s.root;
  int levels = 0;
  while (!p->children.empty() && levels < 100) {
    p = &p->children[0];
    ++levels;
  }
  CHECK(levels == 20);
  CHECK(p->type.is("text", "plain"));

  structure_limits few;
  few.max_parts = 3;
  std::string wide = "Content-Type: multipart/mixed; boundary=w\r\n\r\n";
  for (int i = 0; i < 10; ++i) wide += "--w\r\n\r\npart\r\n";
  wide += "--w--\r\n";
  auto w = parse_message(wide, few);
  CHECK(w.has(problem_part_limit));
  CHECK(w.part_count == 3);
}

TEST_CASE("over-long lines and too many headers are reported on the structure", "[mime]") {
  std::string m;
  for (int i = 0; i < 1200; ++i) m += "X: y\r\n";
  m += "Long: " + std::string(2000, 'x') + "\r\n\r\nbody\r\n";
  auto s = parse_message(m);
  CHECK(s.has(problem_too_many_fields));
  CHECK(s.has(problem_line_too_long));
  CHECK(body_of(m, s.root) == "body\r\n");
}

TEST_CASE("RFC 2046 §5.1.1 sample: the CRLF before a delimiter belongs to it", "[mime]") {
  const std::string m =
      "From: Nathaniel Borenstein <nsb@bellcore.com>\r\n"
      "Content-type: multipart/mixed; boundary=\"simple boundary\"\r\n"
      "\r\n"
      "This is the preamble.\r\n"
      "\r\n"
      "--simple boundary\r\n"
      "\r\n"
      "This is implicitly typed plain US-ASCII text.\r\n"
      "It does NOT end with a linebreak.\r\n"
      "--simple boundary\r\n"
      "Content-type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "This is explicitly typed plain US-ASCII text.\r\n"
      "It DOES end with a linebreak.\r\n"
      "\r\n"
      "--simple boundary--\r\n"
      "\r\n"
      "This is the epilogue.\r\n";
  auto s = parse_message(m);
  CHECK(s.problems == 0);
  REQUIRE(s.root.children.size() == 2);
  const auto& a = s.root.children[0];
  const auto& b = s.root.children[1];
  CHECK(a.header.fields.empty());
  CHECK(a.header_size() == 2);
  CHECK(body_of(m, a) == "This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.");
  CHECK(a.lines == 2);
  CHECK(b.header_begin == m.find("Content-type: text/plain"));
  CHECK(body_of(m, b) == "This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n");
  CHECK(b.lines == 2);
  CHECK(b.body_end == m.find("\r\n--simple boundary--"));
}
