// The IMAP command table and dispatcher (STYLE.md: one table line per command, the state is
// checked once here, before dispatch). Handlers live in cmd_*.cpp.
#pragma once
#include <string_view>

#include "core/util/result.hpp"
#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

using handler_fn = void (*)(session_state&, const command&, reply&);

enum state_flag : unsigned {
  in_not_auth = 1u << 0,
  in_auth = 1u << 1,
  in_selected = 1u << 2,
  in_any = in_not_auth | in_auth | in_selected,
  in_logged_in = in_auth | in_selected,
};

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

// ---- handlers (cmd_*.cpp) ----
void op_capability(session_state&, const command&, reply&);
void op_noop(session_state&, const command&, reply&);
void op_logout(session_state&, const command&, reply&);
void op_id(session_state&, const command&, reply&);
void op_enable(session_state&, const command&, reply&);
void op_namespace(session_state&, const command&, reply&);
void op_starttls(session_state&, const command&, reply&);
void op_login(session_state&, const command&, reply&);
void op_authenticate(session_state&, const command&, reply&);
void op_idle(session_state&, const command&, reply&);
void op_compress(session_state&, const command&, reply&);
void op_list(session_state&, const command&, reply&);
void op_status(session_state&, const command&, reply&);
void op_create(session_state&, const command&, reply&);
void op_delete(session_state&, const command&, reply&);
void op_rename(session_state&, const command&, reply&);
void op_subscribe(session_state&, const command&, reply&);
void op_getquota(session_state&, const command&, reply&);
void op_getmetadata(session_state&, const command&, reply&);
void op_setmetadata(session_state&, const command&, reply&);
void op_getquotaroot(session_state&, const command&, reply&);
void op_select(session_state&, const command&, reply&);
void op_close(session_state&, const command&, reply&);
void op_unselect(session_state&, const command&, reply&);
void op_expunge(session_state&, const command&, reply&);
void op_append(session_state&, const command&, reply&);
void op_fetch(session_state&, const command&, reply&);
void op_store(session_state&, const command&, reply&);
void op_copy(session_state&, const command&, reply&);
void op_search(session_state&, const command&, reply&);
void op_sort(session_state&, const command&, reply&);
void op_thread(session_state&, const command&, reply&);
void op_setacl(session_state&, const command&, reply&);
void op_deleteacl(session_state&, const command&, reply&);
void op_getacl(session_state&, const command&, reply&);
void op_listrights(session_state&, const command&, reply&);
void op_myrights(session_state&, const command&, reply&);
void op_notify(session_state&, const command&, reply&);
void op_cancelupdate(session_state&, const command&, reply&);

}  // namespace hearth::mail::imap
