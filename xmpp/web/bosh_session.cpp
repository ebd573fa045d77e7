// BOSH sessions (XEP-0124/0206) on /http-bind: each session is a c2s link whose input comes
// from HTTP requests in request-id order and whose output answers the requests held open.
//
// Threads: every HTTP request runs on its own connection's strand, the c2s negotiation on the
// session's own strand; they meet in bosh_session under its mutex, and wake each other by
// posting a timer cancel to the other's strand (never touching another strand's timer).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <map>
#include <mutex>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "xmpp/c2s/link.hpp"
#include "xmpp/c2s/session_state.hpp"
#include "xmpp/web/proto/bosh.hpp"
#include "xmpp/web/web.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::xmpp::web {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Not an anonymous namespace: bosh_service (named in routes.cpp) holds these.
namespace bosh_detail {

constexpr unsigned max_wait = 60;       // seconds a request may be held (the client may ask less)
constexpr unsigned max_hold = 1;        // requests held at once (XEP-0124 §7.1: at most what the client asks)
constexpr unsigned requests = max_hold + 1; // concurrent requests; also the rid window
constexpr unsigned inactivity = 60;     // seconds without a request before the session ends
constexpr unsigned polling = 2;         // seconds between two empty polls answered empty (§11)
constexpr std::size_t max_sessions = 10000;

// One HTTP request waiting for its answer, on its connection's strand.
struct waiter : std::enable_shared_from_this<waiter> {
  explicit waiter(asio::any_io_executor e, std::uint64_t r) : ex(e), timer(e), rid(r) {}
  asio::any_io_executor ex;
  asio::steady_timer timer;
  std::uint64_t rid;
  bool answered = false;
  std::string answer;
  void wake() {
    asio::post(ex, [self = shared_from_this()] { self->timer.cancel(); });
  }
};

class bosh_session : public std::enable_shared_from_this<bosh_session> {
 public:
  bosh_session(std::string sid, std::string ip, asio::any_io_executor strand)
      : sid_(std::move(sid)), ip_(std::move(ip)), id_("bosh-" + log::new_id()), strand_(strand), timer_(strand) {}

  // ---- HTTP side (any strand) ----
  // Takes a request in rid order; returns the answer once there is one (or `wait` passed).
  asio::awaitable<std::string> request(bosh_request req, unsigned wait) {
    auto ex = co_await asio::this_coro::executor;
    auto w = std::make_shared<waiter>(ex, *req.rid);
    const auto deadline = clock::now() + std::chrono::seconds(wait);
    // XEP-0124 §14: in order of rid; a request ahead of the next waits for those before it.
    for (;;) {
      std::unique_lock lk(mu_);
      switch (check_rid(*req.rid, last_rid_, requests)) {
        case rid_verdict::process: break;
        case rid_verdict::resend: {
          // §14.3: a request sent again (its connection broke): the same answer. One still
          // held gets an empty answer and this one takes its place.
          if (auto it = answers_.find(*req.rid); it != answers_.end()) co_return it->second;
          for (auto& h : held_)
            if (h->rid == *req.rid) {
              h->answered = true;
              h->answer = bosh_body({});
              h->wake();
              h = w;
              w->answered = false;
              lk.unlock();
              co_return co_await await_answer(w, deadline);
            }
          co_return bosh_body({});
        }
        case rid_verdict::wait:
          if (clock::now() < deadline && !ended_) {
            order_waiters_.push_back(w);
            lk.unlock();
            w->timer.expires_at(deadline);
            co_await w->timer.async_wait(use_tuple);
            continue;
          }
          [[fallthrough]];
        case rid_verdict::reject:
          log::info("xmpp.bosh.rid", {{"conn", id_}, {"rid", *req.rid}, {"last", last_rid_}, {"status", "refused"}});
          end_locked("item-not-found");
          co_return bosh_terminate("item-not-found");
      }
      break;
    }
    {
      std::lock_guard lk(mu_);
      // XEP-0124 §11: a client polling faster than `polling` (empty requests answered empty).
      const auto now = clock::now();
      const bool empty = req.payloads.empty() && !req.restart && req.type.empty();
      auto prev = empty_answers_.find(last_rid_);
      const bool prev_answered_empty = prev != empty_answers_.end() && prev->second;
      const double since = std::chrono::duration<double>(now - prev_request_).count();
      const bool too_fast = polling_too_frequent(empty, prev_empty_, prev_answered_empty, since, polling);
      prev_empty_ = empty;
      prev_request_ = now;
      if (too_fast) {
        log::info("xmpp.bosh.overactive", {{"conn", id_}, {"ip", ip_}, {"rid", *req.rid}});
        last_rid_ = *req.rid;
        end_locked("policy-violation");
        co_return bosh_terminate("policy-violation");
      }
      last_rid_ = *req.rid;
      last_activity_ = now;
      for (auto& o : order_waiters_) o->wake();
      order_waiters_.clear();
      if (req.restart) {
        stream_event open;
        open.kind = stream_event::open;
        open.el = element("stream", std::string(ns_stream));
        open.el.set("to", req.to.empty() ? domain_ : req.to);
        inbound_.push_back(std::move(open));
      }
      for (auto& p : req.payloads) {
        stream_event ev;
        ev.kind = stream_event::stanza;
        ev.el = std::move(p);
        inbound_.push_back(std::move(ev));
      }
      if (req.type == "terminate") {
        stream_event ev;
        ev.kind = stream_event::close;
        inbound_.push_back(std::move(ev));
      }
      wake_link_locked();
      if (!outbound_.empty() || ended_) {
        w->answered = true;
        w->answer = answer_locked(w->rid);
        co_return w->answer;
      }
      held_.push_back(w);
      if (held_.size() > hold_) {
        // §7.1: never more than `hold` waiting; the oldest goes back empty.
        auto old = held_.front();
        held_.pop_front();
        old->answered = true;
        old->answer = answer_locked(old->rid);
        old->wake();
      }
    }
    co_return co_await await_answer(w, deadline);
  }

  // ---- link side (the session's strand) ----
  asio::awaitable<std::optional<stream_event>> next(std::chrono::seconds timeout, bool& timed_out) {
    const auto deadline = clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lk(mu_);
        if (!inbound_.empty()) {
          stream_event ev = std::move(inbound_.front());
          inbound_.pop_front();
          co_return ev;
        }
        if (ended_) co_return std::nullopt;
        // XEP-0124 §7.1 inactivity: no request held and none for that long.
        if (held_.empty() && clock::now() - last_activity_ > std::chrono::seconds(inactivity)) {
          log::info("xmpp.bosh.inactive", {{"conn", id_}, {"ip", ip_}});
          end_locked("");
          co_return std::nullopt;
        }
        link_waiting_ = true;
      }
      if (clock::now() >= deadline) {
        timed_out = true;
        co_return std::nullopt;
      }
      timer_.expires_at(std::min(deadline, clock::now() + std::chrono::seconds(inactivity / 4)));
      co_await timer_.async_wait(use_tuple);
      std::lock_guard lk(mu_);
      link_waiting_ = false;
    }
  }
  void deliver(const std::vector<std::string_view>& elements) {
    std::lock_guard lk(mu_);
    if (ended_) return;
    for (auto e : elements) outbound_.emplace_back(e);
    answer_held_locked();
  }
  void end(std::string condition, std::vector<std::string> last = {}) {
    std::lock_guard lk(mu_);
    for (auto& l : last) outbound_.push_back(std::move(l));
    end_locked(std::move(condition));
  }
  void set_stream(std::string id, std::string domain) {
    std::lock_guard lk(mu_);
    authid_ = std::move(id);
    if (domain_.empty()) domain_ = std::move(domain);
  }
  void set_domain(std::string d) {
    std::lock_guard lk(mu_);
    domain_ = std::move(d);
  }
  bool ended() {
    std::lock_guard lk(mu_);
    return ended_;
  }

  const std::string& sid() const { return sid_; }
  const std::string& ip() const { return ip_; }
  const std::string& id() const { return id_; }
  asio::any_io_executor strand() const { return strand_; }
  unsigned wait_for(unsigned asked) const { return asked == 0 ? max_wait : std::min(asked, max_wait); }
  unsigned wait() const { return wait_; }  // set before the session is shared, then read only
  void first_rid(std::uint64_t rid, unsigned wait, unsigned hold) {
    last_rid_ = rid - 1;
    wait_ = wait;
    hold_ = std::min(hold, max_hold);
    last_activity_ = clock::now();
  }

 private:
  asio::awaitable<std::string> await_answer(std::shared_ptr<waiter> w, clock::time_point deadline) {
    w->timer.expires_at(deadline);
    co_await w->timer.async_wait(use_tuple);
    std::lock_guard lk(mu_);
    if (!w->answered) {
      // §7.1: the wait is over: an empty answer (the client sends the next request).
      std::erase(held_, w);
      w->answered = true;
      w->answer = answer_locked(w->rid);
    }
    last_activity_ = clock::now();
    co_return w->answer;
  }
  void answer_held_locked() {
    if (held_.empty()) return;
    auto w = held_.front();
    held_.pop_front();
    w->answered = true;
    w->answer = answer_locked(w->rid);
    w->wake();
  }
  // The answer for `rid` with everything waiting; remembered for §14.3 resends.
  std::string answer_locked(std::uint64_t rid) {
    std::vector<std::string> out;
    out.swap(outbound_);
    std::string a;
    if (!created_) {
      created_ = true;
      bosh_params p;
      p.sid = sid_;
      p.from = domain_;
      p.authid = authid_;
      p.wait = wait_;
      p.hold = hold_;
      p.requests = requests;
      p.inactivity = inactivity;
      p.polling = polling;
      a = bosh_created(p, out);
    } else if (ended_) {
      a = bosh_terminate(end_condition_, out);
    } else {
      a = bosh_body(out);
    }
    answers_[rid] = a;
    empty_answers_[rid] = a == bosh_body({});
    while (answers_.size() > requests) answers_.erase(answers_.begin());
    while (empty_answers_.size() > requests) empty_answers_.erase(empty_answers_.begin());
    return a;
  }
  void end_locked(std::string condition) {
    if (!ended_) {
      ended_ = true;
      end_condition_ = std::move(condition);
    }
    while (!held_.empty()) answer_held_locked();
    for (auto& o : order_waiters_) o->wake();
    order_waiters_.clear();
    wake_link_locked();
  }
  void wake_link_locked() {
    if (link_waiting_) asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
  }

  std::mutex mu_;
  const std::string sid_;
  const std::string ip_;
  const std::string id_;
  asio::any_io_executor strand_;
  asio::steady_timer timer_;  // the link's, on strand_
  bool link_waiting_ = false;
  std::string domain_;
  std::string authid_;
  unsigned wait_ = max_wait;
  unsigned hold_ = max_hold;  // set before the session is shared: what the client asked, at most max_hold
  bool prev_empty_ = false;   // the last new request carried nothing
  clock::time_point prev_request_{};
  std::map<std::uint64_t, bool> empty_answers_;  // by rid, as long as answers_: the answer was an empty body
  std::uint64_t last_rid_ = 0;
  clock::time_point last_activity_ = clock::now();
  std::deque<stream_event> inbound_;
  std::vector<std::string> outbound_;
  std::deque<std::shared_ptr<waiter>> held_;
  std::vector<std::shared_ptr<waiter>> order_waiters_;
  std::map<std::uint64_t, std::string> answers_;
  bool created_ = false;
  bool ended_ = false;
  std::string end_condition_;
};

class bosh_link final : public c2s_link {
 public:
  explicit bosh_link(std::shared_ptr<bosh_session> s) : s_(std::move(s)) {}
  asio::awaitable<std::optional<stream_event>> next(std::chrono::seconds timeout) override {
    auto ev = co_await s_->next(timeout, timed_out_);
    if (ev && ev->kind == stream_event::stanza && max_bytes_ != UINT64_MAX) {
      bytes_ += serialize(ev->el).size();
      if (bytes_ > max_bytes_) {
        stream_event err;
        err.condition = "policy-violation";
        max_bytes_ = UINT64_MAX;
        co_return err;
      }
    }
    co_return ev;
  }
  bool timed_out() const override { return timed_out_; }
  void set_max_bytes(std::uint64_t max) override { max_bytes_ = max; }
  void restart() override {}  // XEP-0206 §5: the client asks with xmpp:restart
  asio::awaitable<bool> write_open(std::string_view from, std::string_view id) override {
    s_->set_stream(std::string(id), std::string(from));
    co_return true;
  }
  asio::awaitable<bool> write(const std::vector<std::string_view>& elements) override {
    s_->deliver(elements);
    co_return !s_->ended();
  }
  asio::awaitable<void> write_close() override {
    s_->end("");
    co_return;
  }
  asio::awaitable<void> write_error(std::string_view condition) override {
    // XEP-0206 §7: a stream error travels in a terminate body, condition remote-stream-error.
    s_->end("remote-stream-error", {"<stream:error><" + std::string(condition) +
                                    " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"});
    co_return;
  }
  asio::awaitable<void> drain() override { co_return; }
  void close() override { s_->end(""); }
  bool secure() const override { return true; }  // only served on the HTTPS listener
  // Requests come over several TLS connections: no single channel to bind to.
  std::optional<std::string> channel_binding() const override { return std::nullopt; }
  const std::string& remote_ip() const override { return s_->ip(); }
  const std::string& id() const override { return s_->id(); }
  asio::any_io_executor get_executor() override { return s_->strand(); }

 private:
  std::shared_ptr<bosh_session> s_;
  bool timed_out_ = false;
  std::uint64_t max_bytes_ = UINT64_MAX;
  std::uint64_t bytes_ = 0;
};

}  // namespace bosh_detail

using namespace bosh_detail;

class bosh_service {
 public:
  bosh_service(std::shared_ptr<c2s_service> svc, std::shared_ptr<const web_options> o) : svc_(std::move(svc)), o_(std::move(o)) {}

  asio::awaitable<http::response> handle(http::request req) {
    http::response cors;
    const std::string origin = req.header("origin");
    if (!origin.empty()) {
      if (!origin_allowed(*o_, origin)) {
        log::info("xmpp.bosh.refused", {{"ip", req.remote_ip}, {"status", 403}, {"reason", "origin " + origin}});
        co_return http::response::text(403, "Forbidden: origin " + origin + " may not use XMPP here\n");
      }
      cors.headers.emplace_back("Access-Control-Allow-Origin", origin);
      cors.headers.emplace_back("Vary", "Origin");
    }
    auto with_cors = [&](http::response r) {
      for (auto& h : cors.headers) r.headers.push_back(h);
      return r;
    };
    if (req.method == "OPTIONS") {
      // The browser's CORS preflight for a POST of text/xml.
      http::response r;
      r.status = 204;
      r.headers.emplace_back("Access-Control-Allow-Methods", "POST, OPTIONS");
      r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
      r.headers.emplace_back("Access-Control-Max-Age", "86400");
      co_return with_cors(std::move(r));
    }
    if (req.method == "GET" || req.method == "HEAD")
      co_return with_cors(http::response::text(200, "XMPP over BOSH (XEP-0206): POST a <body/> here\n"));
    if (req.method != "POST") {
      auto r = http::response::text(405, "Method Not Allowed\n");
      r.headers.emplace_back("Allow", "GET, POST, OPTIONS");
      co_return with_cors(std::move(r));
    }
    // The whole body at most twice the stanza limit (a few stanzas sent together).
    const std::size_t max_body = svc_->opts.limits.max_stanza * 2;
    if (req.body.size() > max_body) co_return with_cors(http::response::text(413, "Content Too Large\n"));
    parser_limits lim = svc_->opts.limits;
    lim.max_stanza = max_body;
    lim.max_depth += 1;
    bosh_request b = parse_bosh(req.body, lim);
    auto xml = [&](std::string body) {
      auto r = http::response::text(200, std::move(body), "text/xml; charset=utf-8");
      return with_cors(std::move(r));
    };
    if (!b.error.empty()) {
      // XEP-0124 §17.2: bad-request, the session (if any) is not told.
      log::info("xmpp.bosh.refused", {{"ip", req.remote_ip}, {"status", 400}, {"reason", b.error}});
      auto r = xml(bosh_terminate("bad-request"));
      r.status = 400;
      co_return r;
    }
    if (b.sid.empty()) co_return xml(co_await create(req, std::move(b)));
    std::shared_ptr<bosh_session> s;
    {
      std::lock_guard lk(mu_);
      if (auto it = sessions_.find(b.sid); it != sessions_.end()) s = it->second;
    }
    // A session that has ended is gone, even before its c2s coroutine has finished and
    // removed it from the table (XEP-0124 §17.2: item-not-found, HTTP 404).
    if (!s || s->ended()) {
      auto r = xml(bosh_terminate("item-not-found"));
      r.status = 404;
      co_return r;
    }
    for (const auto& p : b.payloads)
      if (serialize(p).size() > svc_->opts.limits.max_stanza) {
        s->end("policy-violation");
        co_return xml(bosh_terminate("policy-violation"));
      }
    co_return xml(co_await s->request(std::move(b), s->wait()));
  }

 private:
  asio::awaitable<std::string> create(const http::request& req, bosh_request b) {
    auto ex = co_await asio::this_coro::executor;
    auto strand = asio::make_strand(ex);
    std::string sid = crypto::base64_encode(crypto::random_bytes(18));
    for (char& c : sid)
      if (c == '+' || c == '/') c = 'x';
    auto s = std::make_shared<bosh_session>(sid, req.remote_ip, strand);
    const unsigned wait = s->wait_for(b.wait);
    s->first_rid(*b.rid, wait, b.hold);
    s->set_domain(b.to);
    {
      std::lock_guard lk(mu_);
      if (sessions_.size() >= max_sessions) co_return bosh_terminate("system-shutdown");
      sessions_[sid] = s;
    }
    log::info("xmpp.bosh.open", {{"conn", s->id()}, {"ip", req.remote_ip}, {"to", b.to}});
    // XEP-0206 §5: the creation request opens the stream.
    b.restart = true;
    auto svc = svc_;
    asio::co_spawn(
        strand,
        [svc, s, this]() -> asio::awaitable<void> {
          bosh_link link(s);
          co_await run_c2s(*svc, link);
          s->end("");
          std::lock_guard lk(mu_);
          sessions_.erase(s->sid());
        },
        asio::detached);
    co_return co_await s->request(std::move(b), wait);
  }

  std::shared_ptr<c2s_service> svc_;
  std::shared_ptr<const web_options> o_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<bosh_session>> sessions_;
};

std::shared_ptr<bosh_service> make_bosh_service(std::shared_ptr<c2s_service> svc, std::shared_ptr<const web_options> o) {
  return std::make_shared<bosh_service>(std::move(svc), std::move(o));
}

asio::awaitable<http::response> bosh_handle(bosh_service& b, http::request req) { return b.handle(std::move(req)); }

}  // namespace hearth::xmpp::web
