// The POP3 engine against a real store in a temporary folder: where each command runs
// (placement), and the login's maildrop load, which the session runs inline on SQLite under a
// write guard and must therefore be a pure read once the account's mailboxes exist.
#include "mail/pop3/engine.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "core/blob/store.hpp"
#include "core/sql/write_guard.hpp"

using namespace hearth;
using namespace hearth::mail::pop3;

namespace {

struct fixture {
  std::filesystem::path dir;
  std::unique_ptr<blob::store> blobs;
  std::unique_ptr<mail::store> store;
  engine_env env;
  fixture() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("hearth_pop3_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    blobs = std::make_unique<blob::store>(dir / "blobs");
    store = mail::store::open(dir / "hearth.db", *blobs).value();
    env.store = store.get();
    env.blobs = blobs.get();
    env.hostname = "mail.home.test";
  }
  ~fixture() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("pop3: hashing on the blocking pool, store work on the store pool, the rest inline") {
  fixture f;
  engine e(f.env, "127.0.0.1", true, false);
  // Before login only PASS does real work (Argon2id).
  CHECK(e.placement("CAPA") == runs_on::io);
  CHECK(e.placement("USER alice@home.test") == runs_on::io);
  CHECK(e.placement("pass secret") == runs_on::blocking);
  CHECK(e.placement("AUTH PLAIN") == runs_on::io);
  CHECK(e.placement("QUIT") == runs_on::io);
  // Without a checked password there is nothing to load.
  CHECK(e.finish_login().out.starts_with("-ERR"));

  REQUIRE(f.store->status("alice@home.test", "INBOX"));
  REQUIRE(f.store->append("alice@home.test", "INBOX", "Subject: one\r\n\r\nhello\r\n"));
  auto r = e.sasl_success("alice@home.test");
  CHECK(r.out == "+OK Logged in, 1 messages\r\n");
  REQUIRE(e.authenticated());
  for (auto verb : {"STAT", "LIST", "UIDL 1", "DELE 1", "RSET", "NOOP", "CAPA"}) {
    INFO(verb);
    CHECK(e.placement(verb) == runs_on::io);
  }
  for (auto verb : {"RETR 1", "top 1 0", "QUIT"}) {
    INFO(verb);
    CHECK(e.placement(verb) == runs_on::store);
  }
  // What placement calls io really touches no store: under the write guard nothing is tried.
  {
    sql::no_write_scope guard;
    CHECK(e.handle("STAT").out == "+OK 1 " + std::to_string(f.store->status("alice@home.test", "INBOX").value().bytes) +
                                      "\r\n");
    CHECK(e.handle("DELE 1").out.starts_with("+OK"));
    CHECK(e.handle("RSET").out.starts_with("+OK"));
    CHECK_FALSE(guard.write_attempted());
  }
  CHECK(e.handle("RETR 1").out.find("hello") != std::string::npos);
}

TEST_CASE("pop3: the maildrop load is a read once the account's mailboxes exist") {
  fixture f;
  // An account's first login makes its default mailboxes: a write, which the guard refuses
  // (the session then runs the load again on the store pool).
  {
    engine e(f.env, "127.0.0.1", true, false);
    sql::no_write_scope guard;
    (void)e.sasl_success("bob@home.test");
    CHECK(guard.write_attempted());
  }
  {
    engine e(f.env, "127.0.0.1", true, false);
    CHECK(e.sasl_success("bob@home.test").out == "+OK Logged in, 0 messages\r\n");
  }
  REQUIRE(f.store->append("bob@home.test", "INBOX", "Subject: two\r\n\r\nhi\r\n"));
  engine e(f.env, "127.0.0.1", true, false);
  sql::no_write_scope guard;
  CHECK(e.sasl_success("bob@home.test").out == "+OK Logged in, 1 messages\r\n");
  CHECK_FALSE(guard.write_attempted());
}

TEST_CASE("pop3: dot-stuffing in pieces gives what it gives whole, wherever the pieces break") {
  const std::string samples[] = {
      "Subject: x\r\n\r\n.leading dot\r\nbare lf\nCR mid\rline\r\n..two\r\nlast without end",
      "Subject: y\n\n.\n\r\n.\r\nend\r\n",
      "",
      "no line end at all\r",
      ".\r\n",
  };
  for (const auto& s : samples) {
    for (std::optional<std::size_t> lines : {std::optional<std::size_t>{}, std::optional<std::size_t>{0},
                                              std::optional<std::size_t>{2}}) {
      const std::string whole = dot_stuff(s, lines);
      for (std::size_t cut = 0; cut <= s.size(); ++cut) {
        for (std::size_t step : {std::size_t{1}, std::size_t{3}, s.size() + 1}) {
          INFO("sample " << s << " cut " << cut << " step " << step);
          dot_stuffer d(lines);
          std::string out;
          bool more = d.feed(std::string_view(s).substr(0, cut), out);
          for (std::size_t at = cut; more && at < s.size(); at += step)
            more = d.feed(std::string_view(s).substr(at, step), out);
          d.finish(out);
          CHECK(out == whole);
        }
      }
    }
  }
  CHECK(dot_stuff("a\r\n.b\nc") == "a\r\n..b\r\nc\r\n.\r\n");
  CHECK(dot_stuff("H: v\r\n\r\nl1\r\nl2\r\nl3\r\n", 1) == "H: v\r\n\r\nl1\r\n.\r\n");
}
