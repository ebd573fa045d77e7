#include "core/log/log.hpp"

#include <catch2/catch.hpp>

using namespace hearth;

TEST_CASE("log fields are key=value, quoted when needed") {
  CHECK(log::format_fields("smtp.in", {{"from", "<a@x.org>"}, {"size", 5120}}) ==
        "smtp.in from=<a@x.org> size=5120");
  CHECK(log::format_fields("smtp.out", {{"reply", "550 5.1.1 no such user"}}) ==
        "smtp.out reply=\"550 5.1.1 no such user\"");
  CHECK(log::format_fields("x", {{"v", "a\"b\nc"}}) == "x v=\"a\\\"b\\nc\"");
  CHECK(log::format_fields("x", {{"v", ""}}) == "x v=\"\"");
  CHECK(log::format_fields("x", {{"v", std::string("a\x01") }}) == "x v=\"a\\x01\"");
}

TEST_CASE("log levels parse") {
  CHECK(log::parse_level("INFO") == log::level::info);
  CHECK(log::parse_level("warning") == log::level::warn);
  CHECK_FALSE(log::parse_level("loud").has_value());
}

TEST_CASE("log ids differ") {
  auto a = log::new_id(), b = log::new_id();
  CHECK(a.size() == 12);
  CHECK(a != b);
}
