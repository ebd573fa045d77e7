#include <string>

#include "core/db/db.hpp"
#include "mail/queue/sts_cache.hpp"

namespace hearth::mail::queue {

namespace {

// Never edit a released migration: add the next one.
constexpr db::migration migrations[] = {
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

class sqlite_sts_cache final : public sts_cache {
 public:
  explicit sqlite_sts_cache(db::database d) : db_(std::move(d)) {}

  result<std::optional<sts_policy>> get(std::string_view domain) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto st = (*c)->prepare("SELECT id, mode, mx, max_age, fetched FROM queue_sts_policies WHERE domain = ?1");
    if (!st) return st.error();
    st->bind(1, domain);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<sts_policy>{};
    sts_policy p;
    p.id = st->column_text(0);
    const std::string mode = st->column_text(1);
    p.mode = mode == "enforce" ? sts_mode::enforce : mode == "testing" ? sts_mode::testing : sts_mode::none;
    const std::string mx = st->column_text(2);
    for (std::size_t at = 0; at < mx.size();) {
      auto sp = mx.find(' ', at);
      if (sp == std::string::npos) sp = mx.size();
      if (sp > at) p.mx.push_back(mx.substr(at, sp - at));
      at = sp + 1;
    }
    p.max_age = st->column_int64(3);
    p.fetched = st->column_int64(4);
    return std::optional<sts_policy>{std::move(p)};
  }

  result<void> put(std::string_view domain, const sts_policy& p) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto st = (*c)->prepare(
        "INSERT INTO queue_sts_policies(domain, id, mode, mx, max_age, fetched) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(domain) DO UPDATE SET id = ?2, mode = ?3, mx = ?4, max_age = ?5, fetched = ?6");
    if (!st) return st.error();
    st->bind_all(domain, p.id, std::string(sts_mode_name(p.mode)), join(p.mx), p.max_age, p.fetched);
    return st->run();
  }

  result<void> migrate() {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto v = db::migrate(**c, "queue_sts", migrations);
    if (!v) return v.error();
    return {};
  }

 private:
  db::database db_;
};

}  // namespace

result<std::shared_ptr<sts_cache>> open_sqlite_sts_cache(const std::filesystem::path& db_file) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto cache = std::make_shared<sqlite_sts_cache>(std::move(*d));
  if (auto v = cache->migrate(); !v) return v.error();
  return std::shared_ptr<sts_cache>(std::move(cache));
}

}  // namespace hearth::mail::queue
