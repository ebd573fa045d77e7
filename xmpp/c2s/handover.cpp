// XEP-0198 resumption on another node (README "Several nodes"; the two messages are in
// xmpp/router/handover.hpp). A client cut from node A reconnects to node B, which answers
// whoever the DNS or the load balancer picked, and sends <resume previd=.../>. The id names A
// (c2s_session::enable_sm), so B asks A over A's NOTIFY channel (fetch_session). A hands the
// session over (give): it closes the connection still attached, if any, with <conflict/>
// (XEP-0198 §5), drops the session from its resumption table and sends its state. B installs
// it (take): binds it in its hub, whose bind takes the registry row over and kicks A's copy, on
// which A forgets it without unavailable presence (its contacts see no change); then the
// waiting negotiation answers <resumed/> and resends the unacknowledged stanzas.
//
// Why stanzas are not lost in between: from the hand-over until B's bind reaches A, stanzas
// for the session still arrive at A (the registry names A); A's copy relays them to B on the
// same channel as the state, after it, so B has installed the session when they arrive.
// If B never binds it (B died, or refused it), A ends it when its grace runs out, as an
// unresumed session ends (unavailable presence).
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "xmpp/c2s/session_state.hpp"
#include "xmpp/stream/parser.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is freed (as in session.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::xmpp {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// A request whose answer never came is forgotten after this (its entry only serves a late
// answer, which installs the session for a later resume).
constexpr std::chrono::seconds forget_requests_after{120};

// Unacknowledged messages of a session that is not resumed are routed again (XEP-0198 §5):
// to the account's other resources, or offline.
void route_again(hub& h, const std::vector<std::string>& xml) {
  for (const auto& x : xml)
    if (auto m = parse_fragment(x); m && m->name == "message") h.route(*m);
}

std::vector<std::string> xml_of(const handover_state& st) {
  std::vector<std::string> out;
  for (const auto& q : st.unacked) out.push_back(q.xml);
  return out;
}

// Node ids are letters, digits, '-', '_' and '.', at most 64 (mail/queue node_id()).
bool plausible_node(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

void refuse(hub& h, const handover_request& req, const std::string& previd) {
  h.forward_envelope(req.node, {forward_kind::handover, previd, encode_handover_failed(req.ask, "item-not-found")});
}

// Node A: a request for a session of ours.
void give(c2s_service& svc, envelope e) {
  hub& h = svc.hub_;
  auto req = decode_handover_request(e.stanza);
  if (!req) {
    log::warn("xmpp.handover.bad", {{"kind", "request"}, {"previd", e.arg}});
    return;
  }
  const std::string previd = e.arg;
  std::shared_ptr<c2s_session> s;
  std::string moved_to;
  asio::any_io_executor io;
  {
    std::lock_guard lk(svc.mu);
    if (auto it = svc.resumable.find(previd); it != svc.resumable.end()) s = it->second.lock();
    if (!s)
      if (auto m = svc.moved.find(previd); m != svc.moved.end()) moved_to = m->second.first;
    io = svc.io;
  }
  if (!s) {
    // It went on from here: the node that has it now answers.
    if (!moved_to.empty() && moved_to != req->node && req->hops < handover_limits::max_hops) {
      ++req->hops;
      h.forward_envelope(moved_to, {forward_kind::resume_request, previd, encode_handover_request(*req)});
      return;
    }
    refuse(h, *req, previd);
    return;
  }
  if (s->full.bare() != req->user) {
    // XEP-0198 §5: only the account that held the session may resume it; say no more.
    log::warn("xmpp.handover.refused", {{"previd", previd}, {"user", req->user}, {"reason", "account"}});
    refuse(h, *req, previd);
    return;
  }
  const std::string to_node = req->node;
  const std::string full = s->full.full();
  std::weak_ptr<c2s_session> weak = s;
  auto state = s->hand_over(
      [&h, to_node, full](const element& st) {
        // to= names the session, which a stanza routed to the bare JID does not.
        element copy = st;
        copy.set("to", full);
        h.forward_envelope(to_node, {forward_kind::session, "-", std::move(copy)});
      },
      [&h, weak] {
        auto x = weak.lock();
        if (!x || !x->settle_hand_over()) return;
        asio::post(net::blocking_pool(), [&h, x] { h.handed_over(*x); });
      });
  if (!state) {
    refuse(h, *req, previd);  // closed or kicked meanwhile
    return;
  }
  {
    std::lock_guard lk(s->mu);
    state->priority = s->priority;
    state->available = s->available;
    state->interested = s->interested;
    state->carbons = s->carbons;
    state->presence = s->presence;
    state->directed.assign(s->directed.begin(), s->directed.end());
  }
  handover_limits lim;
  lim.max_stanzas = svc.opts.max_queue;
  auto enc = encode_handover(*state, req->ask, lim);
  {
    std::lock_guard lk(svc.mu);
    svc.resumable.erase(previd);
    if (enc) {
      const auto now = clock::now();
      std::erase_if(svc.moved, [&](const auto& m) { return now - m.second.second > svc.opts.resume_timeout; });
      svc.moved[previd] = {to_node, now};
    }
  }
  if (!enc) {
    // Over the limits: the session ends here as one that is not resumed does.
    log::warn("xmpp.handover.refused", {{"jid", full}, {"stanzas", std::uint64_t(state->unacked.size())},
                                        {"reason", "limits"}});
    refuse(h, *req, previd);
    s->settle_hand_over();
    h.unbind(*s);
    route_again(h, xml_of(*state));
    return;
  }
  h.forward_envelope(to_node, {forward_kind::handover, previd, std::move(*enc)});
  log::info("xmpp.handover.given", {{"jid", full}, {"to", to_node}, {"unacked", std::uint64_t(state->unacked.size())}});
  if (!io) return;
  // The node it went to binds it within its own wait; past that and some slack, it never will.
  auto t = std::make_shared<asio::steady_timer>(io, svc.opts.handover_timeout * 3);
  t->async_wait([t, s, &h](const boost::system::error_code&) {
    if (!s->settle_hand_over()) return;
    asio::post(net::blocking_pool(), [s, &h] {
      log::warn("xmpp.handover.lost", {{"jid", s->full.full()}});
      h.unbind(*s);
    });
  });
}

// Node B: the answer to one of our requests.
void take(c2s_service& svc, envelope e) {
  hub& h = svc.hub_;
  handover_limits lim;
  lim.max_stanzas = svc.opts.max_queue;
  auto a = decode_handover(e.stanza, lim);
  if (!a) {
    // The asking negotiation times out and fails; the node that sent it gives up after its grace.
    log::warn("xmpp.handover.bad", {{"kind", "answer"}, {"previd", e.arg}});
    return;
  }
  std::function<void(std::shared_ptr<c2s_session>)> done;
  asio::any_io_executor ex;
  bool known = false;
  {
    std::lock_guard lk(svc.mu);
    if (auto it = svc.waiting.find(a->ask); it != svc.waiting.end()) {
      known = true;
      done = std::move(it->second.done);
      ex = it->second.ex;
      svc.waiting.erase(it);
    }
  }
  if (!a->state) {
    if (done) done(nullptr);
    return;
  }
  const handover_state& st = *a->state;
  auto full = jid::parse(st.full);
  std::shared_ptr<c2s_session> s;
  if (known && full) {
    s = std::make_shared<c2s_session>(svc.opts.max_queue);
    s->full = *full;
    watch_waiting(*s, h);
    s->restore(st);
    {
      std::lock_guard lk(s->mu);
      s->priority = st.priority;
      s->available = st.available;
      s->interested = st.interested;
      s->carbons = st.carbons;
      s->presence = st.presence;
      s->directed.insert(st.directed.begin(), st.directed.end());
    }
    if (!h.adopt(s)) s = nullptr;  // the account's resource limit, reached meanwhile
  }
  if (!s) {
    log::warn("xmpp.handover.dropped", {{"jid", st.full}, {"reason", known ? "bind" : "unknown request"}});
    route_again(h, xml_of(st));
    if (done) done(nullptr);
    return;
  }
  {
    std::lock_guard lk(svc.mu);
    svc.resumable[st.sm_id] = s;
    svc.moved.erase(st.sm_id);
  }
  hibernate(svc, s, s->generation(), ex);
  log::info("xmpp.handover.taken", {{"jid", st.full}, {"unacked", std::uint64_t(st.unacked.size())}});
  if (done) done(s);
}

}  // namespace

void watch_waiting(c2s_session& s, hub& h) {
  s.on_waiting = [&h, full = s.full.full()](const element& msg, std::size_t count) {
    asio::post(net::blocking_pool(), [&h, full, msg, count] { h.message_waiting(full, msg, count); });
  };
}

void hibernate(c2s_service& svc, std::shared_ptr<c2s_session> s, std::uint64_t gen, const asio::any_io_executor& ex) {
  auto t = std::make_shared<asio::steady_timer>(ex, svc.opts.resume_timeout);
  t->async_wait([t, s = std::move(s), gen, &svc](const boost::system::error_code&) {
    if (s->generation() != gen) return;  // resumed meanwhile (here, or handed over)
    asio::post(net::blocking_pool(), [s, &svc] {
      auto unacked = s->close_for_good();
      {
        std::lock_guard lk(svc.mu);
        svc.resumable.erase(s->sm_id());
      }
      svc.hub_.unbind(*s);
      route_again(svc.hub_, unacked);
    });
  });
}

std::string handover_node(c2s_service& svc, const std::string& previd) {
  {
    std::lock_guard lk(svc.mu);
    if (auto m = svc.moved.find(previd); m != svc.moved.end()) return m->second.first;
  }
  // The id travels as an envelope's arg: printable, no space.
  if (previd.size() > 256 || std::any_of(previd.begin(), previd.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; }))
    return {};
  auto dot = previd.rfind('.');
  if (dot == std::string::npos) return {};
  std::string node = previd.substr(0, dot);
  if (!plausible_node(node) || node == svc.hub_.node()) return {};
  return node;
}

asio::awaitable<std::shared_ptr<c2s_session>> fetch_session(c2s_service& svc, const std::string& node,
                                                            const std::string& previd, const std::string& user) {
  auto ex = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(ex, svc.opts.handover_timeout);
  auto got = std::make_shared<std::shared_ptr<c2s_session>>();
  const std::string ask = log::new_id() + log::new_id();
  {
    std::lock_guard lk(svc.mu);
    const auto now = clock::now();
    std::erase_if(svc.waiting, [&](const auto& w) { return now - w.second.since > forget_requests_after; });
    c2s_service::waiter w;
    // On the negotiation's strand: `got` is read there once the timer is done.
    w.done = [timer, got, ex](std::shared_ptr<c2s_session> s) {
      asio::post(ex, [timer, got, s] {
        *got = s;
        timer->cancel();
      });
    };
    w.ex = ex;
    w.since = now;
    svc.waiting[ask] = std::move(w);
  }
  handover_request r{user, svc.hub_.node(), ask, 0};
  svc.hub_.forward_envelope(node, {forward_kind::resume_request, previd, encode_handover_request(r)});
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  {
    std::lock_guard lk(svc.mu);
    if (auto it = svc.waiting.find(ask); it != svc.waiting.end()) it->second.done = nullptr;
  }
  if (!*got) log::info("xmpp.handover.failed", {{"previd", previd}, {"node", node}});
  co_return *got;
}

void c2s_service::on_handover(envelope e) {
  const std::string previd = e.arg;
  try {
    if (e.kind == forward_kind::resume_request)
      give(*this, std::move(e));
    else
      take(*this, std::move(e));
  } catch (const std::exception& ex) {
    log::error("xmpp.handover.error", {{"previd", previd}, {"error", ex.what()}});
  }
}

}  // namespace hearth::xmpp
