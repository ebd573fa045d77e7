#include "core/dns/resolver.hpp"

#include <unbound.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "core/dns/answer_cache.hpp"
#include "core/log/log.hpp"

namespace hearth::dns {

namespace asio = boost::asio;

namespace {

// RFC 6761 §6.2-6.4: test., example., invalid. are for testing and documentation. Unbound
// answers test. and invalid. locally (NXDOMAIN) by default; Hearth's test deployments serve
// them from a real server, so they are resolved normally, and they are never signed, so the
// validator must not call them bogus.
constexpr const char* special_use_zones[] = {"test.", "example.", "invalid."};
// With custom servers, reverse zones of loopback (RFC 1122 §3.2.1.3) and of the documentation
// networks (RFC 5737, RFC 3849) are asked there too: tests give peers 127.0.x.y addresses and
// serve their PTR records. Unbound answers these locally by default.
constexpr const char* local_reverse_zones[] = {
    "127.in-addr.arpa.",         "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",   "8.b.d.0.1.0.0.2.ip6.arpa."};

struct raw_answer {
  status st = status::temporary;
  bool secure = false;
  std::string why;
  std::vector<std::string> rdata;
  int ttl = 0;  // seconds; for NXDOMAIN/NODATA the SOA-derived one (RFC 2308 §5), 0 without SOA
};

raw_answer fail_answer(status st, std::string why) {
  raw_answer r;
  r.st = st;
  r.why = std::move(why);
  return r;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

template <class T, class Parse>
answer<T> typed(raw_answer&& raw, Parse parse) {
  answer<T> out;
  out.st = raw.st;
  out.secure = raw.secure;
  out.why = std::move(raw.why);
  if (raw.st != status::ok) return out;
  for (const auto& d : raw.rdata) {
    auto v = parse(std::string_view(d));
    if (!v) {
      // A record we cannot read is the server's fault, not proof of absence.
      out.st = status::temporary;
      out.records.clear();
      out.why = "malformed RDATA in answer";
      return out;
    }
    out.records.push_back(std::move(*v));
  }
  if (out.records.empty()) out.st = status::nodata;
  return out;
}

}  // namespace

const char* status_name(status s) {
  switch (s) {
    case status::ok: return "ok";
    case status::nxdomain: return "nxdomain";
    case status::nodata: return "nodata";
    case status::temporary: return "temporary";
    case status::bogus: return "bogus";
  }
  return "?";
}

result<std::string> unbound_forwarder(std::string_view server) {
  std::string_view host = server, port = "53";
  if (!server.empty() && server.front() == '[') {
    auto close = server.find(']');
    if (close == std::string_view::npos) return fail("dns.server", "missing ']' in " + std::string(server));
    host = server.substr(1, close - 1);
    auto rest = server.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("dns.server", "expected ':PORT' after ']' in " + std::string(server));
      port = rest.substr(1);
    }
  } else if (auto c = server.find(':'); c != std::string_view::npos && server.find(':', c + 1) == std::string_view::npos) {
    host = server.substr(0, c);  // one colon: IPv4:port; more: a bare IPv6 address
    port = server.substr(c + 1);
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(host), ec);
  if (ec) return fail("dns.server", "not an IP address: " + std::string(server));
  if (!all_digits(port) || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
    return fail("dns.server", "bad port in " + std::string(server));
  return addr.to_string() + "@" + std::string(port);
}

struct query_state {
  query_state(resolver::impl* o, const asio::strand<asio::any_io_executor>& s) : owner(o), timer(s) {}
  resolver::impl* owner;
  asio::steady_timer timer;  // expires at the deadline; cancelled when the answer arrives
  bool done = false;
  raw_answer result;
};

// Everything below runs on strand_, so ub_process(), the callbacks it makes, the deadline
// handling and ub_cancel() never race with each other.
struct resolver::impl : std::enable_shared_from_this<resolver::impl> {
  impl(asio::any_io_executor ex, std::chrono::milliseconds t) : strand_(asio::make_strand(ex)), timeout_(t) {}

  ~impl() {
    if (pipe_) pipe_->release();  // the descriptor belongs to unbound
    pipe_.reset();
    if (ctx_) ub_ctx_delete(ctx_);
  }

  result<void> setup(const options& o) {
    ctx_ = ub_ctx_create();
    if (!ctx_) return fail("dns.init", "ub_ctx_create failed");
    auto set = [this](const char* opt, const std::string& val) -> result<void> {
      if (int e = ub_ctx_set_option(ctx_, opt, val.c_str()))
        return fail("dns.init", std::string("unbound option ") + opt + " " + val + ": " + ub_strerror(e));
      return {};
    };
    // Threads, not fork: a forked resolver process would not see config reloads and doubles
    // the memory of a server that already holds TLS keys.
    if (int e = ub_ctx_async(ctx_, 1)) return fail("dns.init", std::string("ub_ctx_async: ") + ub_strerror(e));
    // Forwarders on 127.x are normal (systemd-resolved on 127.0.0.53, test servers).
    if (auto r = set("do-not-query-localhost:", "no"); !r) return r;
    for (const char* z : special_use_zones) {
      if (auto r = set("local-zone:", std::string(z) + " transparent"); !r) return r;
      if (auto r = set("domain-insecure:", z); !r) return r;
    }
    if (!o.servers.empty()) {
      for (const char* z : local_reverse_zones) {
        if (auto r = set("local-zone:", std::string(z) + " transparent"); !r) return r;
        if (auto r = set("domain-insecure:", z); !r) return r;
      }
      for (const auto& s : o.servers) {
        auto fwd = unbound_forwarder(s);
        if (!fwd) return fwd.error();
        if (int e = ub_ctx_set_fwd(ctx_, fwd->c_str()))
          return fail("dns.init", "forwarder " + s + ": " + ub_strerror(e));
      }
    } else if (int e = ub_ctx_resolvconf(ctx_, nullptr)) {
      // No usable resolv.conf: unbound recurses from the root hints itself.
      log::warn("dns.resolvconf", {{"error", ub_strerror(e)}, {"fallback", "recursion"}});
    }
    std::error_code fec;
    const std::string& anchor = o.trust_anchor_file;
    if (o.dnssec && !anchor.empty() && std::filesystem::exists(anchor, fec)) {
      if (int e = ub_ctx_add_ta_file(ctx_, anchor.c_str()))
        return fail("dns.init", "trust anchor " + anchor + ": " + ub_strerror(e));
      validating_ = true;
    } else {
      // Without an anchor the validator could only answer "insecure"; skip its work.
      if (auto r = set("module-config:", "iterator"); !r) return r;
    }
    int fd = ub_fd(ctx_);
    if (fd < 0) return fail("dns.init", "ub_fd failed");
    pipe_.emplace(strand_, fd);
    return {};
  }

  static void on_result(void* mydata, int err, ub_result* r) {
    auto* st = static_cast<query_state*>(mydata);
    // The state is alive: unbound calls back only for queries still in pending_.
    auto keep = st->owner->pending_.extract(st);
    if (!st->done) {
      st->done = true;
      raw_answer& a = st->result;
      if (err != 0 || !r) {
        a = fail_answer(status::temporary, ub_strerror(err));
      } else if (r->bogus) {
        // RFC 4033 §5: bogus data must not be used; say why for the log.
        a = fail_answer(status::bogus, r->why_bogus ? r->why_bogus : "DNSSEC validation failed");
      } else if (r->havedata) {
        a.st = status::ok;
        for (int i = 0; r->data[i]; ++i)
          if (r->len[i] >= 0) a.rdata.emplace_back(r->data[i], static_cast<std::size_t>(r->len[i]));
      } else if (r->nxdomain) {
        a.st = status::nxdomain;
      } else if (r->rcode == 0) {
        a.st = status::nodata;
      } else {
        a = fail_answer(status::temporary, "rcode " + std::to_string(r->rcode));  // SERVFAIL, REFUSED...
      }
      if (r) a.secure = r->secure != 0;
      if (r && !r->bogus) a.ttl = r->ttl;
      st->timer.cancel();
    }
    if (r) ub_resolve_free(r);
  }

  // Waits for unbound's pipe only while queries are pending, so an idle resolver does not keep
  // io_context::run() from returning.
  void arm() {
    if (waiting_ || pending_.empty() || stopped_ || !pipe_) return;
    waiting_ = true;
    pipe_->async_wait(asio::posix::descriptor_base::wait_read,
                      asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code) {
                        self->waiting_ = false;
                        self->process();
                      }));
    // Asio's epoll reactor is edge-triggered: an answer that arrived before the wait was queued
    // would not wake it. ub_poll() looks at the pipe level-triggered.
    if (ub_poll(ctx_)) asio::post(strand_, [self = shared_from_this()] { self->process(); });
  }

  void process() {
    if (stopped_) return;
    if (!pending_.empty())
      if (int e = ub_process(ctx_)) log::warn("dns.process", {{"error", ub_strerror(e)}});
    arm();
  }

  void stop() {
    stopped_ = true;
    for (auto& [p, st] : pending_) st->timer.cancel();
    if (pipe_) pipe_->cancel();
  }

  static asio::awaitable<raw_answer> run(std::shared_ptr<impl> self, std::string name, int type) {
    if (!self->init_error_.empty()) co_return fail_answer(status::temporary, self->init_error_);
    if (self->stopped_) co_return fail_answer(status::temporary, "resolver stopped");
    auto st = std::make_shared<query_state>(self.get(), self->strand_);
    int id = 0;
    if (int e = ub_resolve_async(self->ctx_, name.c_str(), type, 1 /* IN */, st.get(), &impl::on_result, &id))
      co_return fail_answer(status::temporary, ub_strerror(e));
    self->pending_.emplace(st.get(), st);
    self->arm();
    st->timer.expires_after(self->timeout_);
    if (!st->done) co_await st->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!st->done) {
      st->done = true;
      // If the cancel fails the answer is being delivered: leave the state in pending_ for
      // on_result to drop.
      if (ub_cancel(self->ctx_, id) == 0) self->pending_.erase(st.get());
      if (self->pending_.empty() && self->pipe_) self->pipe_->cancel();
      co_return fail_answer(status::temporary, self->stopped_ ? "resolver stopped" : "timeout");
    }
    const auto& got = st->result;
    self->cache_.put(name, type, {got.st, got.secure, got.rdata}, got.ttl, answer_cache::clock::now());
    co_return std::move(st->result);
  }

  static asio::awaitable<raw_answer> query(std::shared_ptr<impl> self, std::string_view name, rr_type type) {
    auto n = normalize_query_name(name);
    if (!n) co_return fail_answer(status::nxdomain, "invalid domain name");
    // A kept answer is given on the caller's thread: no hop to the strand and unbound's thread.
    if (auto c = self->cache_.get(*n, static_cast<int>(type), answer_cache::clock::now())) {
      raw_answer a;
      a.st = c->st;
      a.secure = c->secure;
      a.rdata = std::move(c->rdata);
      co_return a;
    }
    auto strand = self->strand_;
    co_return co_await asio::co_spawn(strand, run(std::move(self), std::move(*n), static_cast<int>(type)),
                                      asio::use_awaitable);
  }

  asio::strand<asio::any_io_executor> strand_;
  std::chrono::milliseconds timeout_;
  ub_ctx* ctx_ = nullptr;
  std::optional<asio::posix::stream_descriptor> pipe_;
  bool waiting_ = false;
  bool stopped_ = false;
  bool validating_ = false;
  std::string init_error_;
  std::unordered_map<query_state*, std::shared_ptr<query_state>> pending_;
  answer_cache cache_;
};

resolver::resolver(asio::any_io_executor ex, options opts)
    : impl_(std::make_shared<impl>(std::move(ex), opts.timeout)) {
  if (auto r = impl_->setup(opts); !r) {
    impl_->init_error_ = r.error().message;
    log::error("dns.init", {{"error", r.error().message}});
  }
}

resolver::~resolver() {
  asio::post(impl_->strand_, [p = impl_] { p->stop(); });
}

const std::string& resolver::init_error() const { return impl_->init_error_; }
bool resolver::validating() const { return impl_->validating_; }

asio::awaitable<answer<mx_record>> resolver::mx(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::mx);
  co_return typed<mx_record>(std::move(raw), parse_mx);
}

asio::awaitable<answer<asio::ip::address_v4>> resolver::a(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::a);
  co_return typed<asio::ip::address_v4>(std::move(raw), [](std::string_view d) -> std::optional<asio::ip::address_v4> {
    auto b = parse_a(d);
    if (!b) return std::nullopt;
    return asio::ip::address_v4(*b);
  });
}

asio::awaitable<answer<asio::ip::address_v6>> resolver::aaaa(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::aaaa);
  co_return typed<asio::ip::address_v6>(std::move(raw), [](std::string_view d) -> std::optional<asio::ip::address_v6> {
    auto b = parse_aaaa(d);
    if (!b) return std::nullopt;
    return asio::ip::address_v6(*b);
  });
}

asio::awaitable<answer<std::string>> resolver::txt(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::txt);
  co_return typed<std::string>(std::move(raw), parse_txt);
}

asio::awaitable<answer<srv_record>> resolver::srv(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::srv);
  co_return typed<srv_record>(std::move(raw), parse_srv);
}

asio::awaitable<answer<std::string>> resolver::ptr(asio::ip::address addr) {
  std::string name;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  if (addr.is_v4())
    name = reverse_name_v4(addr.to_v4().to_bytes());
  else
    name = reverse_name_v6(addr.to_v6().to_bytes());
  auto raw = co_await impl::query(impl_, name, rr_type::ptr);
  co_return typed<std::string>(std::move(raw), parse_ptr);
}

asio::awaitable<answer<tlsa_record>> resolver::tlsa(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::tlsa);
  co_return typed<tlsa_record>(std::move(raw), parse_tlsa);
}

asio::awaitable<answer<std::string>> resolver::cname(std::string name) {
  // Asked as type CNAME, a resolver answers with the CNAME record and does not chase it.
  auto raw = co_await impl::query(impl_, name, rr_type::cname);
  co_return typed<std::string>(std::move(raw), parse_cname);
}

asio::awaitable<answer<caa_record>> resolver::caa(std::string name) {
  auto raw = co_await impl::query(impl_, name, rr_type::caa);
  co_return typed<caa_record>(std::move(raw), parse_caa);
}

}  // namespace hearth::dns
