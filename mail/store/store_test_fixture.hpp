// The fixture the mail store's unit tests share: a store on either engine with one account.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/blob/db_store.hpp"
#include "core/blob/store.hpp"
#include "core/events/bus.hpp"
#include "directory/directory.hpp"
#include "mail/store/store.hpp"
#include "tests/unit/test_database.hpp"

namespace hearth::mail_store_test {

// Each case runs on both engines: a temporary SQLite file, or a schema of its own in the
// PostgreSQL cluster the test wrapper starts (tests/unit/test_database.hpp).
struct fixture {
  test_database db;
  std::filesystem::path dir;
  std::unique_ptr<blob::store> blobs;
  std::unique_ptr<directory::directory> users;
  events::bus bus;
  std::unique_ptr<mail::store> st;
  const std::string alice = "alice@home.test";

  // tier: the blob store keeps bodies up to 64 KiB in the database, as `serve` does; the mail
  // store then writes them in the message's transaction.
  explicit fixture(sql::engine e, std::int64_t quota = 0, bool tier = false) : db(e) {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("hearth_store_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    blobs = std::make_unique<blob::store>(dir / "blobs");
    if (tier) blobs->attach(blob::db_store::open(db.target).value(), {});
    users = directory::directory::open(db.target).value();
    REQUIRE(users->add_domain("home.test"));
    REQUIRE(users->add_account(alice, {"$argon2id$x", "s1", "s2"}, "", quota));
    st = mail::store::open(db.target, *blobs, users.get(), &bus).value();
  }
  ~fixture() {
    st.reset();
    users.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::vector<std::uint32_t> uids(const std::string& mbox) {
    std::vector<std::uint32_t> out;
    for (auto& m : st->fetch(alice, mbox, {{1, mail::uid_max}}).value()) out.push_back(m.uid);
    return out;
  }
};

using u32s = std::vector<std::uint32_t>;

}  // namespace hearth::mail_store_test
