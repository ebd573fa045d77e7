// pg::describe() parses without connecting, so these cases need no server.
#include "core/pg/describe.hpp"

#include <catch2/catch.hpp>

using hearth::pg::describe;

TEST_CASE("pg::describe names host, port and database, never the password") {
  CHECK(describe("postgres://hearth:s3cret@db.example.org:5433/mail") == "host=db.example.org port=5433 dbname=mail");
  CHECK(describe("postgresql://db.example.org/mail?user=hearth&password=s3cret") == "host=db.example.org dbname=mail");
  CHECK(describe("host=/tmp/pg port=5432 user=hearth password=s3cret dbname=postgres") ==
        "host=/tmp/pg port=5432 dbname=postgres");
  CHECK(describe("hostaddr=127.0.0.1 dbname='my db' password='s3 cret'") == "host=127.0.0.1 dbname=my db");
  CHECK(describe("dbname=hearth") == "host=(default) dbname=hearth");
  for (const char* bad : {"host='/tmp password=s3cret", "nonsense=s3cret", "postgres://u:s3cret@[::1/x"}) {
    INFO(bad);
    auto d = describe(bad);
    CHECK(d.find("s3cret") == std::string::npos);
    CHECK(d == "PostgreSQL (connection string not understood)");
  }
}
