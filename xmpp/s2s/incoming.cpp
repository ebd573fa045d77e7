// Incoming s2s streams (RFC 6120 §4-5, XEP-0220 §2.2-2.4): STARTTLS (or direct TLS on 5270),
// then the remote domain proves itself by dialback; its stanzas then go to the hub. A
// db:verify from a receiving server is answered here too (XEP-0220 §2.3.2).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/ssl.h>
#include <set>

#include "core/crypto/crypto.hpp"

#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/s2s/internal.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::xmpp {

namespace asio = boost::asio;
using net::connection;

namespace {

constexpr std::string_view ns_sasl_s2s = "urn:ietf:params:xml:ns:xmpp-sasl";

std::string stream_error(std::string_view condition) {
  return "<stream:error><" + std::string(condition) +
         " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";
}

class incoming {
 public:
  incoming(s2s_service& svc, connection& c) : svc_(svc), c_(c), parser_(svc.opts.limits) {}
  asio::awaitable<void> run();

 private:
  asio::awaitable<std::optional<stream_event>> next(std::chrono::seconds timeout) {
    while (pending_.empty()) {
      if (parser_.failed()) co_return std::nullopt;
      // An idle federation link keeps no expat parser while it waits (see the c2s reader).
      if (!c_.input_available()) parser_.hibernate();
      auto r = co_await c_.read_some(64 * 1024, timeout);
      if (!r) co_return std::nullopt;
      std::vector<stream_event> ev;
      parser_.feed(r.data, ev);
      for (auto& e : ev) pending_.push_back(std::move(e));
      if (!authed_any() && parser_.bytes_fed() > 256 * 1024 && !parser_.failed()) {
        stream_event err;
        err.condition = "policy-violation";
        pending_.push_back(std::move(err));
      }
    }
    auto e = std::move(pending_.front());
    pending_.pop_front();
    co_return e;
  }
  bool authed_any() const { return !authed_.empty(); }
  asio::awaitable<void> fail(std::string_view condition) {
    if (!header_sent_) co_await open_stream();
    co_await c_.write(stream_error(condition));
  }
  asio::awaitable<void> open_stream() {
    stream_id_ = log::new_id() + log::new_id();
    std::string hdr = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                      "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' id='" +
                      stream_id_ + "'";
    if (!local_.empty()) hdr += " from='" + escape(local_) + "'";
    if (!remote_.empty()) hdr += " to='" + escape(remote_) + "'";
    hdr += " version='1.0'>";
    co_await c_.write(hdr);
    header_sent_ = true;
  }
  asio::awaitable<bool> handle(element& e);
  asio::awaitable<bool> db_result(const element& e);
  asio::awaitable<bool> db_verify(const element& e);
  asio::awaitable<bool> sasl_external(const element& e);

  s2s_service& svc_;
  connection& c_;
  stream_parser parser_;
  std::deque<stream_event> pending_;
  std::string local_, remote_, stream_id_;
  bool header_sent_ = false;
  std::set<std::string> authed_;
  bool cert_ok_ = false;  // the peer's certificate is valid for remote_  // "remote local" pairs that passed dialback
};

asio::awaitable<bool> incoming::sasl_external(const element& e) {
  // RFC 6120 §6.4, §13.7.1.2.1: the authorization identity, when given, is the remote domain.
  std::string authz;
  std::string body = e.body();
  if (!body.empty() && body != "=") authz = crypto::base64_decode(body).value_or("\x01");
  if (e.name != "auth" || e.get("mechanism") != "EXTERNAL" || !cert_ok_ || !c_.is_tls() ||
      (!authz.empty() && authz != remote_)) {
    co_await c_.write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
    co_return true;
  }
  co_await c_.write("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  authed_.insert(remote_ + " " + local_);
  log::info("xmpp.s2s.in.external", {{"conn", c_.id()}, {"from", remote_}, {"to", local_}});
  parser_.reset();
  pending_.clear();
  header_sent_ = false;  // RFC 6120 §6.4.6: a new stream follows
  co_return true;
}

asio::awaitable<bool> incoming::db_verify(const element& e) {
  // XEP-0220 §2.3.2: we are the authoritative server of `to`, asked by `from`.
  const std::string from = e.get("from"), to = e.get("to"), id = e.get("id");
  bool local = !to.empty();
  if (local) local = co_await net::run_blocking([&] { return svc_.hub_.serves_domain(to); });
  if (!local) {
    co_await c_.write(stream_error("host-unknown"));
    co_return false;
  }
  bool valid = !from.empty() && !id.empty() && dialback_key(svc_.opts.dialback_secret, from, to, id) == e.body();
  co_await c_.write("<db:verify from='" + escape(to) + "' to='" + escape(from) + "' id='" + escape(id) + "' type='" +
                    (valid ? "valid" : "invalid") + "'/>");
  log::info("xmpp.s2s.verify", {{"conn", c_.id()}, {"for", from}, {"about", to}, {"valid", valid ? "yes" : "no"}});
  co_return true;
}

asio::awaitable<bool> incoming::db_result(const element& e) {
  // XEP-0220 §2.2: `from` claims to be the originating domain; ask its authoritative server.
  const std::string from = e.get("from"), to = e.get("to");
  bool local = !to.empty();
  if (local) local = co_await net::run_blocking([&] { return svc_.hub_.serves_domain(to); });
  if (!local) {
    co_await c_.write(stream_error("host-unknown"));
    co_return false;
  }
  auto fj = jid::parse(from);
  if (!fj || !fj->is_domain()) {
    co_await c_.write(stream_error("improper-addressing"));
    co_return false;
  }
  bool is_self = co_await net::run_blocking([&] { return svc_.hub_.serves_domain(from); });
  bool valid = false;
  if (!is_self) valid = co_await svc_.verify_key(to, from, stream_id_, e.body());
  co_await c_.write("<db:result from='" + escape(to) + "' to='" + escape(from) + "' type='" + (valid ? "valid" : "invalid") + "'/>");
  log::info("xmpp.s2s.in.dialback", {{"conn", c_.id()}, {"from", from}, {"to", to}, {"valid", valid ? "yes" : "no"}});
  if (!valid) {
    // XEP-0220 §2.4: an invalid key ends the stream.
    co_await c_.write("</stream:stream>");
    co_return false;
  }
  authed_.insert(from + " " + to);
  co_return true;
}

asio::awaitable<bool> incoming::handle(element& e) {
  if (e.ns == ns_dialback) {
    if (!c_.is_tls()) {
      co_await fail("policy-violation");  // TLS first
      co_return false;
    }
    if (e.name == "result" && e.get("type").empty()) {
      bool ok = co_await db_result(e);
      co_return ok;
    }
    if (e.name == "verify" && e.get("type").empty()) {
      bool ok = co_await db_verify(e);
      co_return ok;
    }
    co_await fail("unsupported-stanza-type");
    co_return false;
  }
  if (e.ns == ns_sasl_s2s) {
    bool ok = co_await sasl_external(e);
    co_return ok;
  }
  if (e.ns != ns_server || (e.name != "message" && e.name != "presence" && e.name != "iq")) {
    co_await fail("unsupported-stanza-type");
    co_return false;
  }
  auto from = jid::parse(e.get("from"));
  auto to = jid::parse(e.get("to"));
  if (!from || !to) {
    co_await fail("improper-addressing");
    co_return false;
  }
  // RFC 6120 §13.7.2.2 / XEP-0220 §2.5: only the authenticated domain pairs.
  if (!authed_.count(from->domain + " " + to->domain)) {
    co_await fail(authed_any() ? "invalid-from" : "not-authorized");
    co_return false;
  }
  switch_ns(e, ns_server, ns_client);
  hub& h = svc_.hub_;
  co_await net::run_blocking([&] {
    try {
      h.handle_remote(std::move(e));
    } catch (const std::exception& ex) {
      log::error("xmpp.s2s.stanza.error", {{"error", ex.what()}});
    }
    return 0;
  });
  co_return true;
}

asio::awaitable<void> incoming::run() {
  const auto& opts = svc_.opts;
  for (;;) {
    auto timeout = authed_any() ? opts.idle_timeout : opts.handshake_timeout;
    auto ev = co_await next(timeout);
    if (!ev) {
      if (c_.is_open() && header_sent_) co_await c_.write(stream_error("connection-timeout"));
      co_return;
    }
    if (ev->kind == stream_event::error) {
      co_await fail(ev->condition);
      co_return;
    }
    if (ev->kind == stream_event::close) {
      co_await c_.write("</stream:stream>");
      co_return;
    }
    if (ev->kind == stream_event::open) {
      if (ev->el.attr("xmlns") && ev->el.get("xmlns") != ns_server) {
        co_await fail("invalid-namespace");
        co_return;
      }
      auto to = jid::parse(ev->el.get("to"));
      local_ = to && to->is_domain() ? to->domain : "";
      bool local = !local_.empty();
      if (local) local = co_await net::run_blocking([&] { return svc_.hub_.serves_domain(local_); });
      if (!local) {
        local_.clear();
        co_await fail("host-unknown");
        co_return;
      }
      remote_ = ev->el.get("from");
      if (c_.is_tls()) cert_ok_ = svc_.peer_cert_valid(c_.native_ssl(), remote_);
      co_await open_stream();
      std::string f = "<stream:features>";
      if (!c_.is_tls()) {
        f += "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>";
      } else {
        if (cert_ok_ && !authed_.count(remote_ + " " + local_))
          f += "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms>";
        f += "<dialback xmlns='urn:xmpp:features:dialback'/>";
      }
      co_await c_.write(f + "</stream:features>");
      continue;
    }
    element& e = ev->el;
    if (!c_.is_tls()) {
      if (e.name != "starttls" || e.ns != ns_tls_s2s) {
        co_await fail("policy-violation");
        co_return;
      }
      if (c_.has_buffered_input() || !pending_.empty()) {  // CVE-2011-0411
        co_await c_.write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
        co_return;
      }
      co_await c_.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      // Ask for the remote server's certificate (checked by peer_cert_valid() afterwards).
      s2s_request_client_certificate(c_);
      bool ok = co_await c_.start_tls(opts.handshake_timeout);
      if (!ok) co_return;
      parser_.reset();
      header_sent_ = false;
      continue;
    }
    bool go_on = co_await handle(e);
    if (!go_on) co_return;
  }
}

}  // namespace

void s2s_request_client_certificate(net::connection& c) { c.request_client_certificate(); }

net::handler s2s_handler(std::shared_ptr<s2s_service> svc) {
  return [svc](connection& c) -> asio::awaitable<void> {
    incoming in(*svc, c);
    co_await in.run();
    log::debug("xmpp.s2s.in.end", {{"conn", c.id()}});
  };
}

}  // namespace hearth::xmpp
