// A message (or its body) read in pieces by a consumer that may fail, such as a queue spool
// or a blob being written: the source calls `out` with the octets in order, stops at the
// first error `out` returns and passes it on; its own read errors are returned the same way.
// The queue's enqueue, a Sieve redirect and the queue's local delivery take a large message
// this way; pieces.hpp's body_pieces is the read-only kind (DKIM, ARC, the antivirus).
#pragma once
#include <functional>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/message/pieces.hpp"

namespace hearth::mail {

using piece_sink = std::function<result<void>(std::string_view)>;
using piece_source = std::function<result<void>(const piece_sink& out)>;

// body_pieces over a piece_source, for the consumers that take that type (DKIM, ARC).
inline body_pieces as_body_pieces(piece_source source) {
  return [source = std::move(source)](const std::function<void(std::string_view)>& piece) {
    return static_cast<bool>(source([&piece](std::string_view p) -> result<void> {
      piece(p);
      return {};
    }));
  };
}

}  // namespace hearth::mail
