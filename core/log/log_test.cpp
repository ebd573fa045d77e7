#include "core/log/log.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

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

TEST_CASE("log lines carry a timestamp to the millisecond, the level, then the fields") {
  const auto path = std::filesystem::temp_directory_path() / ("hearth_log_test_" + hearth::log::new_id());
  REQUIRE(hearth::log::set_file(path.string()));
  hearth::log::write(hearth::log::level::info, "smtp.in", {{"id", "A1"}, {"to", "<b@home.test>"}});
  hearth::log::write(hearth::log::level::warn, "x.y", {{"reply", "451 try later"}});
  REQUIRE(hearth::log::set_file(""));
  std::ifstream in(path);
  std::string l1, l2;
  REQUIRE(std::getline(in, l1));
  REQUIRE(std::getline(in, l2));
  std::filesystem::remove(path);
  const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )");
  std::smatch m;
  REQUIRE(std::regex_search(l1, m, stamp));
  CHECK(l1.substr(m.length()) == "info smtp.in id=A1 to=<b@home.test>");
  REQUIRE(std::regex_search(l2, m, stamp));
  CHECK(l2.substr(m.length()) == "warn x.y reply=\"451 try later\"");
}
