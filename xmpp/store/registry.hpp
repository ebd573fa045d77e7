// Which node holds which XMPP session, for several nodes on one PostgreSQL database (README
// "Several nodes"): the router asks it where a full JID is bound, and which resources of a bare
// JID are available at which priority (RFC 6121 §8.5.2.1.1 bare-JID routing) with their last
// presence (answers to probes, RFC 6121 §4.3.2), so that a stanza for a session on another node
// is forwarded there. It also says which node runs each group-chat room, since a room's
// occupants and history live in the memory of one node.
//
// Liveness: a node refreshes its heartbeat (every lease/4 or so). Rows of a node whose
// heartbeat is older than the lease count as gone and expire() deletes them, so a node killed
// with -9 stops receiving stanzas within the lease. On PostgreSQL a node also records the
// server process id of a database connection it keeps open (its stanza listener): when that
// process is gone (its node died, so its socket closed), the node counts as gone at once,
// without waiting for the lease. forget_node() runs at a node's start for its own id (rows
// left by its previous life) and at a clean stop.
//
// On SQLite there is one node and the hub runs without a registry (nothing is written).
//
// Times are seconds since the epoch, passed in (the tests move them). Errors: "db.*" values.
// Thread-safety: every method may be called from any thread; calls block on the database.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::xmpp {

struct bound_session {
  std::string full;      // full JID
  std::string node;      // node id (DATA_DIR/node-id)
  int priority = 0;      // RFC 6121 §4.7.2.3
  bool available = false;
  std::string presence;  // last available presence, serialized; empty when unavailable
};

struct room_claim {
  std::string node;      // the room's home
  bool claimed = false;  // `node` took the claim in this call
};

class session_registry {
 public:
  virtual ~session_registry() = default;
  // The node's heartbeat; `backend` is the PostgreSQL process id of the connection the node
  // keeps open (0: none known, the lease alone decides).
  virtual result<void> heartbeat(std::string_view node, std::int64_t backend, std::int64_t now) = 0;
  // A resource bound on `node` (replaces a row of the same full JID, whatever its node).
  virtual result<void> bind(std::string_view full, std::string_view node) = 0;
  // Its presence changed. Only the row of that node is touched.
  virtual result<void> update(std::string_view full, std::string_view node, int priority, bool available,
                              std::string_view presence) = 0;
  // The session ended. Only the row of that node goes (a newer bind elsewhere stays).
  virtual result<void> unbind(std::string_view full, std::string_view node) = 0;
  // The sessions of an account on live nodes (every node, the caller's included).
  virtual result<std::vector<bound_session>> sessions_of(std::string_view bare, std::int64_t now) = 0;
  // The session of a full JID on a live node.
  virtual result<std::optional<bound_session>> find(std::string_view full, std::int64_t now) = 0;
  // The node that runs `room`: the live node that claimed it, or `node` when none did (or the
  // claimer is gone), which then holds the claim (`claimed` true: the room's state in that
  // node's memory may be stale, it reads the room again).
  virtual result<room_claim> room_home(std::string_view room, std::string_view node, std::int64_t now) = 0;
  // The nodes alive at `now` (the caller's included once it has beaten), sorted.
  virtual result<std::vector<std::string>> live_nodes(std::int64_t now) = 0;
  // A stanza too big for a NOTIFY payload, waiting for `node` to take it; returns its id.
  virtual result<std::int64_t> relay_put(std::string_view node, std::string_view payload, std::int64_t now) = 0;
  // Reads and deletes it; nullopt when there is no such id for `node` (taken, or expired).
  virtual result<std::optional<std::string>> relay_take(std::int64_t id, std::string_view node) = 0;
  // Deletes every row of `node` (its sessions, its rooms' claims, its relayed stanzas and its
  // heartbeat).
  virtual result<void> forget_node(std::string_view node) = 0;
  // Deletes the rows of nodes gone at `now`, and relayed stanzas older than the lease (their
  // notification was lost); returns the sessions those nodes held, each to exactly one caller
  // (the node that tells their contacts they are gone).
  virtual result<std::vector<bound_session>> expire(std::int64_t now) = 0;
};

// Tables in `target` (a PostgreSQL URL, or a SQLite file for tests) under the migration
// component "xmpp_registry". `lease`: how long a node counts as alive after its heartbeat.
result<std::unique_ptr<session_registry>> open_session_registry(const std::string& target,
                                                                 std::chrono::seconds lease);

}  // namespace hearth::xmpp
