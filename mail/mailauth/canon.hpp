// DKIM canonicalization (RFC 6376 §3.4): "simple" and "relaxed" for header fields and body.
// Pure functions over the received bytes (lines end in CRLF; a bare LF is treated as a line
// end too, so a message stored with LF canonicalizes the same).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::mailauth {

// One header field, `raw` as received (name, colon, value, folding, final CRLF).
// relaxed (§3.4.2): name lowercased, unfolded, WSP runs to one SP, WSP around the colon and at
// the end removed, then CRLF. simple (§3.4.1): the field unchanged (CRLF ensured).
std::string canon_header(std::string_view raw, bool relaxed);

// The body (§3.4.3 simple, §3.4.4 relaxed), then cut to `length` octets when given (l=).
// simple: trailing empty lines removed, an empty body becomes CRLF. relaxed: WSP at line ends
// removed, WSP runs to one SP, trailing empty lines removed, an empty body stays empty.
std::string canon_body(std::string_view body, bool relaxed);

// canon_body() for a body fed in pieces cut anywhere, hashed with SHA-256 as it goes, so a
// large body is never held whole (SMTP's spilled messages). Holds one partial line at most.
class body_hasher {
 public:
  // `length`: l=, the canonical octets hashed (all without it).
  explicit body_hasher(bool relaxed, std::optional<std::uint64_t> length = std::nullopt);
  ~body_hasher();
  body_hasher(const body_hasher&) = delete;
  body_hasher& operator=(const body_hasher&) = delete;
  void feed(std::string_view piece);
  // Ends the body. Returns the raw SHA-256 of the canonical body's first `length` octets, and
  // sets `size` to the canonical body's whole size.
  std::string finish(std::uint64_t& size);

 private:
  void line(std::string_view l);
  void emit(std::string_view s);
  bool relaxed_;
  std::string carry_;          // the current line, not yet ended by LF
  std::size_t pending_empty_ = 0;
  std::string out_;            // canonical octets not yet hashed
  std::uint64_t size_ = 0;     // canonical octets in all
  std::optional<std::uint64_t> cap_;
  void* sha_ = nullptr;        // EVP_MD_CTX*, kept out of the header
  std::uint64_t hashed_ = 0;
};

}  // namespace hearth::mail::mailauth
