// sts_cache on core/sql (SQLite or PostgreSQL).
#include <string>

#include "core/sql/sql.hpp"
#include "mail/queue/sts_cache.hpp"

namespace hearth::mail::queue {

namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "MTA-STS policy cache", R"sql(
CREATE TABLE queue_sts_policies(
  domain TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  mode TEXT NOT NULL,
  mx TEXT NOT NULL,
  max_age INTEGER NOT NULL,
  fetched INTEGER NOT NULL
);
)sql"},
};

// mx patterns are host names (no spaces): one space-separated column is enough.
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

class sql_sts_cache final : public sts_cache {
 public:
  explicit sql_sts_cache(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  result<std::optional<sts_policy>> get(std::string_view domain) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query("SELECT id, mode, mx, max_age, fetched FROM queue_sts_policies WHERE domain = ?1", domain);
    if (!r) return r.error();
    if (r->empty()) return std::optional<sts_policy>{};
    sts_policy p;
    p.id = r->text(0, 0);
    const std::string mode = r->text(0, 1);
    p.mode = mode == "enforce" ? sts_mode::enforce : mode == "testing" ? sts_mode::testing : sts_mode::none;
    const std::string mx = r->text(0, 2);
    for (std::size_t at = 0; at < mx.size();) {
      auto sp = mx.find(' ', at);
      if (sp == std::string::npos) sp = mx.size();
      if (sp > at) p.mx.push_back(mx.substr(at, sp - at));
      at = sp + 1;
    }
    p.max_age = r->int64(0, 3);
    p.fetched = r->int64(0, 4);
    return std::optional<sts_policy>{std::move(p)};
  }

  result<void> put(std::string_view domain, const sts_policy& p) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query(
        "INSERT INTO queue_sts_policies(domain, id, mode, mx, max_age, fetched) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(domain) DO UPDATE SET id = excluded.id, mode = excluded.mode, mx = excluded.mx, "
        "max_age = excluded.max_age, fetched = excluded.fetched",
        domain, p.id, sts_mode_name(p.mode), join(p.mx), p.max_age, p.fetched);
    if (!r) return r.error();
    return {};
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::shared_ptr<sts_cache>> open_sts_cache(const std::string& target) {
  auto d = sql::open_migrated(target, "queue_sts", migrations);
  if (!d) return d.error();
  return std::shared_ptr<sts_cache>(std::make_shared<sql_sts_cache>(std::move(*d)));
}

}  // namespace hearth::mail::queue
