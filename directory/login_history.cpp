// The login history: client addresses that logged in to an account, and failed logins and
// blocks. Written on the login path, so: one short autocommit or transaction at normal
// durability (a lost entry after a power cut only costs one more "unknown address" delay), and
// bounded per account so a long attack cannot grow the file.
#include "directory/sql_directory.hpp"

namespace hearth::directory {

namespace {

constexpr std::size_t max_ip_text = 64;
constexpr std::size_t max_proto_text = 16;
constexpr std::size_t max_event_text = 32;

bool printable_ascii(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

}  // namespace

result<void> sql_directory::remember_login_address(std::string_view address, std::string_view ip) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  if (!printable_ascii(ip, max_ip_text)) return fail("directory.invalid", "not a client address");
  auto& c = conn();
  auto tx = sql::transaction::begin(c);
  if (!tx) return tx.error();
  auto id = account_id(c, *addr);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no account " + *addr);
  const auto now = unix_now();
  if (auto r = c.query("INSERT INTO login_addresses(account_id, ip, first_seen, last_seen) VALUES(?1, ?2, ?3, ?3) "
                       "ON CONFLICT(account_id, ip) DO UPDATE SET last_seen = excluded.last_seen",
                       **id, ip, now);
      !r)
    return r.error();
  if (auto r = c.query("DELETE FROM login_addresses WHERE account_id = ?1 AND ip NOT IN "
                       "(SELECT ip FROM login_addresses WHERE account_id = ?1 ORDER BY last_seen DESC, ip LIMIT ?2)",
                       **id, static_cast<std::int64_t>(max_login_addresses));
      !r)
    return r.error();
  return tx->commit();
}

bool sql_directory::is_login_address(std::string_view address, std::string_view ip) {
  auto addr = normalize_address(address);
  if (!addr) return false;
  return !conn()
              .query("SELECT 1 FROM login_addresses l JOIN accounts a ON a.id = l.account_id "
                     "WHERE a.address = ?1 AND l.ip = ?2",
                     *addr, ip)
              .value()
              .empty();
}

std::vector<login_address> sql_directory::login_addresses(std::string_view address) {
  std::vector<login_address> out;
  auto addr = normalize_address(address);
  if (!addr) return out;
  auto r = conn()
               .query("SELECT l.ip, l.first_seen, l.last_seen FROM login_addresses l "
                      "JOIN accounts a ON a.id = l.account_id WHERE a.address = ?1 "
                      "ORDER BY l.last_seen DESC, l.ip",
                      *addr)
               .value();
  for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.int64(i, 1), r.int64(i, 2)});
  return out;
}

result<void> sql_directory::add_login_event(std::string_view address, const login_event& e) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  if (!printable_ascii(e.ip, max_ip_text) || !printable_ascii(e.proto, max_proto_text) ||
      !printable_ascii(e.event, max_event_text))
    return fail("directory.invalid", "malformed login event");
  auto& c = conn();
  auto tx = sql::transaction::begin(c);
  if (!tx) return tx.error();
  auto id = account_id(c, *addr);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no account " + *addr);
  if (auto r = c.query("INSERT INTO login_events(account_id, at, ip, proto, event) VALUES(?1, ?2, ?3, ?4, ?5)", **id,
                       e.at ? e.at : unix_now(), e.ip, e.proto, e.event);
      !r)
    return r.error();
  if (auto r = c.query("DELETE FROM login_events WHERE account_id = ?1 AND id <= "
                       "(SELECT id FROM login_events WHERE account_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                       **id, static_cast<std::int64_t>(max_login_events));
      !r)
    return r.error();
  return tx->commit();
}

std::vector<login_event> sql_directory::login_events(std::string_view address, std::size_t limit) {
  std::vector<login_event> out;
  auto addr = normalize_address(address);
  if (!addr || limit == 0) return out;
  auto r = conn()
               .query("SELECT e.at, e.ip, e.proto, e.event FROM login_events e "
                      "JOIN accounts a ON a.id = e.account_id WHERE a.address = ?1 "
                      "ORDER BY e.id DESC LIMIT ?2",
                      *addr, static_cast<std::int64_t>(std::min<std::size_t>(limit, max_login_events)))
               .value();
  for (int i = 0; i < r.size(); ++i) out.push_back({r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
  return out;
}

}  // namespace hearth::directory
