// The learning spam filter's tokenizer: a message in, the set of distinct tokens it shows out.
// Pure (no I/O), thread-safe, bounded.
//
// What becomes a token, each kind with its own prefix so "free" in the Subject and "free" in
// the body weigh separately:
//   subject:WORD          words of the decoded Subject
//   from:addr:A, from:domain:D, from:name:WORD (and to:, cc:, reply-to:)
//   received:HOST, received:DOMAIN   the first Received hops' names ("from X", "by Y")
//   ct:TYPE/SUB, charset:C, cte:ENC  every part's Content-Type and encoding
//   list:id:ID, hdr:NAME             List-Id; the names of the header fields present
//   xmailer:WORD                     X-Mailer / User-Agent
//   filename:NAME, fileext:EXT       attachment names
//   url:HOST, url:DOMAIN             links in text and HTML (href/src), and their domain
//   html:TAG, html:TAG:ATTR          the HTML tags and attributes spam leans on (img, form,
//                                    hidden text, tracking pixels...), the text stripped
//   WORD                             words of the decoded text parts (3..max_word_bytes
//                                    octets, lower case); a longer one -> "skip:C N"
//   meta:...                         shape: html only, number of parts, size class
//
// Bounds (tokenize_limits): only the first max_message_bytes of the message are parsed, at
// most max_text_bytes of decoded text are read over all parts, at most max_tokens distinct
// tokens are kept. A 50 MB message, an HTML bomb or random base64 costs at most that.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::filter::bayes {

struct tokenize_limits {
  std::size_t max_message_bytes = 1 << 20;  // raw octets parsed (the rest is not looked at)
  std::size_t max_text_bytes = 256 << 10;   // decoded text scanned, all parts together
  std::size_t max_tokens = 3000;            // distinct tokens kept
  std::size_t max_word_bytes = 24;          // longer words become a "skip:" token
  std::size_t max_parts = 64;               // MIME parts looked at
};

// The distinct tokens of `message`, in order of first appearance.
std::vector<std::string> tokenize(std::string_view message, const tokenize_limits& limits = {});

// HTML reduced to its text, with the tokens of the tags and attributes that matter appended
// to `tokens` (html:..., url:...). Linear in the input; no tree is built.
std::string html_to_text(std::string_view html, std::vector<std::string>& tokens);

// The registered domain of a host name, by heuristics (no Public Suffix List here): the last
// two labels, or three when the second-level label is a short generic one ("co.uk").
std::string registered_domain(std::string_view host);

// 64-bit FNV-1a of a token: what the token store keeps (fixed width, no text).
std::uint64_t token_hash(std::string_view token);

}  // namespace hearth::mail::filter::bayes
