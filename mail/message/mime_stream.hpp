// The MIME structure of a message that arrives in pieces (an IMAP APPEND literal written to
// the blob store as it comes): the same tree parse_message() gives for the whole message, built
// without holding the message. Kept: each part's header section (what ENVELOPE, BODYSTRUCTURE
// and the indexed header fields need) and, of the current line, its first bytes (enough to
// recognise a boundary delimiter); bodies are counted (octets, lines), not kept.
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message/mime.hpp"

namespace hearth::mail {

// The result: the header_field views of `structure` point into `headers`, so the two travel
// together (moving a streamed_structure keeps the views valid; copying it is not allowed).
struct streamed_structure {
  message_structure structure;
  std::vector<std::unique_ptr<std::string>> headers;  // one per part, in parse order
  // The top-level header section, its empty line included (the root part's header bytes).
  std::string_view root_header() const;
  streamed_structure() = default;
  streamed_structure(streamed_structure&&) = default;
  streamed_structure& operator=(streamed_structure&&) = default;
};

struct stream_limits {
  // One part's header section (bytes up to its empty line) held while it arrives; past this
  // the builder gives up rather than hold more. Above header_limits::max_section, so every
  // field the whole-message parser keeps fits.
  std::size_t max_header = 1024 * 1024 + 64 * 1024;
  std::size_t max_headers_total = 8 * 1024 * 1024;  // all parts' header sections together
};

// Feed the message's bytes in order, in pieces of any size, then finish(). Memory: the header
// sections (bounded by stream_limits), one line prefix and one open entity per nesting level
// (bounded by structure_limits::max_depth). Work is O(size × depth), as parse_message.
// Not thread-safe; one message per builder.
class structure_builder {
 public:
  explicit structure_builder(structure_limits limits = {}, stream_limits stream = {});
  ~structure_builder();
  structure_builder(structure_builder&&) noexcept;
  structure_builder& operator=(structure_builder&&) noexcept;

  void feed(std::string_view piece);
  // The structure parse_message() gives for all bytes fed, field for field and offset for
  // offset; nullopt when a header section went past stream_limits (the caller then parses
  // the whole message if it needs the structure). Call once; feed() after it is ignored.
  std::optional<streamed_structure> finish();

  bool gave_up() const;    // a limit of stream_limits was passed: finish() will be nullopt
  std::size_t size() const;  // octets fed so far

 private:
  struct impl;
  std::unique_ptr<impl> d_;
};

}  // namespace hearth::mail
