// How envelopes (envelope.hpp) travel to another node, whatever carries the text: an envelope
// that fits a NOTIFY payload goes as it is; a bigger one (a long message, a vCard) is stored in
// the registry's relay table and only "r1 ID" is notified, which the receiving node turns back
// into the envelope by taking the row. Pure of I/O itself: `notify` does the sending.
//
// Thread-safety: forward() and receive() may be called from any thread; they block on the
// registry's database for relayed envelopes only.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/router/envelope.hpp"
#include "xmpp/store/registry.hpp"

namespace hearth::xmpp {

class node_link {
 public:
  // notify(node, text): queue `text` (under max_envelope bytes) for that node's channel.
  using notifier = std::function<void(const std::string& node, std::string text)>;
  node_link(session_registry& reg, std::string node, notifier notify)
      : reg_(reg), node_(std::move(node)), notify_(std::move(notify)) {}

  // False (logged) when it cannot go: too big even for the relay, or the relay failed.
  bool forward(const std::string& to_node, const envelope& e);
  // The envelope a notification of this node's channel carries; nullopt (logged) for a bad
  // one or a relayed one already taken.
  std::optional<envelope> receive(std::string_view text);

 private:
  session_registry& reg_;
  std::string node_;
  notifier notify_;
};

}  // namespace hearth::xmpp
