#include "mail/imap/server/inline.hpp"

#include <array>
#include <string_view>
#include <variant>

namespace hearth::mail::imap {
namespace {

// Items FETCH answers from the message row or the per-blob summary in SQLite (fetch.cpp's
// source_of): everything but a body part, the text, BINARY, RFC822 and PREVIEW, which read
// the blob file.
bool from_database(const fetch_att& a) {
  const std::string_view n = a.name;
  if (n == "BODY" && a.has_section)
    return a.section.part.empty() &&
           (a.section.text == "HEADER" || a.section.text == "HEADER.FIELDS" || a.section.text == "HEADER.FIELDS.NOT");
  return !(n == "BINARY" || n == "BINARY.SIZE" || n == "RFC822" || n == "RFC822.TEXT" || n == "PREVIEW");
}

// Commands that read, or write a few rows of flags, \Recent marks or expunges without a
// blob or an fsync (see inline.hpp); whether a write may run here is decided when it starts.
constexpr std::array<std::string_view, 15> quick{"NOOP",      "CHECK",  "CAPABILITY", "NAMESPACE", "LIST",
                                                 "LSUB",      "STATUS", "SELECT",     "EXAMINE",   "FETCH",
                                                 "UID FETCH", "STORE",  "UID STORE",  "EXPUNGE",   "UID EXPUNGE"};

}  // namespace

bool may_run_inline(const session_state& st, const command& cmd) {
  // Before login the commands are cheap but LOGIN and AUTHENTICATE hash passwords.
  if (st.ph == phase::not_authenticated) return false;
  // RFC 5465 NOTIFY adds a report of every watched mailbox to each reply: unbounded.
  if (st.notify) return false;
  bool listed = false;
  for (auto r : quick) listed |= r == cmd.name;
  if (!listed) return false;
  if (const auto* f = std::get_if<cmd_fetch>(&cmd.args)) {
    for (const auto& a : f->atts)
      if (!from_database(a)) return false;
  }
  return true;
}

}  // namespace hearth::mail::imap
