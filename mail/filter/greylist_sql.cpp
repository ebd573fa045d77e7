// greylist on core/sql (SQLite or PostgreSQL); see greylist.hpp for the rules.
#include <atomic>

#include "core/sql/sql.hpp"
#include "mail/filter/greylist.hpp"

namespace hearth::mail::filter {
namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "greylist triplets and provider pools",
     "CREATE TABLE greylist ("
     "  network TEXT NOT NULL, sender TEXT NOT NULL, rcpt TEXT NOT NULL,"
     "  first_seen INTEGER NOT NULL, passed INTEGER NOT NULL DEFAULT 0,"
     "  expires INTEGER NOT NULL, PRIMARY KEY (network, sender, rcpt));"
     "CREATE INDEX greylist_expires ON greylist(expires);"
     "CREATE TABLE greylist_pool ("
     "  domain TEXT NOT NULL, pool TEXT NOT NULL, expires INTEGER NOT NULL,"
     "  PRIMARY KEY (domain, pool));"
     "CREATE INDEX greylist_pool_expires ON greylist_pool(expires);"},
};

constexpr std::uint64_t purge_every = 512;

class sql_greylist final : public greylist {
 public:
  sql_greylist(std::unique_ptr<sql::database> d, greylist_times t) : greylist(t), db_(std::move(d)) {}

  result<std::vector<grey_entry>> entries(std::int64_t now, std::size_t limit) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query(
        "SELECT network, sender, rcpt, first_seen, expires, passed FROM greylist WHERE expires > ?1 "
        "ORDER BY first_seen DESC, network, sender, rcpt LIMIT ?2",
        now, static_cast<std::int64_t>(limit));
    if (!r) return r.error();
    std::vector<grey_entry> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({r->text(i, 0), r->text(i, 1), r->text(i, 2), r->int64(i, 3), r->int64(i, 4), r->int64(i, 5) != 0});
    return out;
  }

  result<int> purge(std::int64_t now) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    int n = 0;
    for (auto q : {"DELETE FROM greylist WHERE expires <= ?1", "DELETE FROM greylist_pool WHERE expires <= ?1"}) {
      auto r = (*cr)->query(q, now);
      if (!r) return r.error();
      n += static_cast<int>(r->affected());
    }
    return n;
  }

  result<grey_result> check(const greylist_request& r, std::int64_t now) override {
    if (++calls_ % purge_every == 0) (void)purge(now);
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    const std::string domain = sender_domain(r.sender);

    auto row = c.query("SELECT first_seen, passed, expires FROM greylist WHERE network = ?1 AND sender = ?2 AND rcpt = ?3",
                       r.network, r.sender, r.rcpt);
    if (!row) return row.error();
    bool known = false, passed = false;
    std::int64_t first = 0;
    if (!row->empty() && row->int64(0, 2) > now) {
      known = true;
      first = row->int64(0, 0);
      passed = row->int64(0, 1) != 0;
    }

    auto make_white = [&](std::int64_t first_seen) -> result<void> {
      auto up = c.query(
          "INSERT INTO greylist(network, sender, rcpt, first_seen, passed, expires) VALUES (?1, ?2, ?3, ?4, 1, ?5) "
          "ON CONFLICT(network, sender, rcpt) DO UPDATE SET passed = 1, expires = excluded.expires",
          r.network, r.sender, r.rcpt, first_seen, now + times_.whiteexp);
      if (!up) return up.error();
      if (!domain.empty() && !r.pool.empty()) {
        auto pool = c.query(
            "INSERT INTO greylist_pool(domain, pool, expires) VALUES (?1, ?2, ?3) "
            "ON CONFLICT(domain, pool) DO UPDATE SET expires = excluded.expires",
            domain, r.pool, now + times_.whiteexp);
        if (!pool) return pool.error();
      }
      return {};
    };

    grey_result out;
    if (known && passed) {
      out.outcome = grey_outcome::white;
      if (auto x = make_white(first); !x) return x.error();
    } else if (known && now - first >= times_.passtime) {
      out.outcome = grey_outcome::passed;
      if (auto x = make_white(first); !x) return x.error();
    } else {
      // Not (yet) white: does the sender domain pass from this provider pool?
      bool pool_white = false;
      if (!domain.empty() && !r.pool.empty()) {
        auto p = c.query("SELECT 1 FROM greylist_pool WHERE domain = ?1 AND pool = ?2 AND expires > ?3", domain, r.pool,
                         now);
        if (!p) return p.error();
        pool_white = !p->empty();
      }
      if (pool_white) {
        out.outcome = grey_outcome::pool;
        if (auto x = make_white(known ? first : now); !x) return x.error();
      } else if (known) {
        out.outcome = grey_outcome::early;
        out.wait = first + times_.passtime - now;
      } else {
        out.outcome = grey_outcome::first;
        out.wait = times_.passtime;
        auto ins = c.query(
            "INSERT INTO greylist(network, sender, rcpt, first_seen, passed, expires) VALUES (?1, ?2, ?3, ?4, 0, ?5) "
            "ON CONFLICT(network, sender, rcpt) DO UPDATE SET first_seen = excluded.first_seen, passed = 0, "
            "expires = excluded.expires",
            r.network, r.sender, r.rcpt, now, now + times_.greyexp);
        if (!ins) return ins.error();
      }
    }
    if (auto x = tx->commit(); !x) return x.error();
    return out;
  }

 private:
  std::unique_ptr<sql::database> db_;
  std::atomic<std::uint64_t> calls_{0};  // purge cadence
};

}  // namespace

result<std::shared_ptr<greylist>> greylist::open(const std::string& target, greylist_times t) {
  auto d = sql::open_migrated(target, "greylist", migrations);
  if (!d) return d.error();
  return std::shared_ptr<greylist>(std::make_shared<sql_greylist>(std::move(*d), t));
}

}  // namespace hearth::mail::filter
