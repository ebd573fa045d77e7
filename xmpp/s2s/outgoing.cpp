// Outgoing s2s streams (RFC 6120 §3.2, §13; XEP-0368; XEP-0220 §2.1): one per (local, remote)
// domain pair, started by the first stanza, with the stanzas queued while it comes up.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/crypto/crypto.hpp"
#include "core/dns/resolver.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/s2s/backoff.hpp"
#include "xmpp/s2s/internal.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::xmpp {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// ---- out_link ----

out_link::out_link(asio::any_io_executor ex, asio::ssl::context& ctx) : ex_(std::move(ex)), ctx_(ctx) {}

asio::awaitable<bool> out_link::connect(const tcp::endpoint& ep, std::chrono::seconds timeout) {
  std::string error;
  conn_ = co_await net::dial(ex_, ep, {}, timeout, error);
  co_return conn_ != nullptr;
}

asio::awaitable<bool> out_link::start_tls(const std::string& domain, std::chrono::seconds timeout) {
  if (!conn_) co_return false;
  // The handshake always proceeds: an unverified certificate means dialback (XEP-0220 §2.4).
  bool ok = co_await conn_->start_tls_client(ctx_, domain, timeout);
  if (!ok) co_return false;
  verified_ = conn_->peer_verified(domain);
  co_return true;
}

asio::awaitable<std::optional<std::string>> out_link::read_some(std::chrono::seconds timeout) {
  if (!conn_) co_return std::nullopt;
  auto r = co_await conn_->read_some(64 * 1024, timeout);
  if (!r) co_return std::nullopt;
  co_return std::move(r.data);
}

asio::awaitable<bool> out_link::write(std::string_view data, std::chrono::seconds timeout) {
  if (!conn_) co_return false;
  conn_->set_write_timeout(timeout);
  co_return co_await conn_->write(data);
}

void out_link::close() {
  if (conn_) conn_->close();
}

bool out_link::tls() const { return conn_ && conn_->is_tls(); }

// ---- the service ----

s2s_service::s2s_service(asio::any_io_executor e, hub& h, dns::resolver& r, s2s_options o)
    : ex(e), hub_(h), res(r), opts(std::move(o)), client_ctx(asio::ssl::context::tls_client) {
  client_ctx.set_default_verify_paths();
  client_ctx.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  store_ = X509_STORE_new();
  X509_STORE_set_default_paths(store_);
  if (!opts.ca_file.empty()) {
    boost::system::error_code ec;
    client_ctx.load_verify_file(opts.ca_file, ec);
    if (ec || X509_STORE_load_locations(store_, opts.ca_file.c_str(), nullptr) != 1)
      log::warn("xmpp.s2s.ca", {{"file", opts.ca_file}, {"error", ec ? ec.message() : "unreadable"}});
  }
  if (!opts.cert_file.empty() && !opts.key_file.empty()) {
    boost::system::error_code ec1, ec2;
    client_ctx.use_certificate_chain_file(opts.cert_file, ec1);
    client_ctx.use_private_key_file(opts.key_file, asio::ssl::context::pem, ec2);
    has_cert_ = !ec1 && !ec2;
    if (!has_cert_) log::warn("xmpp.s2s.cert", {{"file", opts.cert_file}, {"error", (ec1 ? ec1 : ec2).message()}});
  }
}

s2s_service::~s2s_service() { X509_STORE_free(store_); }

bool s2s_service::peer_cert_valid(SSL* ssl, const std::string& domain) const {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || domain.empty()) return false;
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  bool ok = false;
  if (ctx && X509_STORE_CTX_init(ctx, store_, cert, SSL_get_peer_cert_chain(ssl)) == 1) {
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    ok = X509_verify_cert(ctx) == 1;
  }
  X509_STORE_CTX_free(ctx);
  return ok && X509_check_host(cert, domain.data(), domain.size(), 0, nullptr) == 1;
}

namespace {
std::string stream_header(const std::string& from, const std::string& to) {
  return "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
         "xmlns:db='jabber:server:dialback' from='" + escape(from) + "' to='" + escape(to) + "' version='1.0'>";
}
struct candidate {
  std::string host;
  std::uint16_t port;
  bool direct_tls;
};
}  // namespace

asio::awaitable<std::optional<stream_event>> s2s_service::next(opened& o, std::chrono::seconds timeout) {
  while (o.pending.empty()) {
    if (o.parser->failed()) co_return std::nullopt;
    auto data = co_await o.link->read_some(timeout);
    if (!data) co_return std::nullopt;
    std::vector<stream_event> ev;
    o.parser->feed(*data, ev);
    for (auto& e : ev) o.pending.push_back(std::move(e));
  }
  auto e = std::move(o.pending.front());
  o.pending.pop_front();
  co_return e;
}

asio::awaitable<std::optional<s2s_service::opened>> s2s_service::open(const std::string& local, const std::string& domain) {
  // RFC 6120 §3.2.1, XEP-0368 §3: SRV records, direct TLS ones first at equal priority.
  std::vector<candidate> cands;
  std::vector<std::pair<int, candidate>> ranked;
  bool srv_said_no = false;
  for (bool direct : {true, false}) {
    auto ans = co_await res.srv(std::string(direct ? "_xmpps-server._tcp." : "_xmpp-server._tcp.") + domain);
    if (ans.st != dns::status::ok) continue;
    for (const auto& r : ans.records) {
      if (r.target.empty() || r.target == ".") {
        srv_said_no = true;
        continue;
      }
      ranked.push_back({r.priority * 2 + (direct ? 0 : 1), candidate{r.target, r.port, direct}});
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& r : ranked) cands.push_back(r.second);
  if (cands.empty() && !srv_said_no) cands.push_back({domain, opts.default_port, false});
  for (const auto& c : cands) {
    auto addrs = co_await res.a(c.host);
    if (addrs.st != dns::status::ok) continue;
    for (const auto& addr : addrs.records) {
      opened o;
      o.link = std::make_unique<out_link>(co_await asio::this_coro::executor, client_ctx);
      o.parser = std::make_unique<stream_parser>(opts.limits);
      bool ok = co_await o.link->connect(tcp::endpoint(addr, c.port), opts.connect_timeout);
      if (!ok) continue;
      if (c.direct_tls) {
        ok = co_await o.link->start_tls(domain, opts.handshake_timeout);
        if (!ok) continue;
      }
      // The stream, then STARTTLS when not direct (RFC 6120 §5: TLS required both ways).
      bool done = false, failed = false;
      while (!done && !failed) {
        ok = co_await o.link->write(stream_header(local, domain), opts.handshake_timeout);
        if (!ok) break;
        auto hdr = co_await next(o, opts.handshake_timeout);
        if (!hdr || hdr->kind != stream_event::open) break;
        o.stream_id = hdr->el.get("id");
        auto feats = co_await next(o, opts.handshake_timeout);
        if (!feats || feats->kind != stream_event::stanza || feats->el.name != "features") break;
        if (!o.link->tls()) {
          if (!feats->el.child("starttls", ns_tls_s2s)) break;  // no TLS offered: not used
          ok = co_await o.link->write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", opts.handshake_timeout);
          if (!ok) break;
          auto pr = co_await next(o, opts.handshake_timeout);
          if (!pr || pr->kind != stream_event::stanza || pr->el.name != "proceed") break;
          ok = co_await o.link->start_tls(domain, opts.handshake_timeout);
          if (!ok) break;
          o.parser->reset();
          o.pending.clear();
          continue;
        }
        o.features = std::move(feats->el);
        done = true;
      }
      if (!done) {
        o.link->close();
        continue;
      }
      log::info("xmpp.s2s.out.open", {{"from", local}, {"to", domain}, {"host", c.host}, {"port", std::to_string(c.port)},
                                      {"verified", o.link->verified() ? "yes" : "no"}});
      co_return o;
    }
  }
  co_return std::nullopt;
}

asio::awaitable<bool> s2s_service::verify_key(const std::string& local, const std::string& domain, const std::string& stream_id,
                                              const std::string& key) {
  auto o = co_await open(local, domain);
  if (!o) co_return false;
  bool ok = co_await o->link->write("<db:verify from='" + escape(local) + "' to='" + escape(domain) + "' id='" +
                                        escape(stream_id) + "'>" + escape(key) + "</db:verify>",
                                    opts.handshake_timeout);
  bool valid = false;
  while (ok) {
    auto ev = co_await next(*o, opts.handshake_timeout);
    if (!ev || ev->kind != stream_event::stanza) break;
    if (ev->el.name == "verify" && ev->el.ns == ns_dialback) {
      valid = ev->el.get("type") == "valid" && ev->el.get("id") == stream_id && ev->el.get("from") == domain;
      break;
    }
  }
  co_await o->link->write("</stream:stream>", std::chrono::seconds(5));
  o->link->close();
  co_return valid;
}

void s2s_service::bounce_all(std::deque<element>& q, const char* type, const char* condition) {
  if (q.empty()) return;
  auto items = std::make_shared<std::deque<element>>(std::move(q));
  q.clear();
  hub* h = &hub_;
  asio::co_spawn(
      ex,
      [items, h, type, condition]() -> asio::awaitable<void> {
        co_await net::run_blocking([&] {
          for (auto& st : *items) {
            if (st.get("type") == "error") continue;
            // RFC 6120 §10.4.3: the sender learns that the remote cannot be reached.
            h->route(make_error(st, type, condition));
          }
          return 0;
        });
      },
      asio::detached);
}

void s2s_service::send(element stanza) {
  auto from = jid::parse(stanza.get("from"));
  auto to = jid::parse(stanza.get("to"));
  if (!from || !to) return;
  std::string key = from->domain + " " + to->domain;
  std::lock_guard lk(mu_);
  auto& os = out_[key];
  bool start = !os;
  if (start) {
    os = std::make_shared<out_stream>();
    os->domain = to->domain;
    os->strand = asio::make_strand(ex);
    os->signal = std::make_shared<asio::steady_timer>(os->strand);
  }
  if (os->queue.size() >= opts.max_queue) {
    std::deque<element> one{std::move(stanza)};
    bounce_all(one, "cancel", "remote-server-not-found");
    return;
  }
  os->queue.push_back(std::move(stanza));
  if (start) {
    auto self = shared_from_this();
    auto s = os;
    std::string local = from->domain;
    asio::co_spawn(os->strand, [self, s, local]() { return self->run_out(s, local); }, asio::detached);
  } else {
    auto sig = os->signal;
    asio::post(os->strand, [sig] { sig->cancel(); });
  }
}

asio::awaitable<s2s_service::out_attempt> s2s_service::attempt_out(std::shared_ptr<out_stream> os, const std::string& local,
                                                                    const std::string& key) {
  bool wrote = false;
  auto o = co_await open(local, os->domain);
  bool ok = o.has_value();
  bool external = false;
  if (ok && has_cert_) {
    // RFC 6120 §6.4, §13.7.1.2.1: SASL EXTERNAL when the remote offers it (it verified the
    // certificate we presented); otherwise, or when it fails, dialback.
    bool offered = false;
    if (const element* mechs = o->features.child("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl"))
      for (const auto& m : mechs->children)
        if (m.name == "mechanism" && m.body() == "EXTERNAL") offered = true;
    if (offered) {
      ok = co_await o->link->write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
                                       crypto::base64_encode(local) + "</auth>",
                                   opts.handshake_timeout);
      auto ev = co_await next(*o, opts.handshake_timeout);
      if (ok && ev && ev->kind == stream_event::stanza && ev->el.name == "success") {
        o->parser->reset();
        o->pending.clear();
        ok = co_await o->link->write(stream_header(local, os->domain), opts.handshake_timeout);
        auto hdr = co_await next(*o, opts.handshake_timeout);
        auto feats = co_await next(*o, opts.handshake_timeout);
        ok = ok && hdr && hdr->kind == stream_event::open && feats && feats->kind == stream_event::stanza;
        external = ok;
      } else if (!ok || !ev || ev->kind != stream_event::stanza) {
        ok = false;
      }
    }
  }
  if (ok && !external) {
    // XEP-0220 §2.1: dialback, over the TLS stream.
    std::string k = dialback_key(opts.dialback_secret, os->domain, local, o->stream_id);
    ok = co_await o->link->write("<db:result from='" + escape(local) + "' to='" + escape(os->domain) + "'>" + k + "</db:result>",
                                 opts.handshake_timeout);
    while (ok) {
      auto ev = co_await next(*o, opts.handshake_timeout);
      if (!ev || ev->kind != stream_event::stanza) {
        ok = false;
        break;
      }
      if (ev->el.name == "result" && ev->el.ns == ns_dialback) {
        ok = ev->el.get("type") == "valid";
        break;
      }
    }
    if (!ok) log::warn("xmpp.s2s.out.dialback", {{"from", local}, {"to", os->domain}, {"result", "invalid"}});
  } else {
    log::warn("xmpp.s2s.out.unreachable", {{"from", local}, {"to", os->domain}});
  }
  if (ok) {
    log::info("xmpp.s2s.out.ready", {{"from", local}, {"to", os->domain}, {"auth", external ? "external" : "dialback"}});
    // The writer drains the queue; the reader only watches for the remote closing.
    bool closed = false, idle = false;
    auto reader = [&]() -> asio::awaitable<void> {
      for (;;) {
        auto ev = co_await next(*o, std::chrono::hours(24));
        if (!ev || ev->kind != stream_event::stanza) break;
      }
      closed = true;
      os->signal->cancel();
    };
    auto writer = [&]() -> asio::awaitable<void> {
      for (;;) {
        std::deque<element> batch;
        {
          std::lock_guard lk(mu_);
          batch.swap(os->queue);
        }
        if (closed) {
          std::lock_guard lk(mu_);
          for (auto& b : batch) os->queue.push_back(std::move(b));
          co_return;
        }
        if (!batch.empty()) {
          std::string buf;
          for (auto& st : batch) {
            switch_ns(st, ns_client, ns_server);
            buf += serialize(st, ns_server);
          }
          bool w = co_await o->link->write(buf, opts.handshake_timeout);
          if (!w) {
            // The reader must stop too: the stream is unusable.
            o->link->close();
            co_return;
          }
          wrote = true;
          continue;
        }
        os->signal->expires_after(opts.idle_timeout);
        auto [ec] = co_await os->signal->async_wait(use_tuple);
        if (!ec) {
          // Idle: close the stream (RFC 6120 §4.4) unless something arrived meanwhile.
          std::lock_guard lk(mu_);
          if (os->queue.empty()) {
            out_.erase(key);
            idle = true;
            break;
          }
        }
      }
      co_await o->link->write("</stream:stream>", std::chrono::seconds(5));
      o->link->close();
    };
    co_await (reader() && writer());
    o->link->close();
    log::info("xmpp.s2s.out.closed", {{"from", local}, {"to", os->domain}});
    co_return out_attempt{idle ? out_attempt::idle : out_attempt::closed, wrote};
  }
  co_return out_attempt{out_attempt::unreachable, false};
}

// A stream that ends after it delivered something is replaced at once. One that ends before
// anything could be written (the remote accepted, maybe authenticated us, then closed) made no
// progress: reconnecting at once would loop against the remote as fast as it answers, so the
// next attempt waits, twice as long each time, and after give_up the stanzas bounce.
asio::awaitable<void> s2s_service::run_out(std::shared_ptr<out_stream> os, std::string local) {
  const std::string key = local + " " + os->domain;
  s2s_backoff backoff(opts.retry_delay, opts.retry_max_delay, opts.give_up);
  asio::steady_timer wait(co_await asio::this_coro::executor);
  for (;;) {
    auto r = co_await attempt_out(os, local, key);
    if (r.end == out_attempt::idle) co_return;  // closed by us, already forgotten
    std::optional<std::chrono::seconds> delay;
    if (r.end == out_attempt::closed && r.wrote) {
      backoff.progressed();
      delay = std::chrono::seconds(0);
    } else if (r.end == out_attempt::closed) {
      delay = backoff.failed(std::chrono::steady_clock::now());
    }
    std::deque<element> left;
    {
      // Under the lock, so that send() either queues on this stream before the decision or
      // starts a new one after it.
      std::lock_guard lk(mu_);
      if (!delay || os->queue.empty()) {
        auto it = out_.find(key);
        if (it != out_.end() && it->second == os) out_.erase(it);
        left.swap(os->queue);
        delay.reset();
      }
    }
    if (!delay) {
      if (r.end == out_attempt::unreachable) {
        bounce_all(left, "cancel", "remote-server-not-found");
      } else if (!left.empty()) {
        log::warn("xmpp.s2s.out.give_up", {{"from", local}, {"to", os->domain}, {"attempts", std::to_string(backoff.failures())},
                                           {"stanzas", std::to_string(left.size())}, {"condition", "remote-server-timeout"}});
        // RFC 6120 §8.3.3.16: reached, but no stream could be used within a reasonable time
        // (type wait, as in its example: the sender may try again later).
        bounce_all(left, "wait", "remote-server-timeout");
      }
      co_return;
    }
    if (delay->count() == 0) continue;
    log::warn("xmpp.s2s.out.retry", {{"from", local}, {"to", os->domain}, {"attempt", std::to_string(backoff.failures())},
                                     {"reason", "closed before sending"}, {"delay", std::to_string(delay->count()) + "s"}});
    wait.expires_after(*delay);
    co_await wait.async_wait(use_tuple);
  }
}

std::shared_ptr<s2s_service> make_s2s_service(asio::any_io_executor ex, hub& h, dns::resolver& res, s2s_options opts) {
  return std::make_shared<s2s_service>(ex, h, res, std::move(opts));
}

void s2s_send(s2s_service& svc, element stanza) { svc.send(std::move(stanza)); }

}  // namespace hearth::xmpp
