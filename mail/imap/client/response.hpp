// The client side of IMAP, sans I/O: what a server sends, framed and parsed (RFC 9051 §7,
// RFC 3501 §7), and the few pieces of command syntax a client needs. `hearth migrate imap`
// drives it over a socket; nothing here reads or writes one.
//
//   client::framer f;
//   f.feed(bytes_from_socket);
//   while (auto r = f.next(); r && *r) { auto resp = client::parse_response(**r); ... }
//
// Limits (ARCHITECTURE.md principle 5): a line (literals excluded), a literal, a whole
// response, the nesting of parentheses and the number of values are bounded; going over one is
// "imap.limit", anything malformed "imap.syntax". Either way the connection cannot be trusted
// to be in step any more: the caller drops it.
// Thread-safety: none needed; a framer belongs to one connection.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::mail::imap::client {

struct limits {
  std::size_t max_line = 4u << 20;             // one line without its literals (a long SEARCH reply)
  std::size_t max_literal = 256u << 20;        // mail::max_message_bytes
  std::size_t max_response = (256u << 20) + (8u << 20);
  std::size_t max_literals = 1024;             // per response
  int max_depth = 16;                          // nested parentheses
  std::size_t max_values = 1u << 20;           // atoms, strings and lists per response
};

// Splits the byte stream from a server into whole responses.
class framer {
 public:
  explicit framer(limits l = {}) : limits_(l) {}
  void feed(std::string_view bytes);
  // The next whole response: its lines with their CRLF, each literal's octets after its
  // "{n}\r\n". nullopt when more bytes are needed. Errors: "imap.limit", "imap.syntax".
  result<std::optional<std::string>> next();
  // Octets received and not yet returned.
  std::size_t buffered() const { return buf_.size() - start_; }

 private:
  limits limits_;
  std::string buf_;
  std::size_t start_ = 0;      // first octet of the response being framed
  std::size_t cursor_ = 0;     // where the search for its end resumes
  std::size_t line_start_ = 0; // first octet of the current line
  std::size_t literals_ = 0;
};

// One value of a response's data (RFC 9051 §4): atom (also numbers and BODY[...] names,
// brackets included), string (quoted or literal), NIL, or a parenthesized list.
struct value {
  enum class kind { atom, string, nil, list };
  kind k = kind::atom;
  std::string text;          // atom / string content
  std::vector<value> items;  // list
  bool is_atom(std::string_view upper) const;  // case-insensitive
};

struct response {
  enum class kind { untagged, tagged, continuation };
  kind k = kind::untagged;
  std::string tag;        // tagged only
  // Status responses (tagged, or untagged OK/NO/BAD/BYE/PREAUTH): status in upper case.
  std::string status;
  std::string code;       // response code atom in upper case ("UIDVALIDITY", "ALERT", ...), or ""
  std::string code_args;  // what follows it inside the brackets, as sent
  std::string text;       // human-readable text (continuation: its text)
  // Data responses ("* 3 FETCH ...", "* LIST ..."): name in upper case, optional number.
  std::optional<std::uint32_t> number;
  std::string name;
  std::vector<value> data;
};

// Parses one framed response (as framer::next() returns it). Errors: "imap.syntax", "imap.limit".
result<response> parse_response(std::string_view framed, const limits& l = {});

// ---- reading what responses mean ----

// Capability names in upper case from "* CAPABILITY ..." or a [CAPABILITY ...] code.
std::vector<std::string> capabilities(const response& r);

// "* LIST (attrs) delim name" (RFC 9051 §7.3.1); also LSUB. The name as sent (modified UTF-7
// unless UTF8=ACCEPT is on); attributes as sent. Errors: "imap.syntax".
struct list_entry {
  std::vector<std::string> attributes;
  std::optional<char> delimiter;
  std::string name;
  bool has_attribute(std::string_view a) const;  // case-insensitive, with its backslash
};
result<list_entry> parse_list(const response& r);

// "* N FETCH (...)" (RFC 9051 §7.5.2) with the items a copy needs. Errors: "imap.syntax".
struct fetch_data {
  std::uint32_t seq = 0;
  std::optional<std::uint32_t> uid;
  std::optional<std::vector<std::string>> flags;
  std::optional<std::int64_t> internal_date;  // Unix seconds
  std::optional<std::uint64_t> size;          // RFC822.SIZE
  std::optional<std::string> body;            // BODY[] / RFC822 / BINARY[]
  std::optional<std::string> header;          // BODY[HEADER...] (any header section)
  std::optional<std::string> gm_msgid;        // Gmail X-GM-MSGID, decimal
  std::optional<std::vector<std::string>> gm_labels;  // Gmail X-GM-LABELS, as sent
};
result<fetch_data> parse_fetch(const response& r);

// "* SEARCH 1 2 3" or "* ESEARCH ... ALL 1:3,7" (RFC 4731), at most `max` numbers.
// Errors: "imap.syntax", "imap.limit".
result<std::vector<std::uint32_t>> parse_search(const response& r, std::size_t max = 10'000'000);

// date-time (RFC 9051 §9): "17-Jul-1996 02:44:25 -0700" (day may be space-padded) to Unix
// seconds. Errors: "imap.syntax".
result<std::int64_t> parse_date_time(std::string_view s);
// Unix seconds to an IMAP date ("1-Feb-2024") for SEARCH SINCE.
std::string format_date(std::int64_t unix_seconds);

// ---- writing commands ----

// A string argument: a quoted string when it can be one (no CR, LF or NUL; 8-bit only with
// `utf8`), otherwise nullopt and the caller sends a literal.
std::optional<std::string> quoted(std::string_view s, bool utf8 = false);
// A UID set in IMAP syntax ("1:5,9"), from ascending numbers.
std::string uid_set(const std::vector<std::uint32_t>& uids);

}  // namespace hearth::mail::imap::client
