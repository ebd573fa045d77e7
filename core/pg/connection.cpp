#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cctype>
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

std::atomic<std::uint64_t> trips{0};

struct result_guard {
  PGresult* r;
  ~result_guard() {
    if (r) PQclear(r);
  }
};

}  // namespace

std::uint64_t round_trips() { return trips.load(std::memory_order_relaxed); }

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
  struct statement {
    std::string sql;
    std::vector<param> params;
    bool with_params = false;  // prepared, as query_params runs it; else sent as it is
    bool setup = false;        // see connection::queue()
  };
  std::vector<statement> queue;
  // A batch could not be sent whole: what the server answers no longer matches what we expect,
  // so the connection is not used again (the pool closes it).
  bool broken = false;
  // The open transaction was begun READ ONLY: its COMMIT cannot fail for what it did, so it is
  // sent without waiting for the answer (commit_unread), which the connection's next user
  // reads after sending its own statements, or the pool when it lends the connection again.
  // A ROLLBACK goes the same way (a writer that found nothing to write ends so).
  bool read_only = false;
  bool commit_unread = false;  // a COMMIT or ROLLBACK sent, its answer not read yet
  ~impl() {
    if (conn) PQfinish(conn);
  }

  // One statement of a batch: views, valid during run().
  struct item {
    std::string_view sql;
    const std::vector<param>* params = nullptr;  // null: no parameters, not prepared
  };
  // Sends `items` in one pipeline (prepares first, where a statement is not prepared yet, in
  // the same pipeline), then reads every answer: one round trip. Returns the rows of the last
  // item, or the first error met; with `all`, also the rows of every item from `keep_from` on.
  result<rows> run(std::span<const item> items, std::vector<rows>* all = nullptr, std::size_t keep_from = 0);
  // queue as items, in front of `last` (when given), and run them; the queue is empty after.
  result<rows> run_queued(const item* last);
  // Reads the answers to a COMMIT sent without waiting. `wait` false: only if they are all
  // here; returns whether nothing is left unread.
  // `more_sent`: a batch was sent after it, whose answers the caller reads.
  bool read_commit(bool wait, bool more_sent = false);
  // The transaction status, with a COMMIT sent and unread counted as done.
  PGTransactionStatusType status() const {
    return commit_unread ? PQTRANS_IDLE : PQtransactionStatus(conn);
  }
};

bool connection::impl::read_commit(bool wait, bool more_sent) {
  if (!commit_unread) return true;
  // The COMMIT's answer, the null that ends it, then the pipeline's sync.
  for (int step = 0; step < 3; ++step) {
    if (!wait) {
      if (!PQconsumeInput(conn)) {
        broken = true;
        return false;
      }
      if (PQisBusy(conn)) return false;
    }
    PGresult* r = PQgetResult(conn);
    const bool expected = step == 1 ? r == nullptr
                          : step == 2 ? r && PQresultStatus(r) == PGRES_PIPELINE_SYNC
                                      : r != nullptr;  // a failed read-only COMMIT changes nothing
    if (r) PQclear(r);
    if (!expected) {
      broken = true;
      commit_unread = false;
      return false;
    }
  }
  commit_unread = false;
  // Unless a batch was sent behind it (run() reads its answers next, then leaves the mode).
  if (!more_sent && PQexitPipelineMode(conn) != 1) broken = true;
  return !broken;
}

result<rows> connection::impl::run(std::span<const item> items, std::vector<rows>* all, std::size_t keep_from) {
  if (broken) return fail("db.open", "PostgreSQL: the connection lost track of its pipeline");
  if (PQenterPipelineMode(conn) != 1) return error_from(conn, nullptr, "PostgreSQL pipeline");
  // What the server answers, in order: a prepare (its SQL text, forgotten if it fails) or a statement.
  struct answer {
    std::string_view prepared_sql;
    bool prepare = false;
    std::size_t item = 0;  // the statement's index in `items` (not for a prepare)
  };
  std::vector<answer> answers;
  answers.reserve(items.size() + 2);
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  bool sent = true;
  for (std::size_t index = 0; index < items.size(); ++index) {
    const auto& it = items[index];
    if (!it.params) {
      std::string text(it.sql);
      sent = PQsendQueryParams(conn, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
      if (!sent) break;
      answers.push_back({{}, false, index});
      continue;
    }
    const auto& ps = *it.params;
    auto found = prepared.find(std::string(it.sql));
    if (found == prepared.end()) {
      std::string name = "h" + std::to_string(next_name++);
      found = prepared.emplace(std::string(it.sql), std::move(name)).first;
      sent = PQsendPrepare(conn, found->second.c_str(), found->first.c_str(), static_cast<int>(ps.size()), nullptr) == 1;
      if (!sent) break;
      answers.push_back({found->first, true});
    }
    values.assign(ps.size(), nullptr);
    lengths.assign(ps.size(), 0);
    formats.assign(ps.size(), 0);
    for (std::size_t i = 0; i < ps.size(); ++i) {
      values[i] = ps[i].value ? ps[i].value->data() : nullptr;
      lengths[i] = ps[i].value ? static_cast<int>(ps[i].value->size()) : 0;
      formats[i] = ps[i].binary ? 1 : 0;
    }
    sent = PQsendQueryPrepared(conn, found->second.c_str(), static_cast<int>(ps.size()), values.data(), lengths.data(),
                               formats.data(), 0) == 1;
    if (!sent) break;
    answers.push_back({{}, false, index});
  }
  if (sent) sent = PQpipelineSync(conn) == 1;
  trips.fetch_add(1, std::memory_order_relaxed);
  if (!sent) {
    broken = true;
    for (auto& a : answers)
      if (a.prepare) prepared.erase(std::string(a.prepared_sql));
    return error_from(conn, nullptr, "PostgreSQL send");
  }
  // A read-only COMMIT sent earlier on this connection answers first.
  if (commit_unread && !read_commit(true, true)) {
    for (auto& a : answers)
      if (a.prepare) prepared.erase(std::string(a.prepared_sql));
    return error_from(conn, nullptr, "PostgreSQL pipeline");
  }
  std::optional<error> first_error;
  PGresult* last = nullptr;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    PGresult* r = PQgetResult(conn);
    if (!r) {  // the connection broke: nothing more will come
      broken = true;
      if (last) PQclear(last);
      for (std::size_t j = i; j < answers.size(); ++j)
        if (answers[j].prepare) prepared.erase(std::string(answers[j].prepared_sql));
      return first_error ? *first_error : error_from(conn, nullptr, "PostgreSQL");
    }
    auto st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
    if (!ok && answers[i].prepare) prepared.erase(std::string(answers[i].prepared_sql));
    // Statements after a failed one answer PIPELINE_ABORTED: the first error is the one to tell.
    if (!ok && !first_error)
      first_error = st == PGRES_PIPELINE_ABORTED ? fail("db.error", "PostgreSQL: statement not run")
                                                 : error_from(conn, r, answers[i].prepare ? "PostgreSQL prepare" : "PostgreSQL");
    if (ok && i + 1 == answers.size()) last = r;
    else if (ok && all && !answers[i].prepare && answers[i].item >= keep_from) all->emplace_back(r);
    else PQclear(r);
    // Each statement's answer ends with a null result; one statement gives one answer.
    for (int extra = 0; (r = PQgetResult(conn)) != nullptr; ++extra) {
      PQclear(r);
      if (extra == 4) {
        broken = true;
        break;
      }
    }
  }
  PGresult* sync = PQgetResult(conn);
  if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) broken = true;
  if (sync) PQclear(sync);
  if (!broken && PQexitPipelineMode(conn) != 1) broken = true;
  if (first_error) {
    if (last) PQclear(last);
    return *first_error;
  }
  if (broken) {
    if (last) PQclear(last);
    return error_from(conn, nullptr, "PostgreSQL pipeline");
  }
  return rows(last);
}

result<std::vector<rows>> connection::query_batch(std::span<const statement> statements) {
  std::vector<rows> out;
  if (statements.empty()) {
    if (auto r = flush(); !r) return r.error();
    return out;
  }
  auto batch = std::move(impl_->queue);
  impl_->queue.clear();
  std::vector<impl::item> items;
  items.reserve(batch.size() + statements.size());
  for (const auto& st : batch) items.push_back({st.sql, st.with_params ? &st.params : nullptr});
  const auto own = items.size();
  for (const auto& st : statements) items.push_back({st.sql, &st.params});
  out.reserve(statements.size());
  auto last = impl_->run(items, &out, own);
  if (!last) return last.error();
  out.push_back(std::move(*last));
  return out;
}

result<rows> connection::commit_with(const statement& read) {
  if (transaction_failed()) return fail("db.error", "PostgreSQL: the transaction was aborted by an earlier error");
  if (impl_->status() != PQTRANS_INTRANS && impl_->queue.empty())
    return fail("db.error", "PostgreSQL: commit_with outside a transaction");
  auto batch = std::move(impl_->queue);
  impl_->queue.clear();
  std::vector<impl::item> items;
  items.reserve(batch.size() + 2);
  for (const auto& st : batch) items.push_back({st.sql, st.with_params ? &st.params : nullptr});
  const auto own = items.size();
  items.push_back({read.sql, &read.params});
  items.push_back({"COMMIT", nullptr});
  impl_->read_only = false;
  std::vector<rows> got;
  auto end = impl_->run(items, &got, own);
  if (!end) return end.error();
  if (got.size() != 1) return fail("db.error", "PostgreSQL: no answer to the read before COMMIT");
  return std::move(got.front());
}

result<rows> connection::impl::run_queued(const item* own) {
  auto batch = std::move(queue);
  queue.clear();
  std::vector<item> items;
  items.reserve(batch.size() + 1);
  for (const auto& st : batch) items.push_back({st.sql, st.with_params ? &st.params : nullptr});
  if (own) items.push_back(*own);
  if (items.empty()) return rows();
  return run(items);
}

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

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool contains_read_only(std::string_view s) {
  std::string upper(s);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return upper.find("READ ONLY") != std::string::npos;
}

// `s` is `word`, or starts with it and a space (ASCII case ignored).
bool is_word(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != word[i]) return false;
  return s.size() == word.size() || std::isspace(static_cast<unsigned char>(s[word.size()]));
}

}  // namespace

void connection::queue(std::string_view sql, std::vector<param> params, bool setup) {
  impl_->queue.push_back({std::string(sql), std::move(params), true, setup});
}

result<void> connection::flush() {
  if (impl_->queue.empty()) return {};
  auto r = impl_->run_queued(nullptr);
  if (!r) return r.error();
  return {};
}

std::size_t connection::queued() const { return impl_->queue.size(); }

result<void> connection::exec(std::string_view sql) {
  // One statement (no ';'): a transaction's boundaries need not cost a round trip of their own.
  const auto t = trimmed(sql);
  const bool single = t.find(';') == std::string_view::npos;
  const auto tx = impl_->status();
  if (single && (is_word(t, "BEGIN") || is_word(t, "START")) && impl_->queue.empty() && tx == PQTRANS_IDLE) {
    impl_->queue.push_back({std::string(t), {}, false, true});
    impl_->read_only = contains_read_only(t);
    return {};
  }
  const bool rollback = single && (is_word(t, "ROLLBACK") || is_word(t, "ABORT"));
  if (rollback) {
    impl_->queue.clear();  // never sent, so nothing to undo
    if (tx == PQTRANS_IDLE) {
      impl_->read_only = false;
      return {};
    }
  }
  // The end of a transaction whose answer decides nothing: the COMMIT of a READ ONLY one, and
  // any ROLLBACK (it cannot fail to undo). Sent, not waited for: see impl::read_only.
  if (((single && (is_word(t, "COMMIT") || is_word(t, "END")) && impl_->read_only && tx == PQTRANS_INTRANS) ||
       (rollback && (tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR))) &&
      impl_->queue.empty() && !impl_->commit_unread) {
    impl_->read_only = false;
    const char* end = rollback ? "ROLLBACK" : "COMMIT";
    if (PQenterPipelineMode(impl_->conn) != 1 ||
        PQsendQueryParams(impl_->conn, end, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(impl_->conn) != 1) {
      impl_->broken = true;
      return error_from(impl_->conn, nullptr, "PostgreSQL send");
    }
    impl_->commit_unread = true;
    return {};
  }
  if (single && (is_word(t, "COMMIT") || is_word(t, "END") || rollback)) impl_->read_only = false;
  if (!rollback && single && (is_word(t, "COMMIT") || is_word(t, "END")) && tx == PQTRANS_IDLE &&
             std::all_of(impl_->queue.begin(), impl_->queue.end(), [](const auto& q) { return q.setup; })) {
    impl_->queue.clear();  // a transaction that did nothing
    return {};
  }
  if (!impl_->queue.empty()) {
    if (single) {
      impl::item own{t, nullptr};
      auto r = impl_->run_queued(&own);
      if (!r) return r.error();
      return {};
    }
    if (auto r = flush(); !r) return r;
  }
  if (impl_->commit_unread && !impl_->read_commit(true)) return error_from(impl_->conn, nullptr, "PostgreSQL");
  trips.fetch_add(1, std::memory_order_relaxed);
  std::string s(sql);
  result_guard g{PQexec(impl_->conn, s.c_str())};
  auto st = g.r ? PQresultStatus(g.r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
    return error_from(impl_->conn, g.r, "PostgreSQL");
  return {};
}

result<rows> connection::query_params(std::string_view sql, const std::vector<param>& params) {
  impl::item own{sql, &params};
  return impl_->run_queued(&own);
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
  if (impl_->commit_unread && !impl_->read_commit(true)) return error_from(impl_->conn, nullptr, "PostgreSQL");
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
  if (!impl_ || !impl_->conn || impl_->broken || !impl_->queue.empty() || PQstatus(impl_->conn) != CONNECTION_OK)
    return false;
  // A read-only COMMIT whose answer is still on its way: the next user reads it.
  if (impl_->commit_unread && !impl_->read_commit(false)) return !impl_->broken;
  if (PQtransactionStatus(impl_->conn) != PQTRANS_IDLE || PQpipelineStatus(impl_->conn) != PQ_PIPELINE_OFF)
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
  if (!impl_->queue.empty()) return true;
  auto t = impl_->status();
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}
bool connection::transaction_failed() const {
  return impl_ && impl_->conn && PQtransactionStatus(impl_->conn) == PQTRANS_INERROR;
}
int connection::backend_pid() const { return impl_ && impl_->conn ? PQbackendPID(impl_->conn) : 0; }

// ---- transaction --------------------------------------------------------------------------

result<transaction> transaction::begin(connection& c, durability d) {
  c.queue("BEGIN", {}, true);
  if (d == durability::normal) c.queue("SET LOCAL synchronous_commit = off", {}, true);
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
