// The delivery agent: one coroutine on a strand re-reads due rows every second (or at once
// after an enqueue), and runs one delivery coroutine per message, at most max_parallel at a
// time. `hearth queue` changes rows in the database; the next pass sees them.
#include "mail/queue/queue.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is destroyed (the same note as in app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "core/dns/resolver.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "mail/queue/client.hpp"
#include "mail/queue/dsn.hpp"
#include "mail/queue/reply.hpp"
#include "mail/queue/schedule.hpp"
#include "mail/queue/store.hpp"
#include "mail/queue/sts_cache.hpp"
#include "mail/queue/sts_fetch.hpp"

namespace hearth::mail::queue {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// GCC 12 destroys a temporary with a non-trivial destructor that is part of a co_await
// expression twice (seen here as a shared_ptr captured by a lambda handed to run_blocking):
// lambdas given to run_blocking capture by reference (the frame outlives the co_await) or
// capture raw pointers only, and coroutines get lvalue arguments.

namespace {

constexpr std::size_t max_parallel = 16;           // messages being delivered at once
constexpr std::uint64_t full_return_limit = 256 * 1024;  // RET unspecified: whole message up to this
// A spool file without a row younger than this may belong to an enqueue between its rename and
// its commit (at most the SQLite busy timeout, 5 s, plus an fsync): never removed.
constexpr std::chrono::seconds orphan_min_age{3600};
constexpr std::chrono::seconds orphan_sweep_every{3600};
// An attempt that ended in an unexpected error (the database, an exception) is retried after
// 2, 4, 8 ... seconds, at most this; so is a failed scan of the due rows.
constexpr std::chrono::seconds max_error_backoff{300};
// How long a destination's policy decision (its MTA-STS TXT check, its MX hosts' DANE state)
// stands for the following messages; and how many destinations are remembered at most.
constexpr std::chrono::seconds decision_memory{60};
constexpr std::size_t max_remembered = 10000;

std::chrono::seconds error_backoff(int failures) {
  std::chrono::seconds d{1};
  for (int i = 0; i < failures && d < max_error_backoff; ++i) d *= 2;
  return std::min(d, max_error_backoff);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rcpt_list(const envelope& env) {
  std::string s;
  for (const auto& r : env.rcpts) {
    if (!s.empty()) s += ",";
    s += "<" + r.address + ">";
  }
  return s;
}

// deliver_local's error codes that mean "this will never work" (everything else is retried).
bool permanent_local_error(const std::string& code) {
  return code == "smtp.unknown_user" || code == "mail.no_account" || code == "mail.invalid" || code == "mail.too_big" ||
         code.rfind("smtp.5", 0) == 0 || (code.size() > 10 && code.compare(code.size() - 10, 10, ".permanent") == 0);
}

class queue_impl final : public queue, public std::enable_shared_from_this<queue_impl> {
 public:
  queue_impl(const options& o, std::shared_ptr<store> s, std::shared_ptr<sts_cache> sc)
      : opts_(o), store_(std::move(s)), sts_cache_(std::move(sc)) {
    policy_ = {opts_.first_retry, opts_.max_retry, opts_.give_up, opts_.delay_warning};
    // Opportunistic TLS (RFC 7435): the handshake never fails on the certificate, but its
    // verification is recorded against the trust store, for MTA-STS.
    tls_.set_verify_mode(asio::ssl::verify_none);
    tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3);
    sts_tls_.set_verify_mode(asio::ssl::verify_peer);
    for (auto* ctx : {&tls_, &sts_tls_}) {
      boost::system::error_code ec;
      ctx->set_default_verify_paths(ec);
      if (!opts_.ca_file.empty()) {
        ctx->load_verify_file(opts_.ca_file.string(), ec);
        if (ec) log::error("queue.ca_file", {{"file", opts_.ca_file.string()}, {"error", ec.message()}});
      }
    }
  }

  void start(asio::io_context& io) override {
    std::lock_guard lk(mu_);
    if (strand_) return;
    strand_.emplace(asio::make_strand(io));
    wake_ = std::make_unique<asio::steady_timer>(*strand_);
    running_ += 1;
    // GCC 12 may destroy a temporary passed to a coroutine's by-value parameter twice: pass
    // lvalues only (see core/net/blocking.hpp).
    auto self = shared_from_this();
    asio::co_spawn(*strand_, agent(self), asio::detached);
    log::info("queue.start", {{"dir", (opts_.data_dir / "queue").string()}, {"node", store_->node()}});
  }

  void stop() override {
    stopping_ = true;
    // Here, not only when the agent leaves its loop: the io_context may stop before it does.
    summarise_blocks();
    // The other nodes would otherwise wait for the lease to run out. An attempt still in
    // flight may then be made twice, which SMTP allows (the receiver drops the duplicate or
    // the user sees it twice); a lost message it does not.
    if (!released_.exchange(true)) {
      auto n = store_->release_claims();
      if (!n) log::error("queue.error", {{"op", "release_claims"}, {"code", n.error().code}, {"error", n.error().message}});
      else log::info("queue.released", {{"node", store_->node()}, {"recipients", *n}});
    }
    std::lock_guard lk(mu_);
    if (strand_) asio::post(*strand_, [self = shared_from_this()] { self->wake_->cancel(); });
  }

  using queue::enqueue;
  result<std::string> enqueue(const envelope& env, const piece_source& message) override {
    std::uint64_t size = 0;
    auto id = store_->add(env, [&](const piece_sink& out) {
      return message([&](std::string_view piece) {
        size += piece.size();
        return out(piece);
      });
    }, unix_now());
    if (!id) {
      log::error("queue.error", {{"op", "enqueue"}, {"code", id.error().code}, {"error", id.error().message}});
      return id;
    }
    log::info("queue.accepted", {{"id", *id}, {"from", "<" + env.from + ">"}, {"to", rcpt_list(env)},
                                 {"size", size}, {"client", env.client},
                                 {"user", env.auth_user}});
    wake();
    return id;
  }

 private:
  void wake() {
    std::lock_guard lk(mu_);
    if (strand_) asio::post(*strand_, [self = shared_from_this()] { self->wake_->cancel(); });
  }

  bool idle() const override { return running_ == 0; }

  static asio::awaitable<void> agent(std::shared_ptr<queue_impl> self) {
    struct done {
      std::atomic<int>& n;
      ~done() { n -= 1; }
    } guard{self->running_};
    int scan_failures = 0;
    auto next_sweep = std::chrono::steady_clock::now() + orphan_sweep_every;
    auto next_summary = std::chrono::steady_clock::now() + self->opts_.block_summary_every;
    // Claims are renewed well before they run out, so that a slow attempt (a 5-minute command
    // timeout is allowed) keeps its recipients while this node lives.
    const auto renew_every = std::max(std::chrono::seconds(1), self->opts_.claim_lease / 3);
    auto next_renewal = std::chrono::steady_clock::now() + renew_every;
    while (!self->stopping_) {
      if (std::chrono::steady_clock::now() >= next_renewal) {
        next_renewal = std::chrono::steady_clock::now() + renew_every;
        if (!self->in_flight_.empty()) {
          auto n = co_await net::run_blocking([st = self->store_.get()] { return st->renew_claims(unix_now()); });
          if (!n) log::error("queue.error", {{"op", "renew_claims"}, {"code", n.error().code}, {"error", n.error().message}});
        }
      }
      // No more than can start (plus those in flight, which due() lists again): what this
      // node claims and cannot start would wait here while another node sits idle.
      const std::size_t want = max_parallel + self->in_flight_.size();
      auto due = co_await net::run_blocking([st = self->store_.get(), want] { return st->due(unix_now(), want); });
      auto pause = std::chrono::seconds(1);
      if (!due) {
        // The database is busy or broken: every pass would fail the same way.
        pause = error_backoff(++scan_failures);
        log::error("queue.error", {{"op", "scan"}, {"code", due.error().code}, {"error", due.error().message},
                                   {"retry_in", std::int64_t(pause.count())}});
      } else {
        scan_failures = 0;
        const auto now = std::chrono::steady_clock::now();
        std::vector<std::string> not_started;
        for (auto& m : *due) {
          if (self->in_flight_.count(m.id)) continue;
          if (self->stopping_ || self->in_flight_.size() >= max_parallel ||
              (self->held_.count(m.id) && self->held_[m.id].until > now)) {
            not_started.push_back(m.id);
            continue;
          }
          self->in_flight_.insert(m.id);
          self->running_ += 1;
          auto entry = std::make_shared<const message_row>(std::move(m));
          asio::co_spawn(*self->strand_, process(self, entry), asio::detached);
        }
        // Claimed but not started: free for the other nodes now, not after the lease.
        if (!not_started.empty()) {
          auto r = co_await net::run_blocking([st = self->store_.get(), &not_started]() -> result<void> {
            for (const auto& id : not_started)
              if (auto x = st->release_message(id); !x) return x.error();
            return {};
          });
          if (!r) log::error("queue.error", {{"op", "release_claims"}, {"code", r.error().code}, {"error", r.error().message}});
        }
      }
      if (self->stopping_) break;
      if (std::chrono::steady_clock::now() >= next_summary) {
        next_summary = std::chrono::steady_clock::now() + self->opts_.block_summary_every;
        self->summarise_blocks();
      }
      if (std::chrono::steady_clock::now() >= next_sweep) {
        next_sweep = std::chrono::steady_clock::now() + orphan_sweep_every;
        auto n = co_await net::run_blocking([st = self->store_.get()] { return st->remove_orphans(orphan_min_age); });
        if (n && *n > 0) log::info("queue.orphans_removed", {{"count", *n}});
        // Holds of messages deleted meanwhile (`hearth queue delete`) would stay forever.
        const auto stale = std::chrono::steady_clock::now() - orphan_sweep_every;
        std::erase_if(self->held_, [&](const auto& h) { return h.second.until < stale; });
      }
      self->wake_->expires_after(pause);
      co_await self->wake_->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // What was counted since the last daily summary would be lost with the process.
    self->summarise_blocks();
  }

  struct pending {
    const rcpt_row* row;
    rcpt_result res;
  };

  static asio::awaitable<void> process(std::shared_ptr<queue_impl> self, std::shared_ptr<const message_row> m) {
    bool settled = false;
    try {
      settled = co_await self->deliver(*m);
    } catch (const std::exception& e) {
      log::error("queue.error", {{"id", m->id}, {"op", "deliver"}, {"error", e.what()}});
    }
    if (settled) {
      self->held_.erase(m->id);
    } else if (!self->stopping_) {
      // Nothing was recorded, so the rows are still due: without a pause the agent would take
      // the message again at once, and fail again, as fast as it can.
      // The hold covers a database that cannot take the postponement either.
      auto& h = self->held_[m->id];
      const int failures = ++h.failures;
      const auto delay = error_backoff(failures);
      h.until = std::chrono::steady_clock::now() + delay;
      const std::string id = m->id;
      auto p = co_await net::run_blocking([&] { return self->store_->postpone(id, unix_now() + delay.count()); });
      log::warn("queue.retry", {{"id", id}, {"failures", failures}, {"retry_in", std::int64_t(delay.count())},
                                {"saved", p ? "yes" : "no"}});
    }
    self->in_flight_.erase(m->id);
    // Something may have become due meanwhile (a DSN we made, a slot that freed up).
    self->wake_->cancel();
    self->running_ -= 1;
  }

  // What an attempt needs to know of a queued message before it sends it, read in one pass
  // over the spool without holding it: the CRLF-normalised size and 8-bit octets (SIZE=, BDAT,
  // BODY=8BITMIME), and its start for DSNs and local copies (the whole message when it is no
  // larger than full_return_limit, `whole` set).
  struct measured {
    std::uint64_t size = 0;     // CRLF-normalised
    bool eight_bit = false;
    std::string head;           // the queued octets from the start, full_return_limit at most
    bool whole = false;         // head is the whole message
  };

  result<measured> measure(const std::string& id) {
    auto r = store_->open_message(id);
    if (!r) return r.error();
    measured out;
    wire_encoder enc(false);
    std::string scratch;
    std::uint64_t raw = 0;
    for (;;) {
      auto piece = (*r)->next();
      if (!piece) return piece.error();
      if (piece->empty()) break;
      raw += piece->size();
      if (out.head.size() < full_return_limit)
        out.head.append(*piece, 0, std::min<std::size_t>(piece->size(), full_return_limit - out.head.size()));
      scratch.clear();
      enc.feed(*piece, scratch);
    }
    scratch.clear();
    enc.finish(scratch);
    out.size = enc.size();
    out.eight_bit = enc.eight_bit();
    out.whole = raw == out.head.size();
    return out;
  }

  // The queued message with CRLF line ends (crlf_normalise), read from the spool a part at a
  // time and handed to `out` in pieces.
  result<void> read_normalised(const std::string& id, const piece_sink& out) {
    auto r = store_->open_message(id);
    if (!r) return r.error();
    wire_encoder enc(false);
    std::string scratch;
    for (;;) {
      auto piece = (*r)->next();
      if (!piece) return piece.error();
      if (piece->empty()) break;
      scratch.clear();
      enc.feed(*piece, scratch);
      if (auto w = out(scratch); !w) return w;
    }
    scratch.clear();
    enc.finish(scratch);
    return scratch.empty() ? result<void>{} : out(scratch);
  }

  // Returns true once the outcome is recorded; false when the attempt ended before (the rows
  // are unchanged: stopping, or an error the caller backs off from).
  asio::awaitable<bool> deliver(const message_row& m) {
    // is_local_domain asks the directory (SQLite): off the strand, with the spool measured.
    std::vector<char> local_rcpt(m.rcpts.size(), 0);
    auto raw = co_await net::run_blocking([&] {
      for (std::size_t i = 0; i < m.rcpts.size(); ++i)
        local_rcpt[i] = opts_.is_local_domain && opts_.is_local_domain(m.rcpts[i].domain);
      return measure(m.id);
    });
    std::vector<pending> results;
    std::map<std::int64_t, std::string> relay_of, host_of;
    if (!raw) {
      // Without its spool file the message can never be sent: the sender is told (a DSN
      // without the original) and the rows go, once, with one log line. Any other read error
      // may pass, and is retried on the normal schedule.
      const bool lost = raw.error().code == "queue.missing";
      log::error(lost ? "queue.damaged" : "queue.error", {{"id", m.id}, {"op", "read"}, {"code", raw.error().code},
                                                          {"error", raw.error().message}, {"action", lost ? "bounce" : "defer"}});
      for (const auto& r : m.rcpts) {
        relay_of[r.rowid] = "none";
        if (lost)
          results.push_back({&r, {rcpt_result::kind::permanent, "554 5.3.0 the queued copy of the message was lost", "5.3.0"}});
        else
          results.push_back({&r, {rcpt_result::kind::temporary, "451 4.3.0 cannot read the queued message: " + raw.error().message, "4.3.0"}});
      }
      const measured nothing;
      const std::set<std::int64_t> no_remote_dsn;
      co_return co_await settle(m, nothing, results, relay_of, host_of, no_remote_dsn);
    }
    auto data = std::make_shared<outbound_message>();
    data->size = raw->size;
    data->eight_bit = raw->eight_bit;
    data->open = [store = store_, id = m.id] { return store->open_message(id); };
    std::vector<const rcpt_row*> local;
    std::map<std::string, std::vector<const rcpt_row*>> remote;
    for (std::size_t i = 0; i < m.rcpts.size(); ++i) {
      const auto& r = m.rcpts[i];
      if (r.status == "bounce")
        results.push_back({&r, {rcpt_result::kind::permanent, "554 5.0.0 returned by the administrator (hearth queue bounce)", "5.0.0"}});
      else if (local_rcpt[i])
        local.push_back(&r);
      else
        remote[r.domain].push_back(&r);
    }
    std::set<std::int64_t> remote_dsn;  // rows taken by a server that offered DSN
    // Local delivery (a retry of a local copy that failed at intake, a DSN, a redirect to a
    // local address): a message that measure() kept whole in one string; a larger one as its
    // start and a reader of the spool, so that no copy of it is held in memory.
    std::string small;
    std::string start;
    const piece_source spool = [this, &m](const piece_sink& out) { return read_normalised(m.id, out); };
    if (!local.empty()) {
      if (raw->whole) {
        small = crlf_normalise(raw->head);
      } else {
        wire_encoder enc(false);
        enc.feed(raw->head, start);
      }
    }
    for (const auto* r : local) {
      auto res = co_await net::run_blocking([&]() -> result<void> {
        if (!opts_.deliver_local) return fail("queue.no_local", "no local delivery configured");
        if (raw->whole) return opts_.deliver_local(m.env.from, r->address, small, nullptr);
        return opts_.deliver_local(m.env.from, r->address, start, &spool);
      });
      relay_of[r->rowid] = "local";
      if (res)
        results.push_back({r, {rcpt_result::kind::delivered, "250 2.0.0 delivered to the mailbox", "2.0.0"}});
      else if (permanent_local_error(res.error().code))
        results.push_back({r, {rcpt_result::kind::permanent, "550 5.1.1 " + res.error().message, "5.1.1"}});
      else
        results.push_back({r, {rcpt_result::kind::temporary, "451 4.3.0 " + res.error().message, "4.3.0"}});
    }
    for (const auto& [domain, rows] : remote) {
      if (stopping_) co_return false;
      attempt_request req;
      req.queue_id = m.id;
      req.domain = domain;
      req.from = m.env.from;
      for (const auto* r : rows) req.rcpts.push_back({r->address, r->notify, r->orcpt});
      req.ret = m.env.ret;
      req.envid = m.env.envid;
      req.requiretls = m.env.requiretls;
      req.message = data;
      req.helo = opts_.hostname;
      req.port = opts_.remote_port;
      req.connect_timeout = opts_.connect_timeout;
      req.command_timeout = opts_.command_timeout;
      req.bind_v4 = opts_.bind_v4;
      req.bind_v6 = opts_.bind_v6;
      req.resolver = opts_.resolver;
      req.tls = &tls_;
      req.routes = &opts_.routes;
      const route* by_domain = route_for_domain(opts_.routes, domain);
      std::optional<sts_policy> sts;
      tls_outcome sts_failure;
      if (!(by_domain && by_domain->relay)) sts = co_await sts_for(domain, m.id, sts_failure);
      if (stopping_) co_return false;
      req.sts = sts ? &*sts : nullptr;
      req.dane_for = [this](const std::string& host, std::uint16_t port) { return dane_for(host, port); };
      attempt_result ar = co_await deliver_remote(req);
      report_tls(domain, req.sts, ar, sts_failure);
      if (stopping_) co_return false;  // abandoned: the rows stay as they were
      std::vector<std::string> relays(rows.size(), ar.relay.empty() ? "none" : ar.relay);
      std::vector<std::string> hosts(rows.size(), ar.remote_host);
      std::vector<char> dsn(rows.size(), ar.remote_dsn);
      co_await fall_back(m, req, ar, relays, hosts, dsn);
      if (stopping_) co_return false;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        relay_of[rows[i]->rowid] = relays[i];
        host_of[rows[i]->rowid] = hosts[i];
        if (dsn[i]) remote_dsn.insert(rows[i]->rowid);
        results.push_back({rows[i], ar.rcpts[i]});
      }
    }
    co_return co_await settle(m, *raw, results, relay_of, host_of, remote_dsn);
  }

  // The recipients a destination refused with a blocklist reply go again through the route's
  // fallback relay, and their results replace the refusals (a refusal by the relay itself
  // then bounces or defers as any other).
  asio::awaitable<void> fall_back(const message_row& m, const attempt_request& req, attempt_result& ar,
                                  std::vector<std::string>& relays, std::vector<std::string>& hosts, std::vector<char>& dsn) {
    if (!ar.matched || !ar.matched->fallback_relay || ar.via_relay) co_return;
    std::vector<std::size_t> blocked;
    std::optional<block_info> why;
    for (std::size_t i = 0; i < ar.rcpts.size(); ++i) {
      if (ar.rcpts[i].k == rcpt_result::kind::delivered) continue;
      if (auto b = block_of(ar.rcpts[i].reply, ar.rcpts[i].status)) {
        blocked.push_back(i);
        if (!why) why = b;
      }
    }
    if (blocked.empty()) co_return;
    const auto& fb = *ar.matched->fallback_relay;
    const std::string fallback = fb.host + ":" + std::to_string(fb.port);
    const std::string destination = ar.remote_host.empty() ? req.domain : ar.remote_host;
    log::warn("smtp.out.blocked", {{"id", m.id}, {"domain", req.domain}, {"destination", destination}, {"relay", ar.relay},
                                   {"our_ip", ar.local_ip}, {"list", why->list}, {"delist", why->delist},
                                   {"reply", ar.rcpts[blocked.front()].reply}, {"fallback", fallback},
                                   {"recipients", static_cast<std::uint64_t>(blocked.size())}});
    {
      std::lock_guard lk(blocks_mu_);
      auto& b = blocks_[{destination, ar.local_ip}];
      b.refusals += 1;
      b.list = why->list;
      b.delist = why->delist;
    }
    attempt_request again = req;
    again.rcpts.clear();
    for (auto i : blocked) again.rcpts.push_back(req.rcpts[i]);
    again.via = &fb;
    again.username = ar.matched->username;
    again.password = ar.matched->password;
    attempt_result far = co_await deliver_remote(again);
    for (std::size_t j = 0; j < blocked.size(); ++j) {
      const auto i = blocked[j];
      ar.rcpts[i] = far.rcpts[j];
      relays[i] = far.relay.empty() ? "none" : far.relay;
      hosts[i] = far.remote_host;
      dsn[i] = far.remote_dsn;
    }
  }

  // The DANE state of an MX host, remembered for decision_memory: a queue flush sends many
  // messages to one destination, and each would otherwise ask A, AAAA and TLSA again (three
  // round trips to the resolver's thread, even when its cache answers). A failed look-up is
  // not remembered: the next message asks again.
  asio::awaitable<dane_host> dane_for(std::string host, std::uint16_t port) {
    const auto now = std::chrono::steady_clock::now();
    const std::string key = tlsa_name(host, port);
    if (auto it = dane_mem_.find(key); it != dane_mem_.end() && it->second.until > now) co_return it->second.d;
    auto d = co_await dane_lookup(*opts_.resolver, host, port, true);
    if (d.st != dane_host::state::failed) {
      if (dane_mem_.size() >= max_remembered) dane_mem_.clear();
      dane_mem_[key] = {d, now + decision_memory};
    }
    co_return d;
  }

  // TLS-RPT: the attempt's sessions with the policy they were held to, and a policy fetch that
  // failed (RFC 8460 §4.3.2.2), handed over without waiting for any disk.
  void report_tls(const std::string& domain, const sts_policy* sts, attempt_result& ar, tls_outcome& sts_failure) {
    if (!opts_.on_tls) return;
    std::vector<tls_outcome> out = std::move(ar.tls_sessions);
    const bool policy = sts && sts->mode != sts_mode::none;
    const auto lines = policy ? sts_policy_lines(*sts) : std::vector<std::string>{};
    for (auto& o : out) {
      o.policy_domain = domain;
      if (!o.policy_type.empty()) continue;  // set by the client (a TLSA outcome)
      o.policy_type = policy ? "sts" : "no-policy-found";
      if (policy) {
        o.policy_string = lines;
        o.mx_host = sts->mx;
      }
    }
    if (!sts_failure.result_type.empty()) {
      sts_failure.policy_domain = domain;
      sts_failure.policy_type = "sts";
      out.push_back(std::move(sts_failure));
    }
    if (!out.empty()) opts_.on_tls(std::move(out));
  }

  // RFC 8461 §5.1: the domain's policy: the cached one while its TXT id is unchanged and it has
  // not expired; a fresh fetch when the id changed; the cached one again when the TXT record or
  // the fetch fails (what an attacker in the path would cause). nullopt: no policy. A failed
  // fetch also fills `failure` (result_type and reason) for TLS-RPT.
  // The TXT record is asked at most once per decision_memory per domain: the answer for the
  // previous message stands meanwhile (RFC 8461 §5.1 asks for the check "when sending", and a
  // policy update takes longer than that to reach every MX anyway).
  asio::awaitable<std::optional<sts_policy>> sts_for(const std::string& domain, const std::string& qid,
                                                     tls_outcome& failure) {
    if (!opts_.mta_sts || !opts_.resolver || !sts_cache_) co_return std::nullopt;
    const auto mono = std::chrono::steady_clock::now();
    if (auto it = sts_decided_.find(domain); it != sts_decided_.end() && it->second.until > mono) co_return it->second.p;
    auto p = co_await sts_lookup(domain, qid, failure);
    if (sts_decided_.size() >= max_remembered) sts_decided_.clear();
    sts_decided_[domain] = {p, mono + decision_memory};
    co_return p;
  }

  asio::awaitable<std::optional<sts_policy>> sts_lookup(const std::string& domain, const std::string& qid,
                                                        tls_outcome& failure) {
    const std::int64_t now = unix_now();
    std::optional<sts_policy> cached;
    if (auto it = sts_mem_.find(domain); it != sts_mem_.end()) {
      cached = it->second;
    } else {
      auto c = co_await net::run_blocking([&] { return sts_cache_->get(domain); });
      if (c && *c) cached = sts_mem_[domain] = **c;
      if (!c) log::error("queue.error", {{"op", "sts_cache"}, {"code", c.error().code}, {"error", c.error().message}});
    }
    if (cached && cached->expired(now)) cached.reset();
    const std::string txt_name = "_mta-sts." + domain;  // an lvalue: GCC 12 (see above)
    auto txt = co_await opts_.resolver->txt(txt_name);
    std::optional<std::string> id;
    if (txt.st == dns::status::ok) id = sts_record_id(txt.records);
    if (!id || (cached && cached->id == *id)) co_return cached;
    auto f = co_await fetch_sts_policy(*opts_.resolver, sts_tls_, domain, opts_.sts_port, std::chrono::seconds(60));
    std::string why = f.error;
    std::optional<sts_policy> p;
    if (f.body) p = parse_sts_policy(*f.body, why);
    if (!p) {
      // RFC 8460 §4.3.2.2.
      failure.result_type = f.body ? "sts-policy-invalid" : f.webpki ? "sts-webpki-invalid" : "sts-policy-fetch-error";
      failure.reason = why;
      log::warn("smtp.out.sts_fetch_failed", {{"id", qid}, {"domain", domain}, {"error", why},
                                               {"using", cached ? "the cached policy" : "no policy"}});
      co_return cached;
    }
    p->id = *id;
    p->fetched = now;
    sts_mem_[domain] = *p;
    auto saved = co_await net::run_blocking([&] { return sts_cache_->put(domain, *p); });
    if (!saved) log::error("queue.error", {{"op", "sts_cache"}, {"code", saved.error().code}, {"error", saved.error().message}});
    std::string mx;
    for (const auto& x : p->mx) mx += (mx.empty() ? "" : ",") + x;
    log::info("smtp.out.sts_policy", {{"domain", domain}, {"mode", std::string(sts_mode_name(p->mode))}, {"id", p->id},
                                      {"max_age", p->max_age}, {"mx", mx}});
    co_return p;
  }

  // One line per destination and source address that refused us since the last summary.
  void summarise_blocks() {
    std::lock_guard lk(blocks_mu_);
    for (const auto& [key, b] : blocks_)
      log::warn("smtp.out.block_summary", {{"destination", key.first}, {"our_ip", key.second}, {"list", b.list},
                                           {"refusals", b.refusals}, {"delist", b.delist}});
    blocks_.clear();
  }

  // Logs each result, sends the DSNs (before the rows change: a crash in between repeats a
  // DSN rather than losing it), then records the outcomes. Returns whether they were recorded.
  asio::awaitable<bool> settle(const message_row& m, const measured& data, const std::vector<pending>& results,
                               std::map<std::int64_t, std::string>& relay_of, std::map<std::int64_t, std::string>& host_of,
                               const std::set<std::int64_t>& remote_dsn) {
    const std::int64_t now = unix_now();
    std::vector<outcome> outcomes;
    std::vector<dsn_recipient> failed, delayed, succeeded;
    for (const auto& [row, res] : results) {
      const std::string& relay = relay_of[row->rowid];
      outcome o;
      o.rowid = row->rowid;
      const char* status = "delivered";
      dsn_recipient d{row->address, row->orcpt, "failed", res.status, host_of[row->rowid], res.reply, "", now};
      if (res.k == rcpt_result::kind::delivered) {
        o.k = outcome::kind::done;
        // RFC 3461 §5.2.2.2/§5.2.3: we report success for a local delivery, or for a relay to a
        // server without DSN; a server with DSN got NOTIFY and reports itself.
        if (relay == "local" || !remote_dsn.count(row->rowid)) {
          d.action = relay == "local" ? "delivered" : "relayed";
          succeeded.push_back(d);
        }
      } else if (res.k == rcpt_result::kind::permanent) {
        o.k = outcome::kind::done;
        status = "bounced";
        failed.push_back(d);
      } else if (after_temporary_failure(policy_for(row->address), m.created, now) == verdict::give_up) {
        o.k = outcome::kind::done;
        status = "bounced";
        d.status = "4.4.7";  // RFC 3463: delivery time expired
        d.reason = "delivery time expired after " + std::to_string((now - m.created) / 3600) + " hours";
        failed.push_back(d);
      } else {
        o.k = outcome::kind::deferred;
        status = "deferred";
        o.attempts = row->attempts + 1;
        o.next_attempt = now + retry_delay(policy_, o.attempts);
        o.last_attempt = now;
        o.last_reply = res.reply;
        o.last_status = res.status;
        o.relay = relay;
        if (delay_warning_due(policy_, m.created, now, row->warned)) {
          d.action = "delayed";
          delayed.push_back(d);
          outcome w;
          w.rowid = row->rowid;
          w.k = outcome::kind::warned;
          outcomes.push_back(o);
          o = w;
        }
      }
      outcomes.push_back(o);
      log::info("smtp.out", {{"id", m.id}, {"from", "<" + m.env.from + ">"}, {"to", "<" + row->address + ">"},
                             {"relay", relay}, {"status", status}, {"dsn", d.status}, {"reply", res.reply},
                             {"attempts", row->attempts + 1}, {"delay", now - m.created}});
    }
    // RFC 3461 §4.1 NOTIFY, and never a DSN about a DSN (null sender, RFC 5321 §4.5.5).
    auto send_dsn = [&](const std::vector<dsn_recipient>& rcpts, const char* what) -> asio::awaitable<void> {
      const bool is_delay = std::string_view(what) == "DELAY", is_success = std::string_view(what) == "SUCCESS";
      if (m.env.from.empty() || rcpts.empty()) co_return;
      std::vector<dsn_recipient> wanted;
      for (const auto& d : rcpts) {
        auto it = std::find_if(m.rcpts.begin(), m.rcpts.end(), [&](const rcpt_row& r) { return r.address == d.address; });
        if (it != m.rcpts.end() && notify_wants(it->notify, what)) wanted.push_back(d);
      }
      if (wanted.empty()) co_return;
      dsn_input in;
      in.reporting_mta = opts_.hostname;
      in.to = m.env.from;
      in.queue_id = m.id;
      in.envid = m.env.envid;
      in.arrival = m.created;
      in.now = now;
      in.retry_until = m.created + policy_for(rcpts.empty() ? std::string() : rcpts.front().address).give_up.count();
      in.delayed = is_delay;
      in.success = is_success;
      // RFC 8689 §5: the content of a REQUIRETLS message must not come back in a report that
      // might travel without TLS: headers only.
      in.full = !is_delay && !is_success && data.size > 0 && !m.env.requiretls &&
                (m.env.ret == "FULL" || (m.env.ret.empty() && data.size <= full_return_limit));
      in.rcpts = std::move(wanted);
      in.original = data.head;
      envelope env;
      env.rcpts.push_back({m.env.from, "", ""});
      env.client = "dsn";
      result<std::string> id = std::string();
      if (in.full && !data.whole) {
        // RET=FULL of a message larger than what measure() kept: the DSN is written to the
        // spool with the original copied from its own spool a part at a time; if that read
        // fails, the DSN carries the header section instead.
        const dsn_frame frame = build_dsn_frame(in);
        const piece_source dsn = [&](const piece_sink& out) -> result<void> {
          if (auto w = out(frame.before); !w) return w;
          if (auto r = read_normalised(m.id, out); !r) return r;
          return out(frame.after);
        };
        id = co_await net::run_blocking([&] { return enqueue(env, dsn); });
        if (!id) in.full = false;
      }
      if (!in.full || data.whole) {
        const std::string msg = build_dsn(in);
        id = co_await net::run_blocking([&] { return enqueue(env, msg); });
      }
      if (id)
        log::info("queue.dsn", {{"id", m.id}, {"dsn_id", *id}, {"to", "<" + m.env.from + ">"}, {"type", is_success ? "success" : is_delay ? "delay" : "failure"},
                                {"recipients", static_cast<std::uint64_t>(in.rcpts.size())}});
    };
    co_await send_dsn(failed, "FAILURE");
    co_await send_dsn(delayed, "DELAY");
    co_await send_dsn(succeeded, "SUCCESS");
    auto rec = co_await net::run_blocking([&] { return store_->record(m.id, outcomes); });
    if (!rec) log::error("queue.error", {{"id", m.id}, {"op", "record"}, {"code", rec.error().code}, {"error", rec.error().message}});
    co_return rec.has_value();
  }

  options opts_;
  retry_policy policy_;

  // The retry policy of one recipient: the backup MX retention of its domain, if any.
  retry_policy policy_for(const std::string& address) const {
    retry_policy p = policy_;
    if (opts_.give_up_for)
      if (auto g = opts_.give_up_for(domain_of(address))) p.give_up = *g;
    return p;
  }
  std::shared_ptr<store> store_;
  std::shared_ptr<sts_cache> sts_cache_;
  std::map<std::string, sts_policy> sts_mem_;  // strand only: the cache's rows already read
  struct sts_decision {
    std::optional<sts_policy> p;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, sts_decision> sts_decided_;  // strand only: sts_for's recent answers
  struct dane_decision {
    dane_host d;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, dane_decision> dane_mem_;  // strand only: by TLSA name
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  asio::ssl::context sts_tls_{asio::ssl::context::tls_client};  // policy fetches: verified
  std::mutex mu_;  // strand_ creation vs enqueue() from the blocking pool
  std::optional<asio::strand<asio::io_context::executor_type>> strand_;
  std::unique_ptr<asio::steady_timer> wake_;  // strand only
  std::set<std::string> in_flight_;           // strand only
  struct hold {
    int failures = 0;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, hold> held_;  // strand only: messages whose last attempt failed unexpectedly
  struct block_stat {
    std::uint64_t refusals = 0;
    std::string list, delist;
  };
  std::mutex blocks_mu_;  // the strand and stop()
  std::map<std::pair<std::string, std::string>, block_stat> blocks_;  // (destination, our ip)
  std::atomic<bool> stopping_{false};
  std::atomic<int> running_{0};  // the agent and the delivery coroutines
  std::atomic<bool> released_{false};
};

}  // namespace

result<std::shared_ptr<queue>> queue::open(const options& opts) {
  auto s = store::open(opts.data_dir, opts.db_target, {opts.node_id, opts.claim_lease});
  if (!s) return s.error();
  // Only the server's own queue cleans up (`hearth queue` opens the store while the server may
  // be writing a spool file), and only files too old to belong to an enqueue in flight.
  auto orphans = (*s)->remove_orphans(orphan_min_age);
  if (!orphans) return orphans.error();
  if (*orphans > 0) log::info("queue.orphans_removed", {{"count", *orphans}});
  auto sc = open_sts_cache(opts.db_target);
  if (!sc) return sc.error();
  return std::shared_ptr<queue>(std::make_shared<queue_impl>(opts, std::move(*s), std::move(*sc)));
}

}  // namespace hearth::mail::queue
