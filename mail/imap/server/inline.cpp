#include "mail/imap/server/inline.hpp"

#include <array>
#include <string_view>
#include <variant>

#include "mail/imap/server/search.hpp"
#include "mail/imap/server/view.hpp"

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

// A FETCH that reads blobs runs inline only when it names at most this many messages (a
// client opening one message, or a few): the handler itself then gives up, through
// sql::may_block(), when their bytes are more than inline_blob_bytes (cmd_fetch.cpp), so a
// big attachment is read on the store pool, not on an I/O thread other sessions share.
constexpr std::size_t inline_blob_messages = 4;

std::size_t named(const sequence_set& set) {
  if (set.saved) return inline_blob_messages + 1;  // $: not counted here
  std::size_t n = 0;
  for (const auto& r : set.ranges) {
    if (r.lo == seq_range::star || r.hi == seq_range::star) return inline_blob_messages + 1;
    n += (r.lo > r.hi ? r.lo - r.hi : r.hi - r.lo) + 1;
  }
  return n;
}

// Commands that read, or write a few rows of flags, \Recent marks or expunges without a
// blob or an fsync (see inline.hpp); whether a write may run here is decided when it starts.
// IDLE's own work is the refresh before it starts waiting.
constexpr std::array<std::string_view, 16> quick{"NOOP",      "CHECK",     "CAPABILITY", "NAMESPACE",
                                                 "LIST",      "LSUB",      "STATUS",     "SELECT",
                                                 "EXAMINE",   "FETCH",     "UID FETCH",  "STORE",
                                                 "UID STORE", "EXPUNGE",   "UID EXPUNGE", "IDLE"};

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
      if (!from_database(a) && named(f->set) > inline_blob_messages) return false;
  }
  return true;
}

bool inline_search(const session_state& st, const command& cmd) {
  if (st.ph != phase::selected || st.notify || (cmd.name != "SEARCH" && cmd.name != "UID SEARCH")) return false;
  const auto* s = std::get_if<cmd_search>(&cmd.args);
  return s && searches_index_only(s->key);
}

bool may_take_long(const session_state& st, const command& cmd) {
  if (!st.selected() || !st.env || st.env->progress_step == 0) return false;
  std::size_t walks = 0;
  if (const auto* f = std::get_if<cmd_fetch>(&cmd.args))
    walks = resolve(*st.sel, f->set, cmd.name == "UID FETCH").size();
  else if (std::holds_alternative<cmd_search>(cmd.args) || std::holds_alternative<cmd_sort>(cmd.args) ||
           std::holds_alternative<cmd_thread>(cmd.args))
    walks = st.sel->uids.size();
  return walks > st.env->progress_step;
}

}  // namespace hearth::mail::imap
