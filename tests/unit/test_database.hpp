// A database of its own for one test case, on either engine: a temporary SQLite file, or a
// fresh schema in the PostgreSQL cluster CTest starts around the test executable (tests that
// use this register with hearth_library's TEST_WRAPPER, which sets HEARTH_TEST_PG_URL).
//
//   hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
//   auto dir = directory::directory::open(t.target).value();
#pragma once
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "core/sql/sql.hpp"

namespace hearth {

struct test_database {
  sql::engine engine;
  std::string target;  // what the stores' open() takes
  std::filesystem::path path;

  explicit test_database(sql::engine e) : engine(e) {
    std::random_device rd;
    if (e == sql::engine::sqlite) {
      path = std::filesystem::temp_directory_path() / ("hearth_test_" + std::to_string(rd()) + std::to_string(rd()) + ".sqlite");
      target = path.string();
      return;
    }
    const char* url = std::getenv("HEARTH_TEST_PG_URL");
    if (!url) FAIL("HEARTH_TEST_PG_URL is not set: register the test with TEST_WRAPPER (tests/e2e/lib/pg_cluster.py)");
    static std::atomic<unsigned> n{0};
    std::string schema = "t" + std::to_string(rd() % 100000) + "_" + std::to_string(++n);
    auto admin = sql::open(url);
    REQUIRE(admin);
    REQUIRE((*admin)->get().exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema));
    target = std::string(url) + " options='-c search_path=" + schema + "'";
  }
  ~test_database() {
    std::error_code ec;
    if (!path.empty())
      for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;
};

inline const char* engine_name(sql::engine e) { return e == sql::engine::sqlite ? "sqlite" : "postgres"; }

}  // namespace hearth
