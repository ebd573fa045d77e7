#include "web/sieve_form.hpp"

#include <catch2/catch.hpp>

using namespace hearth::web;

TEST_CASE("sieve form: to a script and back") {
  auto f = sieve_form::from_json(R"({"vacation":true,"subject":"Away \"now\"","message":"Back on Monday.\nBye \\o/","days":3,
    "filters":[{"field":"from","contains":"news@","folder":"Lists/News"}]})");
  REQUIRE(f);
  auto s = sieve_form::to_script(*f);
  CHECK(s.find("require [\"fileinto\", \"mailbox\", \"vacation\"];\r\n") != std::string::npos);
  CHECK(s.find("if header :contains \"from\" \"news@\" {\r\n  fileinto :create \"Lists/News\";\r\n}") != std::string::npos);
  CHECK(s.find("vacation :days 3 :subject \"Away \\\"now\\\"\" \"Back on Monday.\r\nBye \\\\o/\";") != std::string::npos);
  auto back = sieve_form::from_script(s);
  REQUIRE(back);
  CHECK(back->vacation);
  CHECK(back->subject == "Away \"now\"");
  CHECK(back->message == "Back on Monday.\nBye \\o/");
  CHECK(back->days == 3);
  REQUIRE(back->filters.size() == 1);
  CHECK(back->filters[0].folder == "Lists/News");
  CHECK(sieve_form::to_json(*back) == sieve_form::to_json(*f));
}

TEST_CASE("sieve form: nothing on, refusals, foreign scripts") {
  auto empty = sieve_form::from_json("{}");
  REQUIRE(empty);
  CHECK(sieve_form::to_script(*empty).find("require") == std::string::npos);
  CHECK(sieve_form::from_json(R"({"vacation":true})").error().code == "web.invalid");  // no message
  CHECK_FALSE(sieve_form::from_json(R"({"days":0})"));
  CHECK_FALSE(sieve_form::from_json(R"({"days":1.5})"));
  CHECK_FALSE(sieve_form::from_json(R"({"subject":"a\nb"})"));
  CHECK_FALSE(sieve_form::from_json(R"({"filters":[{"field":"body","contains":"x","folder":"y"}]})"));
  CHECK_FALSE(sieve_form::from_json(R"({"filters":[{"field":"from","contains":"","folder":"y"}]})"));
  CHECK_FALSE(sieve_form::from_json(R"({"filters":{}})"));
  CHECK_FALSE(sieve_form::from_json("[1]"));
  CHECK_FALSE(sieve_form::from_script("require \"fileinto\";\r\nfileinto \"x\";\r\n"));
  CHECK_FALSE(sieve_form::from_script("# hearth-form: {broken\r\n"));
}
