#include <catch2/catch.hpp>

#include "mail/filter/bayes_scorer.hpp"
#include "mail/filter/clamd.hpp"

using namespace hearth::mail::filter;

TEST_CASE("clamd replies", "[clamd]") {
  CHECK(parse_clamd_reply(std::string("stream: OK\0", 11)).status == scan_status::clean);
  auto v = parse_clamd_reply(std::string("stream: Eicar-Test-Signature FOUND\0", 35));
  CHECK(v.status == scan_status::infected);
  CHECK(v.name == "Eicar-Test-Signature");
  CHECK(parse_clamd_reply("1: stream: Win.Test.EICAR_HDB-1 FOUND\n").name == "Win.Test.EICAR_HDB-1");
  auto e = parse_clamd_reply("INSTREAM size limit exceeded. ERROR");
  CHECK(e.status == scan_status::error);
  CHECK(e.error.find("size limit") != std::string::npos);
  CHECK(parse_clamd_reply("").status == scan_status::error);
}

TEST_CASE("INSTREAM chunks carry a big-endian length", "[clamd]") {
  auto c = instream_chunk("abc");
  CHECK(c == std::string("\0\0\0\3abc", 7));
  CHECK(instream_chunk(std::string(258, 'x')).substr(0, 4) == std::string("\0\0\1\2", 4));
}

TEST_CASE("clamd addresses", "[clamd]") {
  CHECK(parse_clamd_address("/run/clamav/clamd.ctl")->unix_path == "/run/clamav/clamd.ctl");
  CHECK(parse_clamd_address("unix:/tmp/c.sock")->unix_path == "/tmp/c.sock");
  auto t = parse_clamd_address("127.0.0.1:3310");
  REQUIRE(t);
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 3310);
  CHECK(parse_clamd_address("[::1]:3310")->host == "::1");
  CHECK_FALSE(parse_clamd_address("clamd"));
  CHECK_FALSE(parse_clamd_address("host:0"));
  CHECK_FALSE(parse_clamd_address("host:99999"));
}

TEST_CASE("clamd down is an error, not a hang", "[clamd]") {
  clamd_options o;
  o.timeout = std::chrono::milliseconds(500);
  auto r = clamd_scan(*parse_clamd_address("/nonexistent/clamd.sock"), "x", o);
  CHECK(r.status == scan_status::error);
  CHECK_FALSE(r.error.empty());
}

TEST_CASE("Bayes tests by score, and the From address", "[bayes]") {
  bayes::model_options m;
  bayes_scorer_options o;
  bayes::classification c;
  c.verdict = bayes::bayes_class::spam;
  c.score = 0.999;
  CHECK(bayes_test(c, m, o).symbol == "BAYES_99");
  c.score = 0.95;
  CHECK(bayes_test(c, m, o).symbol == "BAYES_90");
  c.verdict = bayes::bayes_class::ham;
  c.score = 0.001;
  CHECK(bayes_test(c, m, o).symbol == "BAYES_00");
  CHECK(bayes_test(c, m, o).score == -2);
  c.verdict = bayes::bayes_class::untrained;
  CHECK(bayes_test(c, m, o).symbol.empty());
  CHECK(from_address("From: \"Bob\" <Bob@Example.ORG>\r\nTo: a@b\r\n\r\nx") == "bob@example.org");
  CHECK(from_address("To: a@b\r\n\r\nx").empty());
}
