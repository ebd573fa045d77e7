// The state of one bound c2s session that outlives its TCP connection (XEP-0198 resumption):
// the queue of stanzas for the client, the stream management counters and unacknowledged
// stanzas, the XEP-0352 state, and which connection is attached (a generation number). No
// Asio here: the attached connection gives a wake() callback that posts to its strand.
//
// c2s_service is what all c2s listeners share: the hub, the authenticator, the options and the
// table of resumable sessions.
//
// Thread-safety: send()/kick() come from any thread (the hub); everything is guarded by omu_.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/log/log.hpp"
#include "xmpp/c2s/c2s.hpp"
#include "xmpp/router/handover.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp {

class c2s_session;

class c2s_service {
 public:
  c2s_service(hub& h, auth::authenticator& a, c2s_options o) : hub_(h), authn(a), opts(std::move(o)) {}
  hub& hub_;
  auth::authenticator& authn;
  c2s_options opts;
  std::mutex mu;
  std::map<std::string, std::weak_ptr<c2s_session>> resumable;  // XEP-0198 previd -> session

  // ---- XEP-0198 resumption on another node (handover.cpp; README "Several nodes") ----
  // A request of this node waiting for another node's answer, by nonce (guarded by mu).
  struct waiter {
    // Called once with the installed session (null: refused), under no lock; null once the
    // request gave up waiting (a late answer still installs the session, for a later resume).
    std::function<void(std::shared_ptr<c2s_session>)> done;
    boost::asio::any_io_executor ex;  // where the installed session's timer runs
    std::chrono::steady_clock::time_point since;
  };
  std::map<std::string, waiter> waiting;
  boost::asio::any_io_executor io;  // an executor of the server's I/O (set by the first connection)
  // Sessions handed over from here: previd -> (node, when), so that a client resuming here
  // again is sent where its session went. Pruned after the resumption window (guarded by mu).
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> moved;
  // An envelope of kind resume_request or handover (hub::on_handover).
  void on_handover(envelope e);
};

// Keeps a session whose connection is gone for the resumption window (XEP-0198 §5), then ends
// it (its unacknowledged messages are routed again, to offline storage) unless a connection
// attached meanwhile (its generation moved past `gen`).
void hibernate(c2s_service& svc, std::shared_ptr<c2s_session> s, std::uint64_t gen,
               const boost::asio::any_io_executor& ex);
// Messages that wait for a hibernated or inactive client go to the hub's waiting hooks (push
// notifications) from the blocking pool: send() may run under hub locks, and the hooks route.
void watch_waiting(c2s_session& s, hub& h);
// The node that holds the session named by `previd` when it is not here: the node a session
// went to from here, or the node the id names; "" when none other.
std::string handover_node(c2s_service& svc, const std::string& previd);
// Asks `node` for the session `previd` of `user` and installs it here; null when refused, or
// when no answer came within opts.handover_timeout.
boost::asio::awaitable<std::shared_ptr<c2s_session>> fetch_session(c2s_service& svc, const std::string& node,
                                                                    const std::string& previd,
                                                                    const std::string& user);

struct out_entry {
  std::string xml;
  std::uint32_t seq = 0;  // XEP-0198 stanza number; 0 = not a stanza (or SM off)
};

class c2s_session : public session, public std::enable_shared_from_this<c2s_session> {
 public:
  explicit c2s_session(std::size_t max_queue) : max_queue_(max_queue) {}

  void send(const element& st) override {
    std::size_t waiting = 0;
    std::function<void(const element&)> relay;
    {
      std::lock_guard lk(omu_);
      if (handed_) {
        relay = handed_->relay;
      } else {
        if (closed_ || overflowed_) return;
        // XEP-0352 §4: while the client is inactive, presence updates wait (the latest per
        // sender) and go out when it becomes active again; messages and iqs are not delayed.
        if (csi_inactive_ && st.name == "presence") {
          const std::string t = st.get("type");
          if (t.empty() || t == "unavailable") {
            held_[st.get("from")] = st;
            return;
          }
        }
        push_locked(st);
        // XEP-0357: a message the client will not see until it resumes or becomes active.
        const bool hibernated = !wake_ && !sm_id_.empty() && !no_resume_;
        if (st.name == "message" && st.child("body") && (hibernated || csi_inactive_)) waiting = ++waiting_;
      }
    }
    if (relay) {
      relay(st);
      return;
    }
    if (waiting && on_waiting) on_waiting(st, waiting);
  }
  // Told of each message that waits for the client (push notifications); set before bind,
  // called without the session's lock, from the hub's thread.
  std::function<void(const element& msg, std::size_t count)> on_waiting;
  // XEP-0352: <active/> and <inactive/>.
  void set_inactive(bool inactive) {
    std::lock_guard lk(omu_);
    csi_inactive_ = inactive;
    if (inactive) return;
    waiting_ = 0;
    for (auto& [from, p] : held_) push_locked(p);
    held_.clear();
  }

 private:
  void push_locked(const element& st) {
    if (overflowed_) return;
    if (queue_.size() >= max_queue_) {
      // A client that does not read: its queue is dropped and the session ends, instead of the
      // queue growing with every stanza of a busy room until the server runs out of memory.
      // Unacknowledged messages (XEP-0198) are kept: they go offline when the session ends.
      overflowed_ = true;
      no_resume_ = true;
      if (kicked_.empty()) kicked_ = "policy-violation";
      log::warn("xmpp.overflow", {{"jid", full.full()}, {"queued", std::to_string(queue_.size())}});
      std::vector<out_entry>().swap(queue_);
      wake_locked();
      return;
    }
    std::string xml = serialize(st);
    if (sm_enabled_) {
      ++out_seq_;
      unacked_.push_back({xml, out_seq_});
      queue_.push_back({std::move(xml), out_seq_});
    } else {
      queue_.push_back({std::move(xml), 0});
    }
    wake_locked();
  }

 public:
  void send_raw(std::string xml) {
    std::lock_guard lk(omu_);
    queue_.push_back({std::move(xml), 0});
    wake_locked();
  }
  bool accepting() override {
    std::lock_guard lk(omu_);
    return handed_ || (!closed_ && !overflowed_);  // a handed-over session relays
  }
  bool relaying() override {
    std::lock_guard lk(omu_);
    return handed_ != nullptr;
  }
  void kick(std::string condition) override {
    std::function<void()> taken;
    {
      std::lock_guard lk(omu_);
      if (handed_) {
        // Handed over: the node it went to bound it, which takes it over from here.
        taken.swap(handed_->on_taken);
      } else {
        if (kicked_.empty()) kicked_ = std::move(condition);
        no_resume_ = true;
        wake_locked();
      }
    }
    if (taken) taken();
  }

  // ---- XEP-0198 resumption on another node ----
  // Ends the session here for a hand-over (nullopt when it is not resumable): the state it
  // returns carries the counters, the unacknowledged stanzas and the XEP-0352 state (the
  // caller adds the hub's fields). A connection still attached finds itself replaced and
  // closes with <conflict/> (XEP-0198 §5), and the resumption window's timer finds the
  // session resumed. From now on stanzas that reach it go to `relay` (not under its lock),
  // and `taken` runs once when the node it went to binds it (kick()).
  std::optional<handover_state> hand_over(std::function<void(const element&)> relay, std::function<void()> taken) {
    std::lock_guard lk(omu_);
    if (sm_id_.empty() || no_resume_ || closed_ || handed_) return std::nullopt;
    handover_state st;
    st.full = full.full();
    st.sm_id = sm_id_;
    st.in_count = in_count_;
    st.out_seq = out_seq_;
    st.inactive = csi_inactive_;
    for (auto& e : unacked_) st.unacked.push_back({e.seq, std::move(e.xml)});
    for (auto& [from, p] : held_) st.held.push_back(std::move(p));
    std::vector<out_entry>().swap(unacked_);
    std::vector<out_entry>().swap(queue_);
    held_.clear();
    closed_ = true;
    no_resume_ = true;
    ++generation_;
    if (wake_) wake_();
    wake_ = nullptr;
    handed_ = std::make_unique<handed>();
    handed_->relay = std::move(relay);
    handed_->on_taken = std::move(taken);
    return st;
  }
  // Once per hand-over: true for the first caller (the take-over, or the timer that gives up
  // waiting for it).
  bool settle_hand_over() {
    std::lock_guard lk(omu_);
    if (!handed_ || handed_->settled) return false;
    handed_->settled = true;
    handed_->on_taken = nullptr;
    return true;
  }
  // The state a session handed over here starts from (before anything is attached).
  void restore(const handover_state& st) {
    std::lock_guard lk(omu_);
    sm_enabled_ = true;
    sm_id_ = st.sm_id;
    in_count_ = st.in_count;
    out_seq_ = st.out_seq;
    csi_inactive_ = st.inactive;
    for (const auto& q : st.unacked) unacked_.push_back({q.xml, q.seq});
    // Held back on the old node: the client gets them when it says <active/> here.
    for (const auto& p : st.held) held_[p.get("from")] = p;
  }

  // ---- used by the connection that is attached (on its strand) ----
  // Attaches a connection (a new one, or one resuming with the client's last h): the previous
  // connection, if any, is woken and finds itself replaced.
  std::uint64_t attach(std::function<void()> wake, std::optional<std::uint32_t> resume_h = std::nullopt) {
    std::lock_guard lk(omu_);
    if (wake_) wake_();
    wake_ = std::move(wake);
    woken_ = false;
    if (!overflowed_) kicked_.clear();  // an overflowed session ends even when resumed
    waiting_ = 0;
    if (resume_h) {
      // XEP-0198 §5: drop what the client has, send the rest again (they keep their numbers).
      drop_acked(*resume_h);
      queue_.assign(unacked_.begin(), unacked_.end());
    }
    return ++generation_;
  }
  // Takes what is queued for connection `gen`. `kick` gets a pending stream error condition
  // ("conflict" when another connection has taken the session over).
  std::vector<out_entry> take(std::string& kick, std::uint64_t gen) {
    std::lock_guard lk(omu_);
    if (gen != generation_) {
      kick = "conflict";
      return {};
    }
    std::vector<out_entry> out;
    out.swap(queue_);  // an idle session keeps no queue storage
    woken_ = false;
    kick = kicked_;
    return out;
  }
  bool sm_enabled() {
    std::lock_guard lk(omu_);
    return sm_enabled_;
  }
  // With several nodes the resumption id names this node (`node`, before its last '.'), so
  // that another node knows whom to ask for the session (handover.cpp).
  std::string enable_sm(bool resume, const std::string& node = {}) {
    std::lock_guard lk(omu_);
    sm_enabled_ = true;
    if (resume) sm_id_ = (node.empty() ? std::string() : node + ".") + log::new_id() + log::new_id();
    return sm_id_;
  }
  void count_inbound() {
    std::lock_guard lk(omu_);
    if (sm_enabled_) ++in_count_;
  }
  std::uint32_t in_count() {
    std::lock_guard lk(omu_);
    return in_count_;
  }
  // XEP-0198 §4: <a h='N'/> acknowledges every stanza up to N.
  void ack(std::uint32_t h) {
    std::lock_guard lk(omu_);
    drop_acked(h);
  }
  // Detaches the connection `gen`; returns false if another connection has taken over.
  bool detach(std::uint64_t gen) {
    std::lock_guard lk(omu_);
    if (gen != generation_) return false;
    wake_ = nullptr;
    return true;
  }
  bool resumable() {
    std::lock_guard lk(omu_);
    return !sm_id_.empty() && !no_resume_ && !closed_;
  }
  void set_no_resume() {
    std::lock_guard lk(omu_);
    no_resume_ = true;
  }
  std::uint64_t generation() {
    std::lock_guard lk(omu_);
    return generation_;
  }
  const std::string& sm_id() const { return sm_id_; }
  // Ends the session for good: returns the messages the client never acknowledged.
  std::vector<std::string> close_for_good() {
    std::lock_guard lk(omu_);
    closed_ = true;
    std::vector<std::string> out;
    for (auto& e : unacked_) out.push_back(std::move(e.xml));
    unacked_.clear();
    queue_.clear();
    return out;
  }

 private:
  // Forgets the stanzas numbered up to h (serial number arithmetic: the counter wraps).
  void drop_acked(std::uint32_t h) {
    auto keep = std::find_if(unacked_.begin(), unacked_.end(),
                             [h](const out_entry& e) { return static_cast<std::int32_t>(e.seq - h) > 0; });
    unacked_.erase(unacked_.begin(), keep);
    if (unacked_.empty()) unacked_.shrink_to_fit();
  }
  void wake_locked() {
    if (wake_ && !woken_) {
      woken_ = true;
      wake_();
    }
  }
  std::size_t max_queue_;
  std::mutex omu_;
  bool csi_inactive_ = false;
  bool overflowed_ = false;  // the queue passed max_queue_: the session takes nothing more
  std::size_t waiting_ = 0;  // messages queued while hibernated or inactive
  std::map<std::string, element> held_;  // presences held while inactive, by sender
  // Vectors, not deques: libstdc++'s deque allocates ~600 bytes even while empty, which every
  // idle connection paid twice (the XMPP bench's memory per connection).
  std::vector<out_entry> queue_;
  std::vector<out_entry> unacked_;
  std::function<void()> wake_;
  bool woken_ = false;
  std::string kicked_;
  bool closed_ = false;
  bool sm_enabled_ = false;
  bool no_resume_ = false;
  std::string sm_id_;
  std::uint32_t out_seq_ = 0;
  std::uint32_t in_count_ = 0;
  std::uint64_t generation_ = 0;
  // Set once handed over to another node; a pointer, since every idle session pays for what
  // it holds (the XMPP bench's memory per connection).
  struct handed {
    std::function<void(const element&)> relay;
    std::function<void()> on_taken;
    bool settled = false;
  };
  std::unique_ptr<handed> handed_;
};

}  // namespace hearth::xmpp
