// XEP-0198 resumption on another node (README "Several nodes"): a client whose connection to
// node A was cut reconnects to node B and asks to resume. B asks A (the node its resumption id
// names) for the session; A answers with the session's state, drops it without unavailable
// presence, and B installs it. This file is the pure part: the two elements that travel inside
// envelopes (envelope.hpp), with their limits. No I/O.
//
//   request  = <resume xmlns='urn:hearth:handover:0' user=BARE node=NODE ask=NONCE hops=N/>
//   answer   = <handover xmlns='urn:hearth:handover:0' ask=NONCE
//                        ( failed=CONDITION
//                        / jid=FULL id=PREVID in=H out=SEQ priority=N
//                          [available='1'] [interested='1'] [carbons='1'] [inactive='1'] ) >
//                *( <last>PRESENCE</last> / <directed jid=FULL/> / <held>PRESENCE</held> /
//                   <q seq=N>ESCAPED-STANZA</q> )
//              </handover>
//
// The envelope's arg is the resumption id (previd). `ask` pairs an answer with the request
// that is waiting for it; `hops` counts how often a request was passed on to the node a
// session moved to, so that a request never circles.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp {

inline constexpr std::string_view ns_handover = "urn:hearth:handover:0";

struct handover_request {
  std::string user;  // the bare JID that authenticated on the asking node
  std::string node;  // the asking node, where the answer goes
  std::string ask;   // the asking node's nonce
  unsigned hops = 0;
};

struct handover_state {
  std::string full;              // the bound full JID
  std::string sm_id;             // XEP-0198 resumption id
  std::uint32_t in_count = 0;    // stanzas received from the client (the server's h)
  std::uint32_t out_seq = 0;     // number of the last stanza counted to the client
  struct stanza {
    std::uint32_t seq = 0;
    std::string xml;             // as the client would have got it
  };
  std::vector<stanza> unacked;   // sent and not acknowledged, in order
  int priority = 0;              // RFC 6121 §4.7.2.3
  bool available = false;        // sent initial presence, not unavailable since
  bool interested = false;       // asked for the roster (gets roster pushes)
  bool carbons = false;          // XEP-0280
  bool inactive = false;         // XEP-0352
  std::optional<element> presence;    // last available presence
  std::vector<std::string> directed;  // full JIDs that got directed presence
  // XEP-0352: presences held back while inactive (the latest per sender, from= set), which
  // the client gets when it becomes active again.
  std::vector<element> held;
};

// What one hand-over may carry. A session over them is not handed over: it ends on the node
// holding it as a session that is not resumed does (its unacknowledged messages go offline).
// 2 MiB of stanzas stay under the relay table's 16 MiB envelope even if every byte needed
// escaping (`&quot;` is six).
struct handover_limits {
  std::size_t max_stanzas = 10000;
  std::size_t max_bytes = 2u << 20;     // of unacknowledged stanzas, summed
  std::size_t max_directed = 1000;
  std::size_t max_held = 10000;         // held presences (their bytes count in max_bytes)
  static constexpr unsigned max_hops = 2;
};

element encode_handover_request(const handover_request& r);
// nullopt unless `e` is a request encode_handover_request() could have written.
std::optional<handover_request> decode_handover_request(const element& e);

// nullopt when the state is over the limits (or its JID or id is not one).
std::optional<element> encode_handover(const handover_state& s, std::string_view ask,
                                       const handover_limits& lim = {});
// A refusal: `condition` is an XEP-0198 <failed/> child (item-not-found).
element encode_handover_failed(std::string_view ask, std::string_view condition);

struct handover_answer {
  std::string ask;
  std::string failed;                  // non-empty: refused, with this condition
  std::optional<handover_state> state; // set when not refused
};
// nullopt for anything encode_handover()/encode_handover_failed() would not have written
// within `lim`: every queued stanza must be one element named message, presence or iq.
std::optional<handover_answer> decode_handover(const element& e, const handover_limits& lim = {});

}  // namespace hearth::xmpp
