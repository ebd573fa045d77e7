// A stanza forwarded from one node to another (README "Several nodes"), as text for a
// PostgreSQL NOTIFY payload (under 8000 bytes, no NUL). Pure: no I/O.
//
//   envelope = "x1" SP kind SP arg LF stanza     ; stanza: one element as serialize() writes it
//   kind     = "deliver" / "account" / "carbon-sent" / "carbon-received" / "presence" /
//              "roster-push" / "session" / "kick" / "component" / "from-component" /
//              "resume" / "handover" / "ack"
//   arg      = 1*VCHAR                            ; a number or a JID, "-" when unused
//
// The kind says which step of the router's rules the receiving node runs on its own sessions
// (hub::handle_forwarded); the sending node has done the rest (blocking checks, archiving).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp {

enum class forward_kind {
  deliver,          // a message to the full JID in to= (RFC 6121 §8.5.3.1), carbons to the others
  account,          // a message to the bare JID: the local resources with priority == arg
  carbon_sent,      // XEP-0280 sent carbons of the message for the local resources of arg
  carbon_received,  // received carbons likewise
  presence,         // presence to to= (bare: every available local resource)
  roster_push,      // a roster push iq for the interested local resources of arg
  session,          // the stanza as it is, to the local session whose full JID is to=
  kick,             // end the local session in to= with <conflict/> (bound again on another node)
  component,        // a stanza for a component (a room) that lives on this node; arg
                    // "HOPS/SEQ/NODE" ("HOPSr/..." when resent after a home died): the hops so
                    // far, what to acknowledge to which node (a bare "HOPS": no acknowledgement)
  from_component,   // a stanza from a component to the local session in to=
  resume_request,   // XEP-0198: hand the session whose resumption id is arg over (handover.hpp)
  handover,         // the answer: the state of session arg, or a refusal
  ack,              // arg "SEQ/NODE": NODE handled the component stanza SEQ this node sent it
};

struct envelope {
  forward_kind kind = forward_kind::session;
  std::string arg;  // "-" when unused
  element stanza;
};

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
constexpr std::size_t max_envelope = 7999;
// Bigger envelopes travel through the registry's relay table (node_link, link.hpp), up to this.
constexpr std::size_t max_relayed_envelope = 16u << 20;

// nullopt when it would not fit in `limit` bytes (or arg is empty or has a space or control).
std::optional<std::string> encode_envelope(const envelope& e, std::size_t limit = max_envelope);
// nullopt for anything encode_envelope() would not have written with that limit.
std::optional<envelope> decode_envelope(std::string_view text, std::size_t limit = max_envelope);

}  // namespace hearth::xmpp
