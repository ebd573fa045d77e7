#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "core/pg/pg.hpp"

namespace hearth::pg {

namespace {

// The SQLSTATE classes a caller acts on; everything else is "db.error".
error error_from(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string text = res ? PQresultErrorMessage(res) : "";
  if (text.empty() && conn) text = PQerrorMessage(conn);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string msg = std::string(what) + ": " + text;
  if (!conn || PQstatus(conn) == CONNECTION_BAD) return fail("db.open", msg);
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view s = state ? state : "";
  if (s.starts_with("23")) return fail("db.constraint", msg);
  // serialization_failure, deadlock_detected, lock_not_available: the work may be retried.
  if (s == "40001" || s == "40P01" || s == "55P03") return fail("db.busy", msg);
  if (s.starts_with("08")) return fail("db.open", msg);
  return fail("db.error", msg);
}

bool valid_channel(std::string_view c) {
  if (c.empty() || c.size() > 63) return false;
  for (char ch : c)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return false;
  return true;
}

struct result_guard {
  PGresult* r;
  ~result_guard() {
    if (r) PQclear(r);
  }
};

}  // namespace

// ---- parameters ---------------------------------------------------------------------------

param to_param(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return {std::string(buf, end)};
}
param to_param(std::string_view v) { return {std::string(v)}; }
param to_param(std::span<const std::uint8_t> v) {
  return {std::string(reinterpret_cast<const char*>(v.data()), v.size()), true};
}

// ---- rows ---------------------------------------------------------------------------------

rows& rows::operator=(rows&& o) noexcept {
  if (this != &o) {
    if (res_) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}
rows::~rows() {
  if (res_) PQclear(res_);
}
int rows::size() const { return res_ ? PQntuples(res_) : 0; }
int rows::columns() const { return res_ ? PQnfields(res_) : 0; }
std::int64_t rows::affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_);
  std::int64_t v = 0;
  if (n && *n) std::from_chars(n, n + std::strlen(n), v);
  return v;
}
bool rows::is_null(int row, int col) const {
  if (!res_ || row < 0 || col < 0 || row >= size() || col >= columns()) return true;
  return PQgetisnull(res_, row, col) != 0;
}
std::string rows::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return std::string(PQgetvalue(res_, row, col), static_cast<std::size_t>(PQgetlength(res_, row, col)));
}
std::int64_t rows::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  const char* p = PQgetvalue(res_, row, col);
  std::size_t n = static_cast<std::size_t>(PQgetlength(res_, row, col));
  if (n == 1 && (*p == 't' || *p == 'f')) return *p == 't' ? 1 : 0;  // boolean columns
  std::int64_t v = 0;
  std::from_chars(p, p + n, v);
  return v;
}
double rows::real(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::strtod(PQgetvalue(res_, row, col), nullptr);
}
unsigned rows::type_oid(int col) const { return res_ && col >= 0 && col < columns() ? PQftype(res_, col) : 0; }
std::vector<std::uint8_t> rows::bytes(int row, int col) const {
  if (is_null(row, col)) return {};
  std::size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_, row, col)), &n);
  if (!raw) return {};
  std::vector<std::uint8_t> out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

// ---- connection ---------------------------------------------------------------------------

struct connection::impl {
  PGconn* conn = nullptr;
  std::unordered_map<std::string, std::string> prepared;  // SQL text -> statement name
  int next_name = 0;
  ~impl() {
    if (conn) PQfinish(conn);
  }
};

connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

result<connection> connection::open(const std::string& url) {
  connection c;
  c.impl_ = std::make_unique<impl>();
  c.impl_->conn = PQconnectdb(url.c_str());
  if (!c.impl_->conn) return fail("db.open", "PostgreSQL: out of memory");
  if (PQstatus(c.impl_->conn) != CONNECTION_OK) return error_from(c.impl_->conn, nullptr, "PostgreSQL connect");
  // Notices ("relation already exists, skipping") would go to stderr, between our log lines.
  PQsetNoticeProcessor(c.impl_->conn, [](void*, const char*) {}, nullptr);
  // Times are stored as integers by the stores; UTC keeps any server-side date maths stable.
  if (auto r = c.exec("SET TIME ZONE 'UTC'; SET standard_conforming_strings = on"); !r) return r.error();
  return c;
}

result<void> connection::exec(std::string_view sql) {
  std::string s(sql);
  result_guard g{PQexec(impl_->conn, s.c_str())};
  auto st = g.r ? PQresultStatus(g.r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
    return error_from(impl_->conn, g.r, "PostgreSQL");
  return {};
}

result<rows> connection::query_params(std::string_view sql, const std::vector<param>& params) {
  std::string key(sql);
  auto it = impl_->prepared.find(key);
  if (it == impl_->prepared.end()) {
    std::string name = "h" + std::to_string(impl_->next_name++);
    result_guard g{PQprepare(impl_->conn, name.c_str(), key.c_str(), static_cast<int>(params.size()), nullptr)};
    if (!g.r || PQresultStatus(g.r) != PGRES_COMMAND_OK) return error_from(impl_->conn, g.r, "PostgreSQL prepare");
    it = impl_->prepared.emplace(key, std::move(name)).first;
  }
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].value ? params[i].value->data() : nullptr;
    lengths[i] = params[i].value ? static_cast<int>(params[i].value->size()) : 0;
    formats[i] = params[i].binary ? 1 : 0;
  }
  PGresult* r = PQexecPrepared(impl_->conn, it->second.c_str(), static_cast<int>(params.size()), values.data(),
                               lengths.data(), formats.data(), 0);
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    result_guard g{r};
    return error_from(impl_->conn, r, "PostgreSQL");
  }
  return rows(r);
}

result<void> connection::listen(std::string_view channel) {
  if (!valid_channel(channel)) return fail("db.error", "PostgreSQL: invalid channel name");
  return exec("LISTEN " + std::string(channel));
}

result<void> connection::notify(std::string_view channel, std::string_view payload) {
  if (!valid_channel(channel)) return fail("db.error", "PostgreSQL: invalid channel name");
  auto r = query("SELECT pg_notify($1, $2)", channel, payload);
  if (!r) return r.error();
  return {};
}

result<std::vector<notification>> connection::wait_notifications(std::chrono::milliseconds timeout) {
  std::vector<notification> out;
  auto drain = [&]() -> result<void> {
    if (!PQconsumeInput(impl_->conn)) return error_from(impl_->conn, nullptr, "PostgreSQL notifications");
    while (PGnotify* n = PQnotifies(impl_->conn)) {
      out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid});
      PQfreemem(n);
    }
    return {};
  };
  if (auto r = drain(); !r) return r.error();
  if (!out.empty() || timeout.count() <= 0) return out;
  pollfd p{PQsocket(impl_->conn), POLLIN, 0};
  if (p.fd < 0) return fail("db.open", "PostgreSQL: connection is closed");
  if (::poll(&p, 1, static_cast<int>(timeout.count())) > 0) {
    if (auto r = drain(); !r) return r.error();
  }
  return out;
}

bool connection::healthy() const {
  if (!impl_ || !impl_->conn || PQstatus(impl_->conn) != CONNECTION_OK ||
      PQtransactionStatus(impl_->conn) != PQTRANS_IDLE)
    return false;
  // A server that ended this session while it sat idle (pg_terminate_backend, a restart) has
  // sent its FATAL and closed the socket, but libpq only notices when it next reads, and the
  // close may come after the FATAL. Nothing else is sent unasked to an idle connection that
  // does not LISTEN (a pool's), so anything waiting on the socket means it is not to be lent.
  pollfd p{PQsocket(impl_->conn), POLLIN, 0};
  if (p.fd < 0) return false;
  if (::poll(&p, 1, 0) != 0) return false;
  return PQstatus(impl_->conn) == CONNECTION_OK;
}
bool connection::in_transaction() const {
  if (!impl_ || !impl_->conn) return false;
  auto t = PQtransactionStatus(impl_->conn);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}
bool connection::transaction_failed() const {
  return impl_ && impl_->conn && PQtransactionStatus(impl_->conn) == PQTRANS_INERROR;
}
int connection::backend_pid() const { return impl_ && impl_->conn ? PQbackendPID(impl_->conn) : 0; }

// ---- transaction --------------------------------------------------------------------------

result<transaction> transaction::begin(connection& c, durability d) {
  if (auto r = c.exec(d == durability::normal ? "BEGIN; SET LOCAL synchronous_commit = off" : "BEGIN"); !r)
    return r.error();
  return transaction(&c);
}

transaction::~transaction() { rollback(); }

result<void> transaction::commit() {
  if (!conn_) return fail("db.error", "PostgreSQL: commit of a finished transaction");
  connection* c = conn_;
  conn_ = nullptr;
  // COMMIT of a transaction an earlier statement aborted answers "ROLLBACK", not an error.
  bool aborted = c->transaction_failed();
  auto r = c->exec("COMMIT");
  if (!r) {
    if (c->in_transaction()) (void)c->exec("ROLLBACK");
    return r.error();
  }
  if (aborted) return fail("db.error", "PostgreSQL: the transaction was aborted by an earlier error");
  return {};
}

void transaction::rollback() noexcept {
  if (!conn_) return;
  connection* c = conn_;
  conn_ = nullptr;
  if (c->in_transaction()) (void)c->exec("ROLLBACK");
}

}  // namespace hearth::pg
