// External components (XEP-0114): the registration with the hub, and one session per
// component connection. The session reads with the c2s TCP link (the same parser, limits and
// timeouts) and writes like a bound c2s session: stanzas for the component queue up in its
// slot and wake the writer on the connection's strand.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <map>
#include <mutex>

#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/net/connection.hpp"
#include "xmpp/c2s/link.hpp"
#include "xmpp/component/component.hpp"
#include "xmpp/component/proto/handshake.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp::component {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// jabber:component:accept <-> jabber:client on a stanza and its descendants in that namespace.
void switch_ns(element& e, std::string_view from, std::string_view to) {
  if (e.ns == from) e.ns = std::string(to);
  for (auto& c : e.children)
    if (!c.is_text()) switch_ns(c, from, to);
}

}  // namespace

// One configured component and, while it is connected, its connection's queue and wake-up.
struct slot {
  definition def;
  std::mutex mu;                 // guards the fields below
  std::uint64_t connection = 0;  // 0 = not connected
  std::function<void()> wake;
  bool woken = false;
  std::vector<std::string> queue;
  bool overflow = false;
};

class service {
 public:
  service(hub& h, options o) : hub_(h), opts(std::move(o)) {}
  hub& hub_;
  options opts;
  std::map<std::string, std::unique_ptr<slot>> slots;  // by domain; constant once serving
  std::atomic<std::uint64_t> next_connection{1};

  // A stanza for the component (from the hub, any thread).
  void deliver(slot& s, const element& st) {
    {
      std::lock_guard lk(s.mu);
      if (s.connection != 0) {
        if (s.queue.size() >= opts.max_queue) {
          s.overflow = true;  // a component that does not read: the writer ends its stream
        } else {
          s.queue.push_back(serialize(st));
        }
        if (s.wake && !s.woken) {
          s.woken = true;
          s.wake();
        }
        return;
      }
    }
    // XEP-0114 leaves an absent component to the server: RFC 6120 §10.3.3's answer for a
    // service that is not there, to messages and iqs that expect one.
    const std::string type = st.get("type");
    if (st.name == "presence" || type == "error" || type == "result") return;
    if (st.name == "message" && type == "groupchat") return;
    hub_.send_from_component(make_error(st, "cancel", "service-unavailable"));
  }
};

std::shared_ptr<service> install(hub& h, std::vector<definition> defs, options opts) {
  auto svc = std::make_shared<service>(h, std::move(opts));
  for (auto& d : defs) {
    auto s = std::make_unique<slot>();
    s->def = std::move(d);
    slot* raw = s.get();
    const std::string name = raw->def.name.empty() ? raw->def.domain : raw->def.name;
    h.add_component(raw->def.domain, name, [svc = svc.get(), raw](element st) { svc->deliver(*raw, st); });
    svc->slots[raw->def.domain] = std::move(s);
  }
  return svc;
}

namespace {

std::string stream_error(std::string_view condition) {
  return "<stream:error><" + std::string(condition) +
         " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";
}

class session {
 public:
  session(service& svc, net::connection& c) : svc_(svc), c_(c), link_(make_tcp_link(c, svc.opts.limits)) {}

  asio::awaitable<void> run() {
    link_->set_max_bytes(svc_.opts.max_unauthenticated_bytes);
    const auto deadline = clock::now() + svc_.opts.handshake_timeout;
    auto left = [&] {
      auto d = std::chrono::duration_cast<std::chrono::seconds>(deadline - clock::now());
      return std::max(d, std::chrono::seconds(1));
    };
    // XEP-0114 §2: the component opens a stream to its own domain in jabber:component:accept.
    auto ev = co_await link_->next(left());
    if (!ev) co_return;
    if (ev->kind == stream_event::error) co_return co_await fail(ev->condition);
    if (ev->kind != stream_event::open) co_return co_await fail("not-well-formed");
    // The parser keeps no namespace declarations on the header: the namespace is checked on
    // the handshake element, which must be in jabber:component:accept.
    auto to = jid::parse(ev->el.get("to"));
    auto it = to && to->is_domain() ? svc_.slots.find(to->domain) : svc_.slots.end();
    if (it == svc_.slots.end()) {
      log::info("xmpp.component.refused", {{"conn", c_.id()}, {"to", ev->el.get("to")}, {"why", "unknown domain"}});
      co_return co_await fail("host-unknown");
    }
    slot& s = *it->second;
    const std::string id = log::new_id() + log::new_id();
    co_await open(s.def.domain, id);
    ev = co_await link_->next(left());
    if (!ev) {
      if (link_->timed_out()) co_await c_.write(stream_error("connection-timeout"));
      co_return;
    }
    if (ev->kind == stream_event::error) co_return co_await end_with(ev->condition);
    if (ev->kind != stream_event::stanza || ev->el.name != "handshake" || ev->el.ns != ns_accept)
      co_return co_await end_with("not-authorized");
    if (!handshake_matches(id, s.def.secret, ev->el.body())) {
      log::warn("xmpp.component.auth_failed", {{"conn", c_.id()}, {"ip", c_.remote_ip()}, {"domain", s.def.domain}});
      // A guess costs the guesser time: the answer waits.
      asio::steady_timer t(c_.get_executor(), svc_.opts.failure_delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return co_await end_with("not-authorized");
    }
    const std::uint64_t conn = svc_.next_connection++;
    auto signal = std::make_shared<asio::steady_timer>(c_.get_executor());
    bool taken = false;
    {
      std::lock_guard lk(s.mu);
      taken = s.connection != 0;
      if (!taken) {
        s.connection = conn;
        s.woken = false;
        s.overflow = false;
        auto ex = c_.get_executor();
        s.wake = [signal, ex] { asio::post(ex, [signal] { signal->cancel(); }); };
      }
    }
    if (taken) {
      // One connection per component: the first one keeps it.
      log::info("xmpp.component.refused", {{"conn", c_.id()}, {"domain", s.def.domain}, {"why", "already connected"}});
      co_return co_await end_with("conflict");
    }
    link_->set_max_bytes(UINT64_MAX);
    co_await c_.write("<handshake/>");
    log::info("xmpp.component.connected", {{"conn", c_.id()}, {"ip", c_.remote_ip()}, {"domain", s.def.domain}});
    co_await serve(s, signal);
    log::info("xmpp.component.disconnected", {{"conn", c_.id()}, {"domain", s.def.domain}});
  }

 private:
  asio::awaitable<void> open(const std::string& from, const std::string& id) {
    co_await c_.write("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                      "xmlns:stream='http://etherx.jabber.org/streams' id='" +
                      id + "' from='" + escape(from) + "'>");
    opened_ = true;
  }
  asio::awaitable<void> end_with(std::string_view condition) { co_await c_.write(stream_error(condition)); }
  asio::awaitable<void> fail(std::string_view condition) {
    if (!opened_) co_await open("", log::new_id());
    co_await c_.write(stream_error(condition));
  }

  asio::awaitable<void> serve(slot& s, const std::shared_ptr<asio::steady_timer>& signal) {
    using namespace asio::experimental::awaitable_operators;
    bool reader_done = false;
    std::string close_with;
    bool clean = false;
    auto reader = [&]() -> asio::awaitable<void> {
      for (;;) {
        auto ev = co_await link_->next(svc_.opts.idle_timeout);
        if (!ev) {
          if (link_->timed_out()) close_with = "connection-timeout";
          break;
        }
        if (ev->kind == stream_event::error) {
          close_with = ev->condition;
          break;
        }
        if (ev->kind == stream_event::close) {
          clean = true;
          break;
        }
        if (ev->kind != stream_event::stanza) {
          close_with = "policy-violation";
          break;
        }
        element& st = ev->el;
        if (st.ns != ns_accept) {
          close_with = "invalid-namespace";
          break;
        }
        switch_ns(st, ns_accept, ns_client);
        if (auto bad = check_outbound(st, s.def.domain); !bad.empty()) {
          close_with = bad;
          break;
        }
        hub& h = svc_.hub_;
        co_await net::run_blocking([&] {
          try {
            h.send_from_component(std::move(st));
          } catch (const std::exception& e) {
            log::error("xmpp.component.stanza.error", {{"domain", s.def.domain}, {"error", e.what()}});
          }
          return 0;
        });
      }
      reader_done = true;
      signal->cancel();
    };
    auto writer = [&]() -> asio::awaitable<void> {
      for (;;) {
        std::vector<std::string> batch;
        bool overflow = false;
        {
          std::lock_guard lk(s.mu);
          batch.swap(s.queue);
          s.woken = false;
          overflow = s.overflow;
        }
        if (!batch.empty()) {
          std::vector<std::string_view> out(batch.begin(), batch.end());
          if (!co_await link_->write(out)) {
            link_->close();
            co_return;
          }
        }
        if (overflow) {
          close_with = "policy-violation";
          link_->close();
          co_return;
        }
        if (reader_done) co_return;
        signal->expires_at(clock::time_point::max());
        co_await signal->async_wait(asio::as_tuple(asio::use_awaitable));
      }
    };
    co_await (reader() && writer());
    // Free the slot before the component sees its connection close, so that it may come
    // straight back.
    {
      std::lock_guard lk(s.mu);
      s.connection = 0;
      s.wake = nullptr;
      s.queue.clear();
      s.queue.shrink_to_fit();
    }
    if (clean) co_await c_.write("</stream:stream>");
    else if (!close_with.empty() && c_.is_open()) co_await c_.write(stream_error(close_with));
    c_.close();
  }

  service& svc_;
  net::connection& c_;
  std::unique_ptr<c2s_link> link_;
  bool opened_ = false;
};

}  // namespace

net::handler handler(std::shared_ptr<service> svc) {
  return [svc](net::connection& c) -> asio::awaitable<void> {
    session s(*svc, c);
    co_await s.run();
  };
}

}  // namespace hearth::xmpp::component
