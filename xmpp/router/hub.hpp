// The XMPP server's heart: the bound client sessions of this host, and the RFC 6121 rules
// that move stanzas between them (message routing §8, presence and subscriptions §3-4, the
// roster §2), with the modules (one per XEP, xmpp/modules/) plugged in through a table.
//
// Sans-I/O: a session is an abstract `session` whose send() queues a stanza for its socket;
// the Asio code lives in xmpp/c2s. handle() runs a client's stanza to completion (storage
// included), so sessions call it off the I/O threads (net::run_blocking).
//
// Thread-safety: every hub member may be called from any thread. session::send() must be
// thread-safe; the session fields below are guarded by session::mu.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/router/envelope.hpp"
#include "xmpp/store/registry.hpp"
#include "xmpp/store/store.hpp"
#include "xmpp/stream/jid.hpp"
#include "xmpp/stream/xml.hpp"

namespace hearth::directory {
class directory;
}

namespace hearth::xmpp {

inline constexpr std::string_view ns_roster = "jabber:iq:roster";
inline constexpr std::string_view ns_carbons = "urn:xmpp:carbons:2";
inline constexpr std::string_view ns_forward = "urn:xmpp:forward:0";
inline constexpr std::string_view ns_delay = "urn:xmpp:delay";
inline constexpr std::string_view ns_sid = "urn:xmpp:sid:0";
inline constexpr std::string_view ns_hints = "urn:xmpp:hints";
inline constexpr std::string_view ns_blocking = "urn:xmpp:blocking";

// A bound resource (RFC 6120 §7).
class session {
 public:
  virtual ~session() = default;
  // Queues a stanza for the client. Thread-safe; never blocks on the network.
  virtual void send(const element& stanza) = 0;
  // Ends the session with a stream error (e.g. "conflict" when the resource is taken over).
  virtual void kick(std::string condition) = 0;
  // False once the session takes no more stanzas (its client stopped reading and its queue
  // overflowed): it is ending, and senders treat it as gone (a room drops the occupant).
  virtual bool accepting() { return true; }
  // True once the session is handed over to another node (XEP-0198 resumption there): what
  // still reaches it here is relayed to that node until that node's bind retires it.
  virtual bool relaying() { return false; }

  jid full;  // set before bind, constant afterwards

  std::mutex mu;  // guards the fields below
  int priority = 0;
  bool available = false;    // sent initial presence and not unavailable since
  bool interested = false;   // requested the roster (RFC 6121 §2.1.6: gets roster pushes)
  bool carbons = false;      // XEP-0280 enabled
  std::optional<element> presence;       // last broadcast available presence
  std::set<std::string> directed;        // full JIDs that got directed presence (RFC 6121 §4.6)
};

// The stanza being handled and where it came from.
struct request {
  session& from;    // the sending client's session
  element stanza;   // from= already stamped with the session's full JID
  jid to;           // parsed to= (the account's bare JID when absent)
};

// An iq handler answers with a result payload (or none), or an error.
struct iq_reply {
  std::optional<element> payload;
  std::string error_type;        // empty = result
  std::string error_condition;   // RFC 6120 §8.3.3
  static iq_reply ok(std::optional<element> p = std::nullopt) { return {std::move(p), {}, {}}; }
  static iq_reply error(std::string type, std::string cond) { return {std::nullopt, std::move(type), std::move(cond)}; }
};

// A room stanza another node sent here and holds until this node acknowledges it
// (hub::cluster_options::max_held): `key` ("SEQ/NODE", the sending node and its number for the
// stanza, never reused by that node, across restarts too) names it, and `resent` says the node
// sends it again because the room's previous home died before acknowledging it, so that home
// may have handled it already. Empty `key` for a stanza handled where it arrived.
struct held_key {
  std::string key;
  bool resent = false;
};

enum class target {
  server = 1,       // to the domain (or no to= for some namespaces)
  own_account = 2,  // to the user's own bare JID, or no to=
  other_account = 4 // to another local account's bare JID
};
using iq_handler = std::function<iq_reply(class hub&, request&, const element& payload)>;

struct hub_options {
  std::string hostname;             // the server's name (stream from= on s2s later)
  std::size_t max_resources = 10;   // per account
  std::size_t offline_limit = 1000; // stanzas per account
};

class hub {
 public:
  hub(hub_options opts, store& st, directory::directory& dir);

  const hub_options& options() const { return opts_; }
  store& db() { return store_; }
  bool is_local_domain(std::string_view domain);
  bool account_exists(std::string_view bare);

  // ---- modules (xmpp/modules/) ----
  // `ns` + "get"/"set" of the iq's payload; `targets` a mask of target values.
  void on_iq(std::string_view type, std::string_view ns, int targets, iq_handler h);
  // Features announced in the server's (and, with account=true, accounts') disco#info.
  void add_feature(std::string feature, bool account = false);
  const std::vector<std::string>& features(bool account) const { return account ? account_features_ : server_features_; }
  // XEP-0115 entity capabilities of the server (set once the modules are installed).
  void set_caps_ver(std::string ver) { caps_ver_ = std::move(ver); }
  const std::string& caps_ver() const { return caps_ver_; }
  static constexpr std::string_view caps_node = "https://hearth.invalid/caps";
  // Hook on every message a local account sends or receives (MAM). `outgoing` is relative to `owner`.
  using message_hook = std::function<void(hub&, const std::string& owner, element& msg, bool outgoing)>;
  void on_message(message_hook h) { message_hooks_.push_back(std::move(h)); }
  // Hook when a session becomes available (initial presence): PEP last-item notifications.
  using session_hook = std::function<void(hub&, session&)>;
  void on_available(session_hook h) { available_hooks_.push_back(std::move(h)); }
  // Hook when a message waits for a client that cannot see it now (push, XEP-0357): `owner` is
  // the full JID of a session that is hibernated (XEP-0198, waiting for resumption) or
  // inactive (XEP-0352), or the bare JID when the message was stored offline; `count` the
  // messages waiting so far. Called without hub locks held; must not throw.
  using waiting_hook = std::function<void(hub&, const std::string& owner, const element& msg, std::size_t count)>;
  void on_waiting(waiting_hook h) { waiting_hooks_.push_back(std::move(h)); }
  void message_waiting(const std::string& owner, const element& msg, std::size_t count);
  // Hook on an iq result or error addressed to an account's bare JID (from a component or
  // over s2s): the answer to a request the server made for the account (a push
  // notification). Nobody else gets it.
  using answer_hook = std::function<void(hub&, const element& iq)>;
  void on_answer(answer_hook h) { answer_hooks_.push_back(std::move(h)); }
  void iq_answer(const element& iq);

  // ---- sessions ----
  // Binds s->full. RFC 6120 §7.7.2.2: an existing session with the same full JID is kicked
  // with <conflict/>. Returns false if the account has max_resources sessions already.
  bool bind(const std::shared_ptr<session>& s);
  void unbind(session& s);  // broadcasts unavailable if it was available
  std::vector<std::shared_ptr<session>> sessions_of(std::string_view bare);
  std::shared_ptr<session> find(std::string_view full);
  std::size_t session_count();

  // ---- stanzas from a bound client (stamped and checked by the session) ----
  void handle(request& r);

  // ---- helpers for modules ----
  void send_to_account(std::string_view bare, const element& stanza);  // every session
  void roster_push(std::string_view owner, const roster_item& item, std::int64_t ver, bool removed = false);
  element roster_item_xml(const roster_item& it, bool removed = false) const;
  // The bare JIDs subscribed to `owner`'s presence (sub_from).
  std::vector<std::string> presence_subscribers(std::string_view owner);
  bool is_blocked(std::string_view owner, std::string_view jid);
  void invalidate_blocklist(std::string_view owner);
  // Routes a message/presence/iq generated by the server (PEP notifications...).
  void route(element stanza);

  // ---- federation (xmpp/s2s) ----
  // Stanzas for other domains go to `f` (from= and to= set, jabber:client namespace); without
  // it they bounce with remote-server-not-found. Set once before the listeners start.
  using remote_sender = std::function<void(element stanza)>;
  void set_remote(remote_sender f) { remote_ = std::move(f); }
  // A stanza received from an authenticated remote domain (from= checked by the s2s session,
  // to= a local JID; jabber:client namespace): RFC 6121 inbound processing.
  void handle_remote(element stanza);

  // ---- components (group chat on conference.DOMAIN) ----
  // Every stanza addressed to `domain` or a JID at it, from a local client, over s2s or
  // generated by the server, goes to `f` (from= stamped, jabber:client) instead of the account
  // rules; `name` is listed in the server's disco#items. Set before the listeners start.
  using component_handler = std::function<void(element stanza)>;
  // With `per_room`, a stanza for a JID with a local part at `domain` (a room) is handled on
  // that room's home node when there are several (see set_cluster); without, on any node.
  // `on_claim(room)` runs when this node has just become a room's home (its first stanza, or
  // its home node died), before the stanza that made it so reaches `f`: the component reads
  // the room again, since what it kept in memory may be stale.
  using claim_handler = std::function<void(const std::string& room)>;
  void add_component(std::string domain, std::string name, component_handler f, bool per_room = false,
                     claim_handler on_claim = {});
  // As above, for a component that tells a stanza resent after its room's home died from
  // the first sending (held_key): group chat, which must not handle a message twice.
  using keyed_component_handler = std::function<void(element stanza, const held_key& key)>;
  void add_component(std::string domain, std::string name, keyed_component_handler f, bool per_room = false,
                     claim_handler on_claim = {});
  bool is_component(std::string_view domain) const { return components_.count(std::string(domain)) != 0; }
  // A local domain or a component's: what s2s accepts streams for.
  bool serves_domain(std::string_view domain) { return is_component(domain) || is_local_domain(domain); }
  // (jid, name) of each component, for disco#items.
  std::vector<std::pair<std::string, std::string>> component_items() const;
  // Sends a stanza from a component (from= its JID): to a local session by full JID, to an
  // account's bare JID by the RFC 6121 rules, to another component, or over s2s. Returns
  // false only when a full JID of a local account names no session (the occupant is gone).
  bool send_from_component(element stanza);

  // ---- several nodes on one database (README "Several nodes") ----
  // Sessions bound here are recorded in `registry` under `node`; a stanza whose destination
  // is bound on another node goes to `forward` (node_link::forward, link.hpp), called without
  // hub locks held; it queues for the transport and may block on the database briefly (as the
  // rest of handle() does). Without set_cluster (one node, SQLite)
  // nothing is recorded or forwarded. Set once before the listeners start.
  struct cluster_options {
    session_registry* registry = nullptr;
    std::string node;
    std::function<void(const std::string& node, const envelope& e)> forward;
    // Called (no hub lock held) when this node has just taken a room's claim, so that the
    // other nodes forget where they cached the room (the app says it on the event bus, and
    // each node's subscriber calls forget_room_home()). May be empty.
    std::function<void(const std::string& room)> claimed;
    // Rooms whose home this process keeps (forget_room_home() below).
    std::size_t max_room_homes = 10000;
    // A room stanza sent to its home on another node is held here until that node
    // acknowledges it (an `ack` envelope), because a NOTIFY to a node that has just died is
    // dropped without a word: when the check of the live nodes finds the home gone, the held
    // stanzas go to the room's new home. Bounded: a room stanza that would pass `max_held`
    // stanzas or `max_held_bytes` is refused at once (wait, resource-constraint); one that
    // a live home leaves unacknowledged for `hold_for` is answered with an error (wait,
    // remote-server-timeout), so the client knows to send it again.
    std::size_t max_held = 2000;
    std::size_t max_held_bytes = 16u << 20;
    std::chrono::seconds hold_for{15};
    // Tests only (app: HEARTH_TEST_XMPP_UNACKED): a forwarded room stanza for which this
    // returns false is handled here but never acknowledged, as if this node died between the
    // two, so that the sender sends it again once this node is gone. Empty: every one is.
    std::function<bool(const element& stanza)> acknowledge{};
  };
  void set_cluster(cluster_options c) { cluster_ = std::move(c); }
  // An envelope another node forwarded here: runs its step of the rules on this node's
  // sessions only (the sending node did the checks and the archiving).
  void handle_forwarded(envelope e);
  // Sessions of a node that is gone (session_registry::expire()): their contacts and the
  // accounts' other resources get unavailable presence from them (RFC 6121 §4.5.2, said for
  // the dead node).
  void sessions_gone(const std::vector<bound_session>& gone);
  // Hooks run after sessions_gone() with the same sessions (on the caller's thread, no hub lock
  // held; they may block on the database): group chat seats them out of their rooms.
  using gone_hook = std::function<void(const std::vector<bound_session>& gone)>;
  void on_sessions_gone(gone_hook h) {
    std::lock_guard lk(mu_);
    gone_hooks_.push_back(std::move(h));
  }
  // Where each room lives is cached per process: a claim stays with its node while that node
  // lives, so the registry is asked once per room, not on every room stanza. An entry goes
  // when another node takes the room (forget_room_home(room, new_home), from the bus; ""
  // forgets every room after the bus may have lost events) or when its node is no longer
  // among the live nodes (room_homes_alive(), from the heartbeat thread). A claim leaves a
  // node only when that node is gone (or restarted), so a take-over by another node also
  // drops every other room cached on the old home. Bounded by
  // cluster_options::max_room_homes. forget_room_home only touches the cache: it runs on the
  // bus's thread.
  void forget_room_home(std::string_view room, std::string_view new_home = {});
  // The live nodes (the heartbeat thread, every second): forgets the rooms of the others,
  // sends the room stanzas held for them (cluster_options::max_held) to the rooms' new
  // homes, and answers those a live node left unacknowledged past hold_for.
  void room_homes_alive(const std::vector<std::string>& live);
  std::size_t room_homes_cached();
  // Room stanzas sent to other nodes and not yet acknowledged.
  std::size_t held_count();
  // This node's id ("" without set_cluster), and whether there are several nodes.
  const std::string& node() const { return cluster_.node; }
  bool clustered() const { return cluster_.registry != nullptr; }
  // Sends an envelope to another node as it is (the c2s sessions' hand-overs).
  void forward_envelope(const std::string& node, const envelope& e);

  // ---- XEP-0198 resumption on another node (xmpp/c2s, handover.hpp) ----
  // The envelopes of kind resume_request and handover go to `h` (on the thread that received
  // them: keep it short; it may block on the database briefly). Without one, a request is
  // refused with item-not-found. Set once, before clients connect.
  using handover_handler = std::function<void(envelope)>;
  void on_handover(handover_handler h) {
    std::lock_guard lk(mu_);
    handover_ = std::move(h);
  }
  // Binds a session handed over from another node with its presence state as it was (no
  // initial presence is sent or asked for: its contacts saw it already). As bind().
  bool adopt(const std::shared_ptr<session>& s);
  // Forgets a session handed over to another node: no unavailable presence (it lives on
  // there), and only this node's registry row goes.
  void handed_over(session& s);

 private:
  void handle_iq(request& r);
  void handle_message(request& r);
  void handle_presence(request& r);
  void deliver_message(element msg, const jid& to, bool from_local_account);
  void deliver_presence(const element& p, const jid& to);
  void broadcast_presence(session& s, const element& p);
  void presence_subscription(request& r, const std::string& type);
  void inbound_subscription(const std::string& type, const jid& from, const std::string& contact_bare);
  void send_probe_answers(session& s);
  void deliver_offline(session& s);
  void carbon_copy(const element& msg, std::string_view owner, const session* except, bool sent);
  // The *_local steps skip a local session moved_away() (`remote`: as for
  // deliver_account_local), so that a session being handed over gets one copy.
  void carbon_copy_local(const element& msg, std::string_view owner, const session* except, bool sent,
                         const std::vector<bound_session>* remote = nullptr);
  void store_offline(const element& msg, const jid& to);
  // `remote`: the account's sessions on other nodes when the caller has them (else asked
  // for, only if a local session is relaying).
  bool deliver_account_local(const element& msg, const std::string& bare, int best,
                             const std::vector<bound_session>* remote = nullptr);
  // A local session handed over to another node that has bound it already: that node
  // delivers to it, so a copy sent here too (and relayed) would arrive twice.
  bool moved_away(session& s, const std::vector<bound_session>* remote);
  void deliver_presence_local(const element& p, const jid& to, const std::vector<bound_session>* remote = nullptr);
  void roster_push_local(std::string_view owner, const element& iq, const std::vector<bound_session>* remote = nullptr);
  // Several nodes (cluster.cpp): the sessions of `bare` bound on other nodes (none without a
  // registry, or when it fails: logged), one on another node by full JID, forwarding.
  std::vector<bound_session> remote_sessions(std::string_view bare);
  std::optional<bound_session> remote_find(std::string_view full);
  void forward(const std::string& node, forward_kind k, std::string arg, const element& st);
  void forward_to_nodes(const std::vector<bound_session>& where, forward_kind k, const std::string& arg,
                        const element& st, std::string_view skip_node = {});
  // A stanza as it is to a session by full JID, here or on another node; false when none.
  bool send_to_full(std::string_view full, const element& st);
  // The last available presence of each resource of `bare` on every node, from= its full JID.
  std::vector<element> available_presences(std::string_view bare, const session* except = nullptr);
  void registry_update(session& s);
  void bounce(const element& stanza, std::string_view type, std::string_view condition);

  hub_options opts_;
  store& store_;
  directory::directory& dir_;

  std::mutex mu_;  // sessions_ and blocked_
  // Subscription changes read and write two rosters (the user's item and the contact's); two
  // threads handling A->B and B->A at once would each write back what they read before the
  // other's change and lose it. Recursive: an inbound request may answer itself ("subscribed").
  std::recursive_mutex subscription_mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<session>>> sessions_;
  std::unordered_map<std::string, std::set<std::string>> blocked_;  // cache by owner

  std::map<std::string, std::pair<int, iq_handler>> iq_handlers_;  // "get ns"
  std::vector<std::string> server_features_, account_features_;
  std::string caps_ver_;
  std::vector<message_hook> message_hooks_;
  std::vector<session_hook> available_hooks_;
  std::vector<waiting_hook> waiting_hooks_;
  std::vector<answer_hook> answer_hooks_;
  std::vector<gone_hook> gone_hooks_;  // guarded by mu_: the heartbeat thread may expire sessions at start
  remote_sender remote_;
  struct component {
    std::string name;
    keyed_component_handler handler;
    bool per_room = false;
    claim_handler on_claim;
  };
  std::map<std::string, component> components_;  // by domain; constant once serving
  // `hops`: how many nodes sent it on as the room's home already. A node whose cache was
  // stale (this node restarted, or the room moved) may send it to a node that is not the home:
  // that node sends it on once more, after which it is handled where it is. `key`: what the
  // component is told when it handles it here. `resend`: this node's own held stanza of that
  // number, sent again (room_homes_alive), which keeps its number if it goes to another node.
  void to_component(element stanza, const jid& to, int hops = 0, const held_key& key = {},
                    std::uint64_t resend = 0);
  // The room's home from the cache, else from the registry (nullopt when the registry fails).
  std::optional<room_claim> room_home(const std::string& room);
  std::mutex homes_mu_;
  std::unordered_map<std::string, std::string> room_homes_;  // room -> node, guarded by homes_mu_
  // A room stanza on its way to its home on another node (cluster_options::max_held).
  struct held_stanza {
    std::string node;
    element stanza;
    std::chrono::steady_clock::time_point since;
    std::size_t bytes = 0;
  };
  // `resend`: the number the stanza was held under before (0: a new one).
  void to_room_home(const std::string& node, element stanza, int hops, std::uint64_t resend = 0);
  void acknowledged(std::string_view arg);
  std::mutex held_mu_;
  std::map<std::uint64_t, held_stanza> held_;  // by sequence number (sending order); held_mu_
  std::size_t held_bytes_ = 0;                 // guarded by held_mu_
  // Starts at the clock in microseconds, so that a restarted node never reuses a number its
  // previous life gave (held_key). Guarded by held_mu_.
  std::uint64_t next_held_ = 1;
  // Nodes that acknowledged a room stanza: a node that never does (it runs an older
  // version) gets no timeout errors for its silence. Guarded by held_mu_.
  std::set<std::string> ackers_;
  void to_component_local(element stanza, const jid& to, const held_key& key = {});
  bool from_component_local(element stanza, const jid& to);
  cluster_options cluster_;
  handover_handler handover_;  // guarded by mu_
  // Takes `s` out of sessions_ and its row out of the registry; false when it was not there.
  bool remove_session(session& s);
};

// Stanza helpers (RFC 6120 §8.3): an error reply to `stanza` (from/to swapped).
element make_error(const element& stanza, std::string_view type, std::string_view condition,
                   std::string_view text = {});
element make_iq_result(const element& iq, std::optional<element> payload = std::nullopt);
// XEP-0082 timestamp for a time in microseconds since the epoch.
std::string xep82_stamp(std::int64_t us);
std::int64_t now_us();

}  // namespace hearth::xmpp
