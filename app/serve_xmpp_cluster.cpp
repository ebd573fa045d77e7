#include "app/serve_xmpp_cluster.hpp"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "app/common.hpp"
#include "core/events/bus.hpp"
#include "core/log/log.hpp"
#include "core/pg/notify_channel.hpp"
#include "core/sql/sql.hpp"
#include "mail/queue/store.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/router/link.hpp"
#include "xmpp/store/registry.hpp"

namespace hearth::app {

namespace {

constexpr std::string_view channel_prefix = "hearth_xmpp_";
// Published by a node that takes a room's claim: key the room, data the node.
constexpr std::string_view room_home_topic = "xmpp.room_home";

struct cluster_state {
  std::string node;
  xmpp::hub* hub = nullptr;
  std::unique_ptr<xmpp::session_registry> registry;
  std::unique_ptr<pg::notify_channel> channel;
  std::unique_ptr<xmpp::node_link> link;
  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::thread beat;
  events::subscription room_homes;
  // xmpp.node_heartbeat: several beats per lease (config checks it), so a slow database has
  // room before a live node's sessions would be taken for gone.
  std::chrono::seconds beat_every{5};

  // The live nodes: the hub forgets the rooms it saw homed on a node that is gone, and sends
  // the room stanzas it held for such a node to the rooms' new homes.
  void check_room_homes() {
    auto live = registry->live_nodes(xmpp::now_us() / 1000000);
    if (!live) {
      log::warn("xmpp.cluster.error", {{"op", "live_nodes"}, {"error", live.error().message}});
      return;
    }
    hub->room_homes_alive(*live);
  }

  // Waits `wait`, checking the room homes every second meanwhile, so that a stanza for a room
  // whose home died goes to the registry (and a new home) about a second after the death, not
  // a heartbeat after. True when stopping.
  bool wait_checking_rooms(std::chrono::seconds wait) {
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + wait;
    for (;;) {
      {
        std::unique_lock lk(m);
        if (cv.wait_until(lk, std::min(until, clock::now() + std::chrono::seconds(1)), [&] { return stopping; }))
          return true;
      }
      if (clock::now() >= until) return false;
      check_room_homes();
    }
  }

  void beat_loop() {
    int recorded = -1;
    for (;;) {
      const auto now = xmpp::now_us() / 1000000;
      const int backend = channel->listener_pid();
      if (auto r = registry->heartbeat(node, backend, now); !r) {
        log::warn("xmpp.cluster.error", {{"op", "heartbeat"}, {"error", r.error().message}});
      } else if (backend != recorded) {
        recorded = backend;
        log::info("xmpp.cluster.heartbeat", {{"node", node}, {"backend", std::int64_t(backend)}});
      }
      check_room_homes();
      if (auto gone = registry->expire(now); !gone) {
        log::warn("xmpp.cluster.error", {{"op", "expire"}, {"error", gone.error().message}});
      } else if (!gone->empty()) {
        log::info("xmpp.cluster.expired", {{"sessions", std::uint64_t(gone->size())}});
        hub->sessions_gone(*gone);
      }
      // Sooner while the listener has not connected, so that its process id is on record.
      if (wait_checking_rooms(backend == 0 ? std::chrono::seconds(1) : beat_every)) return;
    }
  }

  void stop() {
    {
      std::lock_guard lk(m);
      if (stopping) return;
      stopping = true;
    }
    cv.notify_all();
    if (beat.joinable()) beat.join();
    room_homes.reset();
    channel->stop();
    // A clean stop hands over at once: the other nodes see this node's sessions gone now
    // rather than after the lease.
    if (auto r = registry->forget_node(node); !r)
      log::warn("xmpp.cluster.error", {{"op", "forget_node"}, {"error", r.error().message}});
  }
};

}  // namespace

bool install_xmpp_cluster(serve_context& ctx, xmpp::hub& hub, std::shared_ptr<void>& state) {
  const std::string target = database_target(ctx.cfg, "xmpp.db");
  if (!sql::is_postgres_target(target)) return true;
  auto node = mail::queue::node_id(ctx.cfg.data_dir);
  if (!node) {
    log::error("xmpp.cluster", {{"error", node.error().message}});
    return false;
  }
  // How long a node's sessions and rooms count after its last heartbeat (xmpp.node_lease): a
  // node that hangs or loses the database stops getting stanzas after this. A node killed with
  // -9 is seen gone sooner, by its listening connection's end (registry.hpp).
  const std::chrono::seconds lease{ctx.cfg.xmpp_node_lease};
  auto reg = xmpp::open_session_registry(target, lease);
  if (!reg) {
    log::error("xmpp.cluster", {{"part", "registry"}, {"code", reg.error().code}, {"error", reg.error().message}});
    return false;
  }
  auto st = std::make_shared<cluster_state>();
  st->node = *node;
  st->hub = &hub;
  st->registry = std::move(*reg);
  st->beat_every = std::chrono::seconds(ctx.cfg.xmpp_node_heartbeat);
  // Rows of this node's previous life (a kill -9) are stale: none of its sessions survived.
  if (auto r = st->registry->forget_node(st->node); !r) {
    log::error("xmpp.cluster", {{"part", "registry"}, {"error", r.error().message}});
    return false;
  }
  pg::notify_channel_options o;
  o.url = target;
  o.channel = pg::channel_name(channel_prefix, st->node);
  st->channel = std::make_unique<pg::notify_channel>(o);
  st->link = std::make_unique<xmpp::node_link>(*st->registry, st->node, [ch = st->channel.get()](const std::string& to_node, std::string text) {
    ch->send(pg::channel_name(channel_prefix, to_node), std::move(text));
  });
  st->channel->start([&hub, link = st->link.get()](std::string payload) {
    auto e = link->receive(payload);
    if (!e) return;
    try {
      hub.handle_forwarded(std::move(*e));
    } catch (const std::exception& ex) {
      log::error("xmpp.cluster.error", {{"op", "handle_forwarded"}, {"error", ex.what()}});
    }
  });
  xmpp::hub::cluster_options co;
  co.registry = st->registry.get();
  co.node = st->node;
  co.forward = [link = st->link.get()](const std::string& to_node, const xmpp::envelope& e) { link->forward(to_node, e); };
  // A room taken over here: the other nodes forget where they cached it (hub::room_home).
  co.claimed = [&bus = ctx.bus, node = st->node](const std::string& room) {
    bus.publish({std::string(room_home_topic), room, node});
  };
  st->room_homes = ctx.bus.subscribe(std::string(room_home_topic), [&hub, node = st->node](const events::event& e) {
    if (e.resync) hub.forget_room_home("");
    else if (e.data != node) hub.forget_room_home(e.key, e.data);
  });
  // Tests only: room stanzas of this name (e.g. "message") are handled here and never
  // acknowledged, which makes the window "handled, then killed before the ack" as wide as a
  // test needs (e2e.xmpp_muc_resent).
  if (const char* kind = std::getenv("HEARTH_TEST_XMPP_UNACKED"); kind && *kind) {
    log::warn("xmpp.cluster.test_hook", {{"unacked", std::string(kind)}});
    co.acknowledge = [kind = std::string(kind)](const xmpp::element& st) { return st.name != kind; };
  }
  hub.set_cluster(std::move(co));
  if (auto r = st->registry->heartbeat(st->node, 0, xmpp::now_us() / 1000000); !r) {
    log::error("xmpp.cluster", {{"part", "heartbeat"}, {"error", r.error().message}});
    return false;
  }
  st->beat = std::thread([s = st.get()] { s->beat_loop(); });
  ctx.on_stop.push_back([st] { st->stop(); });
  state = st;
  log::info("xmpp.cluster", {{"node", st->node}, {"channel", o.channel}, {"lease_s", std::int64_t(lease.count())},
                            {"heartbeat_s", std::int64_t(st->beat_every.count())}});
  return true;
}

}  // namespace hearth::app
