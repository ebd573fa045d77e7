// The c2s session: stream negotiation (RFC 6120 §4-7), then a reader that hands stanzas to the
// hub off the I/O thread and a writer that drains the session's queue, running side by side on
// the connection's strand. The session object outlives a cut connection for XEP-0198
// resumption (c2s_service keeps the table).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <openssl/ssl.h>

#include "auth/authenticator.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"
#include "xmpp/c2s/c2s.hpp"
#include "xmpp/c2s/link.hpp"
#include "xmpp/c2s/session_state.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/sasl2/request.hpp"
#include "xmpp/sasl2/token_store.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is freed (as in app/placeholder_sessions.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::xmpp {

namespace asio = boost::asio;
using net::connection;
using net::read_status;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view ns_tls = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view ns_bind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view ns_session = "urn:ietf:params:xml:ns:xmpp-session";
constexpr std::string_view ns_sm = "urn:xmpp:sm:3";
constexpr std::string_view ns_csi = "urn:xmpp:csi:0";
constexpr unsigned max_auth_attempts = 3;

}  // namespace

namespace {

class negotiation {
 public:
  negotiation(c2s_service& svc, c2s_link& c) : svc_(svc), c_(c) {
    c_.set_max_bytes(svc.opts.max_unauthenticated_bytes);
  }

  asio::awaitable<void> run();

 private:
  asio::awaitable<bool> open_stream(bool after_error = false);
  asio::awaitable<void> fail(std::string_view condition) {
    if (!header_sent_) co_await open_stream(true);
    co_await c_.write_error(condition);
    co_await c_.drain();
  }
  asio::awaitable<bool> starttls(const element& e);
  asio::awaitable<bool> sasl(const element& e);
  // SASL2 (XEP-0388), with Bind2 (XEP-0386) and FAST (XEP-0484). Returns false when the
  // connection ends (closed, or the session ran after an inline bind), true to go on.
  asio::awaitable<bool> sasl2_auth(const element& e);
  asio::awaitable<void> bound(const std::shared_ptr<c2s_session>& s, std::optional<std::uint32_t> resume_h = std::nullopt);
  asio::awaitable<bool> handle_bound_element(c2s_session& s, element& e);
  asio::awaitable<void> writer(c2s_session& s, std::uint64_t gen, const std::shared_ptr<asio::steady_timer>& signal, bool& reader_done);
  asio::awaitable<void> rate_limit();
  std::string features(bool bound = false) const;

  c2s_service& svc_;
  c2s_link& c_;
  std::string domain_;
  std::string user_;  // authenticated bare JID
  bool header_sent_ = false;
  unsigned auth_attempts_ = 0;
  double tokens_ = 0;
  clock::time_point last_refill_ = clock::now();
  bool throttled_ = false;
  std::string close_with_;  // stream error to send before closing
  bool clean_close_ = false;
};

asio::awaitable<bool> negotiation::open_stream(bool after_error) {
  std::string from = domain_.empty() ? svc_.hub_.options().hostname : domain_;
  co_await c_.write_open(from, log::new_id() + log::new_id());
  header_sent_ = true;
  if (after_error) co_return false;
  co_return true;
}

std::string negotiation::features(bool bound) const {
  std::string f = "<stream:features>";
  if (!c_.secure()) {
    // RFC 6120 §5.3.1: TLS is mandatory-to-negotiate here.
    f += "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>";
  } else if (user_.empty()) {
    auth::context ctx{"xmpp", c_.remote_ip(), c_.secure(), c_.channel_binding()};
    ctx.channel_binding_end_point = c_.channel_binding_end_point();
    f += "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
    bool plus = false;
    for (const auto& m : svc_.authn.mechanisms(ctx)) {
      if (m != "LOGIN") f += "<mechanism>" + m + "</mechanism>";
      plus = plus || m.ends_with("-PLUS");
    }
    f += "</mechanisms>";
    // XEP-0388: the same mechanisms through SASL2, with Bind2 and FAST tokens inline.
    std::vector<std::string> mechs2;
    for (const auto& m : svc_.authn.mechanisms(ctx))
      if (m != "LOGIN") mechs2.push_back(m);
    f += sasl2::feature_xml(mechs2, svc_.opts.fast_tokens != nullptr);
    // XEP-0440: name the binding types we do, so that a client picks one rather than
    // guessing tls-unique (which TLS 1.3 lacks) and failing.
    if (plus) {
      f += "<sasl-channel-binding xmlns='urn:xsf:sasl-cb:0'>";
      if (ctx.channel_binding) f += "<channel-binding type='tls-exporter'/>";
      if (ctx.channel_binding_end_point) f += "<channel-binding type='tls-server-end-point'/>";
      f += "</sasl-channel-binding>";
    }
  } else {
    if (!bound)
      f += "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
           "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>";
    f += "<sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/>"
         "<ver xmlns='urn:xmpp:features:rosterver'/><sub xmlns='urn:xmpp:features:pre-approval'/>";
  }
  // XEP-0115 §6.3: the server's entity capabilities as a stream feature.
  if (c_.secure() && !svc_.hub_.caps_ver().empty())
    f += "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" + std::string(hub::caps_node) + "' ver='" +
         escape(svc_.hub_.caps_ver()) + "'/>";
  return f + "</stream:features>";
}

asio::awaitable<bool> negotiation::starttls(const element& e) {
  if (c_.secure() || e.ns != ns_tls) {
    co_await fail("policy-violation");
    co_return false;
  }
  // CVE-2011-0411: nothing may be pipelined after <starttls/>.
  if (c_.input_pending()) {
    co_await c_.write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    co_await c_.write_close();
    co_return false;
  }
  co_await c_.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  bool ok = co_await c_.start_tls(svc_.opts.handshake_timeout);
  if (!ok) co_return false;
  header_sent_ = false;  // RFC 6120 §5.4.3.3: a new stream follows
  co_return true;
}

asio::awaitable<bool> negotiation::sasl(const element& e) {
  auto failure = [&](std::string_view cond) -> asio::awaitable<void> {
    co_await c_.write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><" + std::string(cond) + "/></failure>");
  };
  if (e.name != "auth") {
    co_await failure("aborted");
    co_return true;
  }
  if (++auth_attempts_ > max_auth_attempts) {
    co_await fail("policy-violation");
    co_return false;
  }
  // RFC 6120 §6.3.8: the authcid is the JID's localpart; the shared authenticator completes it
  // with the stream's domain.
  auth::context ctx{"xmpp", c_.remote_ip(), c_.secure(), c_.channel_binding(), domain_};
  ctx.channel_binding_end_point = c_.channel_binding_end_point();
  std::string mech = e.get("mechanism");
  auto ex = mech == "LOGIN" ? nullptr : svc_.authn.start(ctx, mech);
  if (!ex) {
    co_await failure("invalid-mechanism");
    co_return true;
  }
  // RFC 6120 §6.4.2: "=" is an empty initial response; no text is no initial response.
  std::optional<std::string> msg;
  std::string text = e.body();
  if (text == "=") msg = std::string();
  else if (!text.empty()) {
    msg = crypto::base64_decode(text);
    if (!msg) {
      co_await failure("incorrect-encoding");
      co_return true;
    }
  }
  for (;;) {
    auto res = co_await net::run_blocking([&] {
      return ex->step(msg ? std::optional<std::string_view>(*msg) : std::nullopt);
    });
    if (res.kind != auth::exchange::step_result::challenge && res.final.delay.count() > 0) {
      asio::steady_timer t(c_.get_executor(), res.final.delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (res.kind == auth::exchange::step_result::ok) {
      user_ = res.final.address;
      c_.set_max_bytes(UINT64_MAX);
      std::string data = res.server_data.empty() ? "" : crypto::base64_encode(res.server_data);
      co_await c_.write("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + data + "</success>");
      c_.restart();
      header_sent_ = false;
      co_return true;
    }
    if (res.kind == auth::exchange::step_result::failed) {
      auto o = res.final.result;
      co_await failure(o == auth::outcome::blocked        ? "temporary-auth-failure"
                       : o == auth::outcome::tls_required ? "encryption-required"
                                                          : "not-authorized");
      co_return true;
    }
    std::string ch = res.server_data.empty() ? "=" : crypto::base64_encode(res.server_data);
    co_await c_.write("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + ch + "</challenge>");
    auto next = co_await c_.next(svc_.opts.auth_timeout);
    if (!next || next->kind != stream_event::stanza) co_return false;
    if (next->el.name == "abort") {
      co_await failure("aborted");
      co_return true;
    }
    if (next->el.name != "response" || next->el.ns != ns_sasl) {
      co_await failure("aborted");
      co_return true;
    }
    std::string body = next->el.body();
    if (body.empty() || body == "=") msg = std::string();
    else {
      msg = crypto::base64_decode(body);
      if (!msg) {
        co_await failure("incorrect-encoding");
        co_return true;
      }
    }
  }
}

asio::awaitable<bool> negotiation::sasl2_auth(const element& e) {
  auto failure = [&](std::string_view cond, std::string_view text = {}) -> asio::awaitable<void> {
    std::string x = "<failure xmlns='urn:xmpp:sasl:2'><" + std::string(cond) + " xmlns='" + std::string(ns_sasl) + "'/>";
    if (!text.empty()) x += "<text>" + escape(text) + "</text>";
    co_await c_.write(x + "</failure>");
  };
  if (++auth_attempts_ > max_auth_attempts) {
    co_await fail("policy-violation");
    co_return false;
  }
  auto req = sasl2::parse_authenticate(e);
  if (!req) {
    co_await failure("malformed-request", req.error().message);
    co_return true;
  }
  auth::context ctx{"xmpp", c_.remote_ip(), c_.secure(), c_.channel_binding(), domain_};
  ctx.channel_binding_end_point = c_.channel_binding_end_point();
  sasl2::token_store* store = svc_.opts.fast_tokens;
  // XEP-0484 §3.4: a token mechanism only with <fast/>, only for the client it was issued to.
  const bool token_login = util::iequals(req->mechanism, sasl2::fast_mechanism);
  auto matched = std::make_shared<std::size_t>(0);
  auto offered = std::make_shared<std::vector<std::string>>();
  std::unique_ptr<auth::exchange> ex;
  if (token_login) {
    if (store && req->fast)
      ex = svc_.authn.start_token(
          ctx, req->mechanism,
          [store, agent = req->agent_id, offered](const std::string& address) {
            *offered = store->tokens(address, agent, now_us() / 1000000);
            return *offered;
          },
          matched);
  } else if (req->mechanism != "LOGIN") {
    ex = svc_.authn.start(ctx, req->mechanism);
  }
  if (!ex) {
    co_await failure("invalid-mechanism");
    co_return true;
  }
  std::optional<std::string> msg = req->initial_response;
  for (;;) {
    auto res = co_await net::run_blocking([&] {
      return ex->step(msg ? std::optional<std::string_view>(*msg) : std::nullopt);
    });
    if (res.kind != auth::exchange::step_result::challenge && res.final.delay.count() > 0) {
      asio::steady_timer t(c_.get_executor(), res.final.delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (res.kind == auth::exchange::step_result::failed) {
      auto o = res.final.result;
      co_await failure(o == auth::outcome::blocked        ? "temporary-auth-failure"
                       : o == auth::outcome::tls_required ? "encryption-required"
                                                          : "not-authorized");
      co_return true;
    }
    if (res.kind == auth::exchange::step_result::challenge) {
      std::string ch = crypto::base64_encode(res.server_data);
      co_await c_.write("<challenge xmlns='urn:xmpp:sasl:2'>" + ch + "</challenge>");
      auto next = co_await c_.next(svc_.opts.auth_timeout);
      if (!next || next->kind != stream_event::stanza) co_return false;
      if (next->el.name != "response" || next->el.ns != sasl2::ns_sasl2) {
        co_await failure("aborted");
        co_return true;
      }
      std::string body = next->el.body();
      if (body.empty() || body == "=") {
        msg = std::string();
      } else {
        msg = crypto::base64_decode(body);
        if (!msg) {
          co_await failure("incorrect-encoding");
          co_return true;
        }
      }
      continue;
    }
    // Success: the token bookkeeping, Bind2, then <success/> and the new features (no stream
    // restart, XEP-0388 §2.6.1).
    user_ = res.final.address;
    c_.set_max_bytes(UINT64_MAX);
    std::string extra;
    const std::string agent = req->agent_id;
    const bool invalidate = req->invalidate;
    const bool want_token = req->request_token && store;
    std::string token;
    const std::int64_t expires = now_us() / 1000000 + svc_.opts.fast_token_lifetime.count();
    co_await net::run_blocking([&] {
      if (token_login && store) {
        if (invalidate)
          store->invalidate(user_, agent);
        else if (*matched < offered->size())
          store->used(user_, agent, (*offered)[*matched]);
      }
      if (want_token) token = store->issue(user_, agent, expires);
      return 0;
    });
    if (!token.empty())
      extra += "<token xmlns='urn:xmpp:fast:0' expiry='" + xep82_stamp(expires * 1000000) + "' token='" +
               escape(token) + "'/>";
    std::shared_ptr<c2s_session> s;
    std::string authz = user_;
    if (req->bind) {
      // XEP-0386 §3: the server picks the resource, from the client's tag.
      auto full = jid::parse(user_ + "/" + sasl2::bound_resource(req->tag, log::new_id()));
      if (full) {
        auto sess = std::make_shared<c2s_session>(svc_.opts.max_queue);
        sess->full = *full;
        watch_waiting(*sess, svc_.hub_);
        bool ok = co_await net::run_blocking([&] { return svc_.hub_.bind(sess); });
        if (ok) {
          s = std::move(sess);
          authz = full->full();
          extra += "<bound xmlns='urn:xmpp:bind:0'/>";
        }
      }
    }
    std::string data = res.server_data.empty()
                           ? ""
                           : "<additional-data>" + crypto::base64_encode(res.server_data) + "</additional-data>";
    co_await c_.write("<success xmlns='urn:xmpp:sasl:2'>" + data + "<authorization-identifier>" + escape(authz) +
                      "</authorization-identifier>" + extra + "</success>" + features(s != nullptr));
    log::info("xmpp.sasl2", {{"conn", c_.id()}, {"user", user_}, {"mech", req->mechanism},
                             {"bind2", s ? "yes" : "no"}, {"token", token.empty() ? "no" : "issued"}});
    if (!s) co_return true;
    log::info("xmpp.bind", {{"conn", c_.id()}, {"jid", s->full.full()}, {"ip", c_.remote_ip()}});
    co_await bound(s);
    co_return false;
  }
}

asio::awaitable<void> negotiation::run() {
  const auto& opts = svc_.opts;
  std::shared_ptr<c2s_session> bound_session;
  for (;;) {
    auto ev = co_await c_.next(opts.auth_timeout);
    if (!ev) {
      if (c_.timed_out()) co_await fail("connection-timeout");
      co_return;
    }
    if (ev->kind == stream_event::error) {
      co_await fail(ev->condition);
      co_return;
    }
    if (ev->kind == stream_event::close) {
      co_await c_.write_close();
      co_return;
    }
    if (ev->kind == stream_event::open) {
      auto to = jid::parse(ev->el.get("to"));
      domain_ = to ? to->domain : "";
      if (ev->el.attr("xmlns") && ev->el.get("xmlns") != ns_client) {
        co_await fail("invalid-namespace");
        co_return;
      }
      // RFC 6120 §4.9.3.6: a stream to a domain we do not serve.
      bool local = to && to->is_domain();
      if (local) local = co_await net::run_blocking([&] { return svc_.hub_.is_local_domain(to->domain); });
      if (!local) {
        domain_.clear();
        co_await fail("host-unknown");
        co_return;
      }
      co_await open_stream();
      co_await c_.write(features());
      continue;
    }
    element& e = ev->el;
    if (!c_.secure()) {
      if (e.name != "starttls") {
        co_await fail("policy-violation");  // RFC 6120 §5.3.1: TLS first
        co_return;
      }
      bool ok = co_await starttls(e);
      if (!ok) co_return;
      continue;
    }
    if (user_.empty()) {
      if (e.ns == sasl2::ns_sasl2 && e.name == "authenticate") {
        bool go_on = co_await sasl2_auth(e);
        if (!go_on) co_return;
        continue;
      }
      if (e.ns != ns_sasl) {
        co_await fail("not-authorized");
        co_return;
      }
      bool ok = co_await sasl(e);
      if (!ok) co_return;
      continue;
    }
    // Authenticated: bind a resource, or resume a session (XEP-0198 §5).
    if (e.name == "resume" && e.ns == ns_sm) {
      const std::string previd = e.get("previd");
      std::shared_ptr<c2s_session> s;
      {
        std::lock_guard lk(svc_.mu);
        auto it = svc_.resumable.find(previd);
        if (it != svc_.resumable.end()) s = it->second.lock();
      }
      // Several nodes: the session may be held by the node the client was connected to.
      if (!s && svc_.hub_.clustered()) {
        const std::string node = handover_node(svc_, previd);
        if (!node.empty()) s = co_await fetch_session(svc_, node, previd, user_);
      }
      if (!s || s->full.bare() != user_ || !s->resumable()) {
        co_await c_.write("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
        continue;
      }
      std::uint32_t h = 0;
      try {
        h = static_cast<std::uint32_t>(std::stoul(e.get("h")));
      } catch (...) {
      }
      co_await c_.write("<resumed xmlns='urn:xmpp:sm:3' h='" + std::to_string(s->in_count()) + "' previd='" +
                        escape(s->sm_id()) + "'/>");
      log::info("xmpp.resume", {{"conn", c_.id()}, {"jid", s->full.full()}});
      co_await bound(s, h);
      co_return;
    }
    if (e.name == "iq" && e.get("type") == "set" && e.child("bind", ns_bind)) {
      std::string res = e.child("bind")->child("resource") ? e.child("bind")->child("resource")->body() : "";
      if (res.empty()) res = "hearth-" + log::new_id();
      auto full = jid::parse(user_ + "/" + res);
      if (!full) {
        co_await c_.write(serialize(make_error(e, "modify", "bad-request")));
        continue;
      }
      auto s = std::make_shared<c2s_session>(opts.max_queue);
      s->full = *full;
      watch_waiting(*s, svc_.hub_);
      bool ok = co_await net::run_blocking([&] { return svc_.hub_.bind(s); });
      if (!ok) {
        // Abuse limit: too many resources for this account.
        co_await c_.write(serialize(make_error(e, "cancel", "resource-constraint")));
        continue;
      }
      element b("bind", std::string(ns_bind));
      b.add("jid", std::string(ns_bind)).add_text(full->full());
      co_await c_.write(serialize(make_iq_result(e, std::move(b))));
      log::info("xmpp.bind", {{"conn", c_.id()}, {"jid", full->full()}, {"ip", c_.remote_ip()}});
      co_await bound(s);
      co_return;
    }
    if (e.name == "iq") {
      co_await c_.write(serialize(make_error(e, "cancel", "not-allowed")));
      continue;
    }
    co_await fail("not-authorized");
    co_return;
  }
}

asio::awaitable<void> negotiation::rate_limit() {
  const double rate = svc_.opts.stanzas_per_second;
  if (rate <= 0) co_return;  // no limit
  const double burst = rate * 4;
  auto now = clock::now();
  tokens_ = std::min(burst, tokens_ + rate * std::chrono::duration<double>(now - last_refill_).count());
  last_refill_ = now;
  if (tokens_ < 1) {
    // Throttle: the flooder waits, other sessions are unaffected.
    if (!throttled_) {
      throttled_ = true;
      log::warn("xmpp.throttle", {{"conn", c_.id()}, {"ip", c_.remote_ip()}, {"user", user_}});
    }
    auto wait = std::chrono::duration<double>((1 - tokens_) / rate);
    asio::steady_timer t(c_.get_executor(), std::chrono::duration_cast<clock::duration>(wait));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    tokens_ = 1;
    last_refill_ = clock::now();
  }
  tokens_ -= 1;
}

asio::awaitable<bool> negotiation::handle_bound_element(c2s_session& s, element& e) {
  if (e.ns == ns_sm) {
    if (e.name == "r") {
      s.send_raw("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(s.in_count()) + "'/>");
    } else if (e.name == "a") {
      try {
        s.ack(static_cast<std::uint32_t>(std::stoul(e.get("h"))));
      } catch (...) {
      }
    } else if (e.name == "enable") {
      if (s.sm_enabled()) {
        s.send_raw("<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
      } else {
        bool resume = e.get("resume") == "true" || e.get("resume") == "1";
        // The <enabled/> goes first in the queue; later stanzas are counted.
        std::string id;
        std::string reply;
        {
          id = s.enable_sm(resume, svc_.hub_.node());
          reply = "<enabled xmlns='urn:xmpp:sm:3'";
          if (resume) reply += " id='" + escape(id) + "' resume='true' max='" + std::to_string(svc_.opts.resume_timeout.count()) + "'";
          reply += "/>";
        }
        s.send_raw(reply);
        if (resume) {
          std::lock_guard lk(svc_.mu);
          svc_.resumable[id] = s.weak_from_this();
        }
      }
    }
    co_return true;
  }
  if (e.ns == ns_csi) {
    if (e.name == "inactive" || e.name == "active") s.set_inactive(e.name == "inactive");
    co_return true;
  }
  if (e.ns != ns_client || (e.name != "message" && e.name != "presence" && e.name != "iq")) {
    close_with_ = "unsupported-stanza-type";
    co_return false;
  }
  s.count_inbound();
  co_await rate_limit();
  // RFC 6120 §8.1.2.1: the server stamps the full JID of the sender.
  e.set("from", s.full.full());
  jid to = s.full.to_bare();
  if (auto t = e.attr("to")) {
    auto pj = jid::parse(*t);
    if (!pj) {
      if (e.get("type") != "error") s.send(make_error(e, "modify", "jid-malformed"));
      co_return true;
    }
    to = *pj;
  }
  if (e.name == "iq" && e.get("type") == "set") {
    if (e.child("session", ns_session)) {  // RFC 3921 §3: legacy session establishment
      s.send(make_iq_result(e));
      co_return true;
    }
    if (e.child("bind", ns_bind)) {
      s.send(make_error(e, "cancel", "not-allowed"));
      co_return true;
    }
  }
  request req{s, std::move(e), to};
  hub& h = svc_.hub_;
  co_await net::run_blocking([&] {
    try {
      h.handle(req);
    } catch (const std::exception& ex) {
      log::error("xmpp.stanza.error", {{"jid", s.full.full()}, {"error", ex.what()}});
      if (req.stanza.name == "iq" || req.stanza.name == "message")
        s.send(make_error(req.stanza, "wait", "internal-server-error"));
    }
    return 0;
  });
  co_return true;
}

asio::awaitable<void> negotiation::writer(c2s_session& s, std::uint64_t gen, const std::shared_ptr<asio::steady_timer>& signal, bool& reader_done) {
  for (;;) {
    std::string kick;
    auto batch = s.take(kick, gen);
    if (!batch.empty()) {
      std::vector<std::string_view> out;
      out.reserve(batch.size() + 1);
      bool stanzas = false;
      for (auto& b : batch) {
        out.push_back(b.xml);
        stanzas = stanzas || b.seq != 0;
      }
      // XEP-0198 §4: ask for an ack after each batch of counted stanzas.
      if (stanzas) out.push_back("<r xmlns='urn:xmpp:sm:3'/>");
      bool ok = co_await c_.write(out);
      if (!ok) co_return;
    }
    if (!kick.empty()) {
      co_await c_.write_error(kick);
      c_.close();
      co_return;
    }
    if (reader_done && batch.empty()) co_return;
    if (batch.empty()) {
      signal->expires_at(clock::time_point::max());
      co_await signal->async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

asio::awaitable<void> negotiation::bound(const std::shared_ptr<c2s_session>& s, std::optional<std::uint32_t> resume_h) {
  using namespace asio::experimental::awaitable_operators;
  auto signal = std::make_shared<asio::steady_timer>(c_.get_executor());
  auto ex = c_.get_executor();
  std::uint64_t gen = s->attach([signal, ex] { asio::post(ex, [signal] { signal->cancel(); }); }, resume_h);
  bool reader_done = false;
  auto reader = [&]() -> asio::awaitable<void> {
    for (;;) {
      auto ev = co_await c_.next(svc_.opts.idle_timeout);
      if (!ev) {
        if (c_.timed_out()) close_with_ = "connection-timeout";
        break;
      }
      if (ev->kind == stream_event::error) {
        close_with_ = ev->condition;
        break;
      }
      if (ev->kind == stream_event::close) {
        clean_close_ = true;
        break;
      }
      if (ev->kind != stream_event::stanza) {
        close_with_ = "policy-violation";
        break;
      }
      bool go_on = co_await handle_bound_element(*s, ev->el);
      if (!go_on) break;
    }
    reader_done = true;
    signal->cancel();
  };
  co_await (reader() && writer(*s, gen, signal, reader_done));
  // After what was queued: the writer has drained the queue when the reader was done.
  if (clean_close_) co_await c_.write_close();
  else if (!close_with_.empty()) co_await c_.write_error(close_with_);
  if (!close_with_.empty()) co_await c_.drain();
  c_.close();
  if (!s->detach(gen)) co_return;  // resumed on another connection
  if (clean_close_ || !close_with_.empty()) s->set_no_resume();
  hub& h = svc_.hub_;
  if (s->resumable()) {
    // XEP-0198 §5: keep the session for resume_timeout; stanzas queue up meanwhile.
    log::info("xmpp.detached", {{"jid", s->full.full()}});
    hibernate(svc_, s, gen, ex);
    co_return;
  }
  auto unacked = s->close_for_good();
  if (!s->sm_id().empty()) {
    std::lock_guard lk(svc_.mu);
    svc_.resumable.erase(s->sm_id());
  }
  co_await net::run_blocking([&] {
    h.unbind(*s);
    // XEP-0198 §5: unacknowledged messages are not lost: they are routed again (offline).
    for (const auto& x : unacked)
      if (auto m = parse_fragment(x); m && m->name == "message") h.route(*m);
    return 0;
  });
  log::info("xmpp.end", {{"conn", c_.id()}, {"jid", s->full.full()}});
}

}  // namespace

std::shared_ptr<c2s_service> make_c2s_service(hub& h, auth::authenticator& authn, c2s_options opts) {
  auto svc = std::make_shared<c2s_service>(h, authn, std::move(opts));
  h.on_handover([w = std::weak_ptr<c2s_service>(svc)](envelope e) {
    if (auto s = w.lock()) s->on_handover(std::move(e));
  });
  return svc;
}

asio::awaitable<void> run_c2s(c2s_service& svc, c2s_link& link) {
  {
    std::lock_guard lk(svc.mu);
    if (!svc.io) svc.io = link.get_executor();
  }
  negotiation n(svc, link);
  co_await n.run();
}

net::handler c2s_handler(std::shared_ptr<c2s_service> svc) {
  return [svc](connection& c) -> asio::awaitable<void> {
    auto link = make_tcp_link(c, svc->opts.limits);
    co_await run_c2s(*svc, *link);
  };
}

}  // namespace hearth::xmpp
