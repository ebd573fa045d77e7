#include "core/dns/rdata.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace hearth::dns;
using namespace std::string_literals;

namespace {
// Wire name from dotted text: "mail.Example.test" -> \4mail\7Example\4test\0
std::string wire(std::string_view dotted) {
  std::string out;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    auto label = dotted.substr(0, dot);
    out += static_cast<char>(label.size());
    out += label;
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return out + '\0';
}
}  // namespace

TEST_CASE("MX rdata", "[dns][rdata]") {
  auto r = parse_mx("\x00\x0a"s + wire("Mail.Example.TEST"));
  REQUIRE(r);
  CHECK(r->preference == 10);
  CHECK(r->host == "mail.example.test");

  auto null_mx = parse_mx("\x00\x00\x00"s);  // RFC 7505: preference 0, root
  REQUIRE(null_mx);
  CHECK(null_mx->host.empty());

  CHECK_FALSE(parse_mx(""));
  CHECK_FALSE(parse_mx("\x00"s));
  CHECK_FALSE(parse_mx("\x00\x0a"s));                                 // no name
  CHECK_FALSE(parse_mx("\x00\x0a\x04mail"s));                          // unterminated name
  CHECK_FALSE(parse_mx("\x00\x0a\x09mail"s));                          // label longer than rest
  CHECK_FALSE(parse_mx("\x00\x0a"s + wire("a.b") + "x"));              // trailing garbage
  CHECK_FALSE(parse_mx("\x00\x0a\xc0\x0c"s));                          // compression pointer
  CHECK_FALSE(parse_mx("\x00\x0a\x40"s + std::string(64, 'a') + '\0')); // 64-octet label
}

TEST_CASE("names longer than 255 octets are rejected", "[dns][rdata]") {
  std::string name;
  for (int i = 0; i < 5; ++i) name += '\x3f' + std::string(63, 'a');  // 5 * 64 = 320 octets
  name += '\0';
  std::size_t pos = 0;
  CHECK_FALSE(parse_name(name, pos));
  CHECK(pos == 0);
}

TEST_CASE("odd octets in names are escaped, never passed through", "[dns][rdata]") {
  std::size_t pos = 0;
  auto n = parse_name("\x03" "a.b" "\x02" "\r\n" "\x00"s, pos);
  REQUIRE(n);
  CHECK(*n == "a\\046b.\\013\\010");
  CHECK(pos == 8);
}

TEST_CASE("SRV rdata", "[dns][rdata]") {
  auto r = parse_srv("\x00\x05\x00\x0a\x03\xe1"s + wire("imap.example.test"));
  REQUIRE(r);
  CHECK(*r == srv_record{5, 10, 993, "imap.example.test"});
  auto dot = parse_srv("\x00\x00\x00\x00\x00\x00\x00"s);  // RFC 2782: "." = not available
  REQUIRE(dot);
  CHECK(dot->target.empty());
  CHECK_FALSE(parse_srv("\x00\x05\x00\x0a\x03"s));
  CHECK_FALSE(parse_srv("\x00\x05\x00\x0a\x03\xe1"s));
}

TEST_CASE("PTR rdata", "[dns][rdata]") {
  CHECK(parse_ptr(wire("Host.Example.test")) == std::optional<std::string>("host.example.test"));
  CHECK_FALSE(parse_ptr(""));
  CHECK_FALSE(parse_ptr("\x04host"s));
}

TEST_CASE("TXT rdata concatenates character-strings", "[dns][rdata]") {
  CHECK(parse_txt("\x07v=spf1 \x04-all"s) == std::optional<std::string>("v=spf1 -all"));
  CHECK(parse_txt("\x00"s) == std::optional<std::string>(""));
  std::string big = "\xff"s + std::string(255, 'x') + "\x01y";
  CHECK(parse_txt(big)->size() == 256);
  CHECK_FALSE(parse_txt(""));
  CHECK_FALSE(parse_txt("\x05" "abc"s));
  CHECK_FALSE(parse_txt("\x03" "abc" "\x02" "a"s));
}

TEST_CASE("A, AAAA and TLSA rdata", "[dns][rdata]") {
  auto a = parse_a("\xc0\x00\x02\x01"s);
  REQUIRE(a);
  CHECK((*a)[0] == 192);
  CHECK((*a)[3] == 1);
  CHECK_FALSE(parse_a("\x01\x02\x03"s));
  CHECK_FALSE(parse_a("\x01\x02\x03\x04\x05"s));
  CHECK(parse_aaaa(std::string(16, '\x01')));
  CHECK_FALSE(parse_aaaa(std::string(15, '\x01')));

  auto t = parse_tlsa("\x03\x01\x01\xab\xcd\xef"s);
  REQUIRE(t);
  CHECK(*t == tlsa_record{3, 1, 1, "abcdef"});
  CHECK_FALSE(parse_tlsa("\x03\x01\x01"s));
}

TEST_CASE("query names", "[dns]") {
  CHECK(normalize_query_name("Mail.Example.TEST.") == std::optional<std::string>("mail.example.test"));
  CHECK(normalize_query_name("_imaps._tcp.example.test") == std::optional<std::string>("_imaps._tcp.example.test"));
  CHECK_FALSE(normalize_query_name(""));
  CHECK_FALSE(normalize_query_name("."));
  CHECK_FALSE(normalize_query_name("a..b"));
  CHECK_FALSE(normalize_query_name(".a"));
  CHECK_FALSE(normalize_query_name("a b"));
  CHECK_FALSE(normalize_query_name("a\\.b"));
  CHECK_FALSE(normalize_query_name("bücher.example"));
  CHECK_FALSE(normalize_query_name(std::string(64, 'a') + ".test"));
  CHECK_FALSE(normalize_query_name(std::string(250, 'a') + ".test"));
}

TEST_CASE("reverse names", "[dns]") {
  CHECK(reverse_name_v4({192, 0, 2, 1}) == "1.2.0.192.in-addr.arpa");
  std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 0x1f;
  CHECK(reverse_name_v6(v6) ==
        "f.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("TXT presentation", "[dns]") {
  CHECK(quote_txt("v=spf1 -all") == "\"v=spf1 -all\"");
  CHECK(quote_txt("a\"b\\c\n") == "\"a\\\"b\\\\c\\010\"");
}

TEST_CASE("CNAME rdata: the target name (RFC 1035 §3.3.1)", "[dns][rdata]") {
  CHECK(parse_cname(wire("Mail.Example.test")) == "mail.example.test");
  CHECK_FALSE(parse_cname(""));
  CHECK_FALSE(parse_cname("\x04mail"s));                // unterminated
  CHECK_FALSE(parse_cname(wire("a.b") + "x"));          // trailing garbage
  CHECK_FALSE(parse_cname("\xc0\x0c"s));                // compression pointer
}

TEST_CASE("CAA rdata (RFC 8659 §4.1)", "[dns][rdata]") {
  auto r = parse_caa("\x00\x05issueletsencrypt.org"s);
  REQUIRE(r);
  CHECK(*r == caa_record{0, "issue", "letsencrypt.org"});
  CHECK(format_caa(*r) == "0 issue \"letsencrypt.org\"");

  // Critical flag, tag case folded, value with a quote and a control byte escaped.
  auto c = parse_caa("\x80\x05IODEFmailto:\"x\"\n"s);
  REQUIRE(c);
  CHECK(c->flags == 128);
  CHECK(c->tag == "iodef");
  CHECK(format_caa(*c) == "128 iodef \"mailto:\\\"x\\\"\\010\"");

  auto empty_value = parse_caa("\x00\x05issue"s);  // legal: the value may be empty
  REQUIRE(empty_value);
  CHECK(empty_value->value.empty());
  CHECK(format_caa(*empty_value) == "0 issue \"\"");

  // A 255-octet tag is the maximum the length octet can say; it parses.
  auto long_tag = parse_caa("\x00\xff"s + std::string(255, 'a') + "v");
  REQUIRE(long_tag);
  CHECK(long_tag->tag.size() == 255);
  CHECK(long_tag->value == "v");

  CHECK_FALSE(parse_caa(""));
  CHECK_FALSE(parse_caa("\x00"s));                  // no tag length
  CHECK_FALSE(parse_caa("\x00\x05"s));              // tag length but no tag
  CHECK_FALSE(parse_caa("\x00\x00issue"s));         // tag length 0
  CHECK_FALSE(parse_caa("\x00\x05iss"s));           // tag truncated
  CHECK_FALSE(parse_caa("\x00\xff"s + std::string(254, 'a')));  // tag longer than the rest
  CHECK_FALSE(parse_caa("\x00\x05is-ue"s));         // not alphanumeric
  CHECK_FALSE(parse_caa("\x00\x05iss\xc3\xa9"s));   // non-ASCII tag
  CHECK_FALSE(parse_caa("\x00\x06issue "s));        // space in tag
}
