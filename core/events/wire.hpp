// An event as text, for carrying it to the other nodes (PostgreSQL NOTIFY payloads: text, no
// NUL byte, valid in the database's encoding, under 8000 bytes). Pure: no I/O.
//
//   header  = "e1" SP origin SP flags SP topic-length SP key-length LF
//   payload = header topic key data            ; lengths in decimal bytes; data runs to the end
//   flags   = "-" / "r"                        ; "r": a resync (event::resync), no topic/key/data
//
// origin names the sending bus (so a node skips its own events, which NOTIFY hands back to it).
// Lengths rather than separators: keys are mailbox names and JIDs, which may contain any
// character but NUL.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/events/bus.hpp"

namespace hearth::events::wire {

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
constexpr std::size_t max_payload = 7999;
constexpr std::size_t max_origin = 64;

// nullopt when the event cannot travel as text: too long, a NUL byte or invalid UTF-8
// anywhere, an empty topic, or an origin that is empty, too long or has a space. The sender then sends a
// resync instead, so the other nodes re-check rather than miss it.
std::optional<std::string> encode(std::string_view origin, const event& e);

struct decoded {
  std::string origin;
  event ev;
};
// nullopt for anything encode() would not have written.
std::optional<decoded> decode(std::string_view payload);

}  // namespace hearth::events::wire
