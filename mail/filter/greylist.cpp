// Greylisting state in SQLite (see greylist.hpp).
#include "mail/filter/greylist.hpp"

#include <array>

#include "core/db/db.hpp"
#include "core/util/strings.hpp"

namespace hearth::mail::filter {
namespace {

constexpr std::array<db::migration, 1> migrations{{
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
}};

constexpr std::uint64_t purge_every = 512;

}  // namespace

const char* outcome_name(grey_outcome o) {
  switch (o) {
    case grey_outcome::first: return "first";
    case grey_outcome::early: return "early";
    case grey_outcome::passed: return "passed";
    case grey_outcome::white: return "white";
    case grey_outcome::pool: return "pool";
  }
  return "?";
}

std::string normalize_sender(std::string_view sender) {
  std::string s = util::to_lower(sender);
  auto at = s.rfind('@');
  if (at == std::string::npos) return s;
  std::string local = s.substr(0, at);
  // BATV: "prvs=TAG=user", and the "btv1==TAG==user" variant.
  if (local.rfind("prvs=", 0) == 0) {
    if (auto e = local.find('=', 5); e != std::string::npos) local = local.substr(e + 1);
  } else if (local.rfind("btv1==", 0) == 0) {
    if (auto e = local.find("==", 6); e != std::string::npos) local = local.substr(e + 2);
  }
  std::string out;
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (local[i] >= '0' && local[i] <= '9') {
      if (out.empty() || out.back() != '#') out += '#';
    } else {
      out += local[i];
    }
  }
  return out + s.substr(at);
}

std::string sender_domain(std::string_view sender) {
  auto at = sender.rfind('@');
  if (at == std::string_view::npos) return {};
  return util::to_lower(sender.substr(at + 1));
}

result<std::shared_ptr<greylist>> greylist::open(std::shared_ptr<db::database> d, greylist_times t) {
  auto c = d->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "greylist", migrations);
  if (!v) return v.error();
  return std::shared_ptr<greylist>(new greylist(std::move(d), t));
}

result<std::vector<grey_entry>> greylist::entries(std::int64_t now, std::size_t limit) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto st = (*cr)->prepare(
      "SELECT network, sender, rcpt, first_seen, expires, passed FROM greylist WHERE expires > ?1 "
      "ORDER BY first_seen DESC LIMIT ?2");
  if (!st) return st.error();
  st->bind_all(now, static_cast<std::int64_t>(limit));
  std::vector<grey_entry> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back({st->column_text(0), st->column_text(1), st->column_text(2), st->column_int64(3), st->column_int64(4),
                   st->column_int64(5) != 0});
  }
  return out;
}

result<int> greylist::purge(std::int64_t now) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  int n = 0;
  for (auto sql : {"DELETE FROM greylist WHERE expires <= ?1", "DELETE FROM greylist_pool WHERE expires <= ?1"}) {
    auto st = c.prepare(sql);
    if (!st) return st.error();
    st->bind(1, now);
    if (auto r = st->run(); !r) return r.error();
    n += c.changes();
  }
  return n;
}

result<grey_result> greylist::check(const greylist_request& r, std::int64_t now) {
  if (++calls_ % purge_every == 0) (void)purge(now);
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  auto tx = db::transaction::begin(c);
  if (!tx) return tx.error();
  const std::string domain = sender_domain(r.sender);

  auto sel = c.prepare("SELECT first_seen, passed, expires FROM greylist WHERE network=?1 AND sender=?2 AND rcpt=?3");
  if (!sel) return sel.error();
  sel->bind_all(r.network, r.sender, r.rcpt);
  auto row = sel->step();
  if (!row) return row.error();
  bool known = false, passed = false;
  std::int64_t first = 0;
  if (*row && sel->column_int64(2) > now) {
    known = true;
    first = sel->column_int64(0);
    passed = sel->column_int64(1) != 0;
  }
  sel->reset();

  auto make_white = [&](std::int64_t first_seen) -> result<void> {
    auto up = c.prepare(
        "INSERT INTO greylist(network, sender, rcpt, first_seen, passed, expires) VALUES (?1, ?2, ?3, ?4, 1, ?5) "
        "ON CONFLICT(network, sender, rcpt) DO UPDATE SET passed=1, expires=excluded.expires");
    if (!up) return up.error();
    up->bind_all(r.network, r.sender, r.rcpt, first_seen, now + times_.whiteexp);
    if (auto x = up->run(); !x) return x.error();
    if (!domain.empty() && !r.pool.empty()) {
      auto pool = c.prepare(
          "INSERT INTO greylist_pool(domain, pool, expires) VALUES (?1, ?2, ?3) "
          "ON CONFLICT(domain, pool) DO UPDATE SET expires=excluded.expires");
      if (!pool) return pool.error();
      pool->bind_all(domain, r.pool, now + times_.whiteexp);
      if (auto x = pool->run(); !x) return x.error();
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
      auto p = c.prepare("SELECT 1 FROM greylist_pool WHERE domain=?1 AND pool=?2 AND expires>?3");
      if (!p) return p.error();
      p->bind_all(domain, r.pool, now);
      auto pr = p->step();
      if (!pr) return pr.error();
      pool_white = *pr;
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
      auto ins = c.prepare(
          "INSERT INTO greylist(network, sender, rcpt, first_seen, passed, expires) VALUES (?1, ?2, ?3, ?4, 0, ?5) "
          "ON CONFLICT(network, sender, rcpt) DO UPDATE SET first_seen=excluded.first_seen, passed=0, "
          "expires=excluded.expires");
      if (!ins) return ins.error();
      ins->bind_all(r.network, r.sender, r.rcpt, now, now + times_.greyexp);
      if (auto x = ins->run(); !x) return x.error();
    }
  }
  if (auto x = tx->commit(); !x) return x.error();
  return out;
}

}  // namespace hearth::mail::filter
