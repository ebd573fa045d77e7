#include "xmpp/modules/push/service.hpp"

#include "core/log/log.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp::push {

namespace {

iq_reply handle(hub&, xmpp::request& r, const element& payload, push_store& store, const options& opts) {
  auto p = parse(payload);
  if (!p.req) {
    log::info("xmpp.push.refused", {{"jid", r.from.full.full()}, {"why", p.error}});
    return iq_reply::error("modify", "bad-request");
  }
  const std::string account = r.from.full.bare();
  auto& reg = p.req->reg;
  if (!p.req->enable) {
    auto n = store.remove(account, reg.jid, reg.node);
    log::info("xmpp.push.disabled", {{"jid", account}, {"app_server", reg.jid}, {"removed", std::to_string(n)}});
    return iq_reply::ok();
  }
  // Abuse limit: a client that registers a new node at every start would grow the list forever.
  if (!store.has(account, reg.jid, reg.node) && store.list(account).size() >= opts.max_per_account)
    return iq_reply::error("wait", "resource-constraint");
  reg.resource = r.from.full.resource;
  store.put(account, reg);
  log::info("xmpp.push.enabled", {{"jid", r.from.full.full()}, {"app_server", reg.jid}});
  return iq_reply::ok();
}

// A message waits for `owner`: a full JID (that session's registrations) or a bare JID (stored
// offline: every registration of the account).
void notify(hub& h, push_store& store, const options& opts, const std::string& owner, const element& msg,
            std::size_t count) {
  auto j = jid::parse(owner);
  if (!j || j->local.empty()) return;
  const std::string account = j->bare();
  std::vector<registration> regs;
  try {
    regs = store.list(account);
  } catch (const std::exception& e) {
    log::error("xmpp.push.store", {{"jid", account}, {"error", e.what()}});
    return;
  }
  summary s;
  s.detailed = opts.summary;
  s.message_count = count;
  s.last_sender = msg.get("from");
  for (const auto& reg : regs) {
    if (!j->resource.empty() && reg.resource != j->resource) continue;
    h.send_from_component(notification(account, reg, "push-" + log::new_id(), s));
    log::info("xmpp.push.sent", {{"jid", owner}, {"app_server", reg.jid}});
  }
}

}  // namespace

void install(hub& h, push_store& store, options opts) {
  if (opts.max_per_account == 0) return;
  h.add_feature(std::string(ns_push), true);
  auto o = std::make_shared<options>(opts);
  auto handler = [&store, o](hub& hb, xmpp::request& r, const element& payload) { return handle(hb, r, payload, store, *o); };
  h.on_iq("set", ns_push, static_cast<int>(target::own_account), handler);
  h.on_waiting([&store, o](hub& hb, const std::string& owner, const element& msg, std::size_t count) {
    notify(hb, store, *o, owner, msg, count);
  });
}

}  // namespace hearth::xmpp::push
