// Incremental, namespace-aware XMPP stream parser over expat (RFC 6120 §4, §11).
//
// The session feeds bytes as they arrive; the parser returns events: the stream header
// (<stream:stream> with its attributes), each complete top-level element (a stanza, or
// <starttls/>, <auth/>, ...) as an element tree, the closing </stream:stream>, or one error
// with the RFC 6120 §4.9.3 stream error condition to send. After an error the parser is dead.
//
// Restricted XML (RFC 6120 §11.1): a DOCTYPE, an entity declaration, a comment or a processing
// instruction is `restricted-xml`; nothing is ever expanded. Limits: a stanza larger than
// max_stanza bytes or deeper than max_depth, or an element with more than max_attrs attributes
// is `policy-violation`; malformed XML is `not-well-formed`; a first element other than
// <stream:stream> in the streams namespace is `invalid-namespace`.
//
// After STARTTLS and SASL success the stream restarts: call reset(). Not thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp {

struct parser_limits {
  std::size_t max_stanza = 256 * 1024;  // bytes of one top-level element
  std::size_t max_depth = 64;           // element nesting below the stream element
  std::size_t max_attrs = 64;
};

struct stream_event {
  enum kind_t { open, stanza, close, error } kind = error;
  element el;             // open: the stream element (no children); stanza: the element
  std::string condition;  // error: the stream error condition ("not-well-formed", ...)
};

class stream_parser {
 public:
  explicit stream_parser(parser_limits limits = {});
  ~stream_parser();
  stream_parser(const stream_parser&) = delete;
  stream_parser& operator=(const stream_parser&) = delete;

  // Parses the bytes and appends the events they complete to `out`. Returns false once the
  // parser has failed (the last event appended is then the error).
  bool feed(std::string_view bytes, std::vector<stream_event>& out);
  // A new stream on the same connection (RFC 6120 §4.3.3).
  void reset();
  // Frees the expat parser while the stream waits between stanzas (nothing partial pending);
  // the next feed() creates a new one and primes it with the stream header's namespace
  // declarations, invisibly to the caller. About 10 KB per idle chat connection.
  // Returns whether the parser was freed.
  bool hibernate();
  bool hibernating() const;
  bool failed() const;
  // Total bytes fed since construction (for the unauthenticated-bytes limit).
  std::uint64_t bytes_fed() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Parses one element serialized by serialize() (stored stanzas), in the jabber:client
// namespace. nullopt when it is not exactly one well-formed element.
std::optional<element> parse_fragment(std::string_view xml);

}  // namespace hearth::xmpp
