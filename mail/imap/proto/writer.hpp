// Helpers for writing IMAP responses (RFC 9051 §7): the session builds reply lines with these.
#pragma once
#include "mail/imap/proto/types.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::imap {

// A string as a quoted string when it can be one (short, no CR/LF/NUL, and no 8-bit bytes
// unless `utf8` — RFC 9051 §4.3 / RFC 6855), else as a literal "{n}\r\n" + bytes. An empty
// string is "". Appends to `out`.
void write_string(std::string& out, std::string_view s, bool utf8 = false);

// nstring: NIL for nullopt, else write_string.
void write_nstring(std::string& out, const std::string* s, bool utf8 = false);

// A mailbox name: "INBOX" as is; otherwise modified UTF-7 (RFC 3501 §5.1.3) unless `utf8`,
// then written with write_string (atoms are quoted too, which every client accepts).
void write_mailbox(std::string& out, std::string_view utf8_name, bool utf8);

// flag-list: "(" flag *(SP flag) ")"
std::string flag_list(const std::vector<std::string>& flags);

// Compresses numbers (any order, duplicates allowed) into the shortest sequence-set:
// {1,2,3,5,7,8} -> "1:3,5,7:8". Empty input gives "". For COPYUID (RFC 4315) and VANISHED
// (RFC 7162) the order of the input is kept when `keep_order` (COPYUID pairs source and
// destination sets by position), else the numbers are sorted first.
std::string compress_set(std::vector<std::uint32_t> numbers, bool keep_order = false);

// A sequence_set back to text, "*" for star, "$" for saved.
std::string format_set(const sequence_set& set);

}  // namespace hearth::mail::imap
