// The IMAP command table and dispatcher (STYLE.md: one table line per command, the state is
// checked once here, before dispatch). The table is mail/imap/proto/commands.def, shared with
// the parser; handlers live in cmd_*.cpp.
#pragma once
#include <string_view>

#include "core/util/result.hpp"
#include "mail/imap/proto/command_table.hpp"
#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

using handler_fn = void (*)(session_state&, const command&, reply&);

struct command_entry {
  std::string_view name;
  handler_fn fn;
  unsigned states;
  // RFC 9051 §7.5.1: no EXPUNGE while a command that uses message sequence numbers runs
  // (FETCH, STORE, SEARCH) — they are announced at the next command that allows them.
  bool allows_expunge = true;
};

// nullptr for a name that the table lacks.
const command_entry* find_command(std::string_view name);

// Runs one parsed command: state check, handler, then (in the selected state) the untagged
// updates of other sessions' changes, then the tagged line. Never throws: an exception from a
// handler becomes "NO [SERVERBUG]" (logged).
reply execute(session_state& st, const command& cmd);

// The CAPABILITY list for the session's current state (RFC 9051 §7.2.2).
std::string capabilities(const session_state& st);

// STATUS items "(MESSAGES 3 UIDNEXT 4)" for one mailbox (STATUS and LIST-STATUS).
std::string status_items(const session_state& st, const mail::mailbox_info& mb,
                         const std::vector<std::string>& items);

// ---- handlers (cmd_*.cpp), one op_<HANDLER> per name in commands.def ----
#define IMAP_COMMAND(NAME, SYNTAX, HANDLER, STATES, EXPUNGE_OK) \
  void op_##HANDLER(session_state&, const command&, reply&);
#include "mail/imap/proto/commands.def"
#undef IMAP_COMMAND

}  // namespace hearth::mail::imap
