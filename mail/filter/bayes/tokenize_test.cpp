#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <random>

#include "mail/filter/bayes/tokenize.hpp"

using namespace hearth::mail::filter::bayes;

namespace {
bool has(const std::vector<std::string>& v, std::string_view t) { return std::find(v.begin(), v.end(), t) != v.end(); }
}  // namespace

TEST_CASE("tokens of headers, text and HTML carry their origin", "[bayes]") {
  std::string m =
      "Received: from mail.spammer.example.com (mail.spammer.example.com [203.0.113.9]) by mx.home.test\r\n"
      "From: \"Cheap Pills\" <offers@pills.example.co.uk>\r\n"
      "To: alice@home.test\r\n"
      "Subject: =?UTF-8?B?RlJFRSBtb25leSBub3c=?=\r\n"
      "List-Id: Deals <deals.lists.example.org>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "<html><body><p style=3D\"display:none\">hidden</p><a href=3D\"http://www.click.example.net/x\">Buy"
      "</a> viagra&nbsp;today <img src=3D\"cid:1\" width=3D\"1\"></body></html>\r\n"
      "--b\r\nContent-Type: application/zip; name=\"invoice.zip\"\r\nContent-Disposition: attachment; filename=\"invoice.zip\"\r\n\r\n"
      "UEsDBA==\r\n--b--\r\n";
  auto t = tokenize(m);
  CHECK(has(t, "subject:free"));
  CHECK(has(t, "subject:money"));
  CHECK(has(t, "subject:shouting") == false);
  CHECK(has(t, "from:addr:offers@pills.example.co.uk"));
  CHECK(has(t, "from:domain:example.co.uk"));
  CHECK(has(t, "from:domain:pills.example.co.uk"));
  CHECK(has(t, "from:name:cheap"));
  CHECK(has(t, "received:mail.spammer.example.com"));
  CHECK(has(t, "received:example.com"));
  CHECK(has(t, "received:ip:203.0"));
  CHECK(has(t, "list:id:deals.lists.example.org"));
  CHECK(has(t, "ct:text/html"));
  CHECK(has(t, "cte:quoted-printable"));
  CHECK(has(t, "filename:invoice.zip"));
  CHECK(has(t, "fileext:zip"));
  CHECK(has(t, "url:www.click.example.net"));
  CHECK(has(t, "url:example.net"));
  CHECK(has(t, "html:a"));
  CHECK(has(t, "html:hidden"));
  CHECK(has(t, "html:img:cid"));
  CHECK(has(t, "viagra"));
  CHECK(has(t, "today"));
  CHECK(has(t, "buy"));
  CHECK(has(t, "hdr:list-id"));
  CHECK(has(t, "meta:html-only"));
  // Tags are not words.
  CHECK_FALSE(has(t, "html"));
  CHECK_FALSE(has(t, "body"));
}

TEST_CASE("registered domains by heuristics", "[bayes]") {
  CHECK(registered_domain("a.b.example.com") == "example.com");
  CHECK(registered_domain("www.bbc.co.uk") == "bbc.co.uk");
  CHECK(registered_domain("example.org") == "example.org");
}

TEST_CASE("long runs become skip tokens; words are lower case and trimmed", "[bayes]") {
  auto t = tokenize("Subject: x\r\n\r\nHello, WORLD! aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  CHECK(has(t, "hello"));
  CHECK(has(t, "world"));
  CHECK(has(t, "skip:a 40"));
}

TEST_CASE("bounded: a huge message, an HTML bomb, random base64, millions of distinct words", "[bayes]") {
  tokenize_limits lim;
  using clock = std::chrono::steady_clock;
  auto timed = [&](const std::string& m) {
    auto t0 = clock::now();
    auto t = tokenize(m, lim);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
    CHECK(t.size() <= lim.max_tokens);
    CHECK(ms < 2000);
    return t;
  };
  // 50 MB of distinct words: only the first MiB is looked at.
  std::string big = "Subject: big\r\n\r\n";
  big.reserve(50u << 20);
  for (std::uint64_t i = 0; big.size() < (50u << 20); ++i) big += "w" + std::to_string(i * 7919) + " ";
  auto t = timed(big);
  CHECK(t.size() == lim.max_tokens);
  // An HTML bomb: deep nesting and many script tags.
  std::string bomb = "Content-Type: text/html\r\n\r\n";
  for (int i = 0; i < 200000; ++i) bomb += "<div><script>";
  timed(bomb);
  std::string unclosed = "Content-Type: text/html\r\n\r\n" + std::string(2u << 20, '<');
  timed(unclosed);
  // Random base64 in a text part.
  std::mt19937_64 rng(1);
  std::string b64 = "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  const char* alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < (8 << 20); ++i) {
    b64 += alpha[rng() % 64];
    if (i % 76 == 75) b64 += "\r\n";
  }
  timed(b64);
  // Thousands of MIME parts.
  std::string parts = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 100000; ++i) parts += "--x\r\nContent-Type: text/plain\r\n\r\nword" + std::to_string(i) + "\r\n";
  timed(parts);
}

TEST_CASE("token hashes are stable", "[bayes]") {
  CHECK(token_hash("") == 14695981039346656037ull);
  CHECK(token_hash("a") == 0xaf63dc4c8601ec8cull);
  CHECK(token_hash("viagra") != token_hash("Viagra"));
}
