#include "xmpp/modules/push/service.hpp"

#include <deque>
#include <map>
#include <mutex>

#include "core/log/log.hpp"
#include "xmpp/modules/push/proto/throttle.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp::push {

namespace {

// The notifications sent recently, by iq id, so that an error from the app server names the
// registration it is about (XEP-0357 §7: the server may then disable it).
class sent_log {
 public:
  void add(const std::string& id, std::string account, registration r) {
    std::lock_guard lk(mu_);
    by_id_[id] = {std::move(account), std::move(r)};
    order_.push_back(id);
    while (order_.size() > max_) {
      by_id_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::optional<std::pair<std::string, registration>> take(const std::string& id) {
    std::lock_guard lk(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    auto out = std::move(it->second);
    by_id_.erase(it);
    return out;
  }

 private:
  static constexpr std::size_t max_ = 10000;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, registration>> by_id_;
  std::deque<std::string> order_;
};

// The throttle shared by the hub's threads.
struct paced {
  std::mutex mu;
  throttle t;
  explicit paced(std::int64_t interval_us) : t(interval_us) {}
  bool allow(const std::string& key, std::size_t waiting) {
    std::lock_guard lk(mu);
    return t.allow(key, waiting, now_us());
  }
};

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
void notify(hub& h, push_store& store, const options& opts, sent_log& sent, paced& pace, const std::string& owner,
            const element& msg, std::size_t count) {
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
    if (!pace.allow(account + '\0' + reg.jid + '\0' + reg.node, count)) {
      log::info("xmpp.push.throttled", {{"jid", owner}, {"app_server", reg.jid}, {"waiting", std::to_string(count)}});
      continue;
    }
    const std::string id = "push-" + log::new_id() + log::new_id();
    sent.add(id, account, reg);
    h.send_from_component(notification(account, reg, id, s));
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
  auto sent = std::make_shared<sent_log>();
  auto pace = std::make_shared<paced>(opts.interval_us);
  h.on_waiting([&store, o, sent, pace](hub& hb, const std::string& owner, const element& msg, std::size_t count) {
    notify(hb, store, *o, *sent, *pace, owner, msg, count);
  });
  // XEP-0357 §7: an app server that answers a notification with an error no longer wants
  // that node's notifications (the device is gone): the registration is removed.
  h.on_answer([&store, sent](hub&, const element& iq) {
    auto what = sent->take(iq.get("id"));
    if (!what || iq.get("type") != "error") return;
    auto from = jid::parse(iq.get("from"));
    if (!from || from->full() != what->second.jid || jid::parse(iq.get("to")).value_or(jid{}).bare() != what->first) return;
    store.remove(what->first, what->second.jid, what->second.node);
    log::info("xmpp.push.disabled", {{"jid", what->first}, {"app_server", what->second.jid}, {"why", "app server error"}});
  });
}

}  // namespace hearth::xmpp::push
