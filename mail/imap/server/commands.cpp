#include "mail/imap/server/commands.hpp"

#include <array>
#include <exception>

#include "core/log/log.hpp"
#include "mail/imap/server/notify.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

// RFC 9051 §6 command groups: any state / not authenticated / authenticated / selected.
constexpr std::array table{
    command_entry{"CAPABILITY", op_capability, in_any},
    command_entry{"NOOP", op_noop, in_any},
    command_entry{"CHECK", op_noop, in_selected},
    command_entry{"LOGOUT", op_logout, in_any},
    command_entry{"ID", op_id, in_any},
    command_entry{"STARTTLS", op_starttls, in_not_auth},
    command_entry{"LOGIN", op_login, in_not_auth},
    command_entry{"AUTHENTICATE", op_authenticate, in_not_auth},
    command_entry{"ENABLE", op_enable, in_logged_in},
    command_entry{"NAMESPACE", op_namespace, in_logged_in},
    command_entry{"IDLE", op_idle, in_logged_in},
    command_entry{"COMPRESS", op_compress, in_logged_in},
    command_entry{"LIST", op_list, in_logged_in},
    command_entry{"LSUB", op_list, in_logged_in},
    command_entry{"STATUS", op_status, in_logged_in},
    command_entry{"CREATE", op_create, in_logged_in},
    command_entry{"DELETE", op_delete, in_logged_in},
    command_entry{"RENAME", op_rename, in_logged_in},
    command_entry{"SUBSCRIBE", op_subscribe, in_logged_in},
    command_entry{"UNSUBSCRIBE", op_subscribe, in_logged_in},
    command_entry{"GETQUOTA", op_getquota, in_logged_in},
    command_entry{"GETMETADATA", op_getmetadata, in_logged_in},
    command_entry{"SETMETADATA", op_setmetadata, in_logged_in},
    command_entry{"GETQUOTAROOT", op_getquotaroot, in_logged_in},
    command_entry{"NOTIFY", op_notify, in_logged_in},
    command_entry{"SETACL", op_setacl, in_logged_in},
    command_entry{"DELETEACL", op_deleteacl, in_logged_in},
    command_entry{"GETACL", op_getacl, in_logged_in},
    command_entry{"LISTRIGHTS", op_listrights, in_logged_in},
    command_entry{"MYRIGHTS", op_myrights, in_logged_in},
    command_entry{"SELECT", op_select, in_logged_in},
    command_entry{"EXAMINE", op_select, in_logged_in},
    command_entry{"APPEND", op_append, in_logged_in},
    command_entry{"CLOSE", op_close, in_selected},
    command_entry{"UNSELECT", op_unselect, in_selected},
    command_entry{"EXPUNGE", op_expunge, in_selected},
    command_entry{"UID EXPUNGE", op_expunge, in_selected},
    command_entry{"FETCH", op_fetch, in_selected, false},
    command_entry{"UID FETCH", op_fetch, in_selected},
    command_entry{"STORE", op_store, in_selected, false},
    command_entry{"UID STORE", op_store, in_selected},
    command_entry{"COPY", op_copy, in_selected},
    command_entry{"UID COPY", op_copy, in_selected},
    command_entry{"MOVE", op_copy, in_selected},
    command_entry{"UID MOVE", op_copy, in_selected},
    command_entry{"SEARCH", op_search, in_selected, false},
    command_entry{"UID SEARCH", op_search, in_selected},
    command_entry{"SORT", op_sort, in_selected, false},
    command_entry{"UID SORT", op_sort, in_selected},
    command_entry{"THREAD", op_thread, in_selected, false},
    command_entry{"UID THREAD", op_thread, in_selected},
    command_entry{"CANCELUPDATE", op_cancelupdate, in_selected},
};

unsigned state_bit(const session_state& st) {
  switch (st.ph) {
    case phase::not_authenticated: return in_not_auth;
    case phase::authenticated: return in_auth;
    case phase::selected: return in_selected;
    case phase::logout: return 0;
  }
  return 0;
}

}  // namespace

const command_entry* find_command(std::string_view name) {
  for (const auto& e : table)
    if (e.name == name) return &e;
  return nullptr;
}

reply execute(session_state& st, const command& cmd) {
  reply r;
  const command_entry* e = find_command(cmd.name);
  if (!e) {
    r.bad("Unknown command");
  } else if (!(e->states & state_bit(st))) {
    if (st.ph == phase::not_authenticated)
      r.bad("Log in first");
    else if (e->states == in_selected)
      r.bad("No mailbox selected");
    else
      r.bad("Command not allowed now");
  } else {
    try {
      e->fn(st, cmd, r);
    } catch (const std::exception& ex) {
      log::error("imap.error", {{"cmd", cmd.name}, {"error", ex.what()}});
      r = reply{};
      r.no("[SERVERBUG] Internal error");
    }
    if (st.selected() && r.act != action::logout) refresh(st, r, e->allows_expunge);
    // RFC 5465: what changed in the other watched mailboxes, less what this command did.
    if (st.notify && r.act != action::logout && cmd.name != "NOTIFY")
      notify_updates(st, r, false, e->allows_expunge, changed_by(cmd));
  }
  // AUTHENTICATE and IDLE continue in the session, which writes their tagged line.
  if (r.act == action::authenticate || r.act == action::idle) return r;
  r.out += cmd.tag;
  r.out += ' ';
  r.out += r.status;
  r.out += ' ';
  r.out += r.text;
  r.out += "\r\n";
  return r;
}

}  // namespace hearth::mail::imap
