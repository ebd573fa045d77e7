#include "mail/imap/server/commands.hpp"

#include <array>
#include <exception>
#include <optional>
#include <string_view>

#include "core/log/log.hpp"
#include "mail/imap/server/change_clock.hpp"
#include "mail/imap/server/notify.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/store/refresh_scope.hpp"
#include "mail/store/snapshot.hpp"

namespace hearth::mail::imap {
namespace {

constexpr std::array table{
#define IMAP_COMMAND(NAME, SYNTAX, HANDLER, STATES, EXPUNGE_OK) \
  command_entry{NAME, op_##HANDLER, states::STATES, EXPUNGE_OK},
#include "mail/imap/proto/commands.def"
#undef IMAP_COMMAND
};

// Commands that read the store and, as a rule, write nothing: their handler and the refresh
// after it run on one read snapshot (mail/store/snapshot.hpp), which on SQLite takes the file's
// locks once for their three or so statements. One that does write (a FETCH that sets \Seen,
// SELECT's \Recent claim) ends the snapshot at its write. Commands that write first would
// only pay its BEGIN and COMMIT.
constexpr std::array<std::string_view, 19> snapshot_reads{
    "NOOP",       "CHECK",      "LIST",      "LSUB",      "STATUS",       "SELECT",  "EXAMINE",
    "FETCH",      "UID FETCH",  "SEARCH",    "UID SEARCH", "SORT",        "UID SORT", "THREAD",
    "UID THREAD", "IDLE",       "GETQUOTAROOT", "GETMETADATA", "NAMESPACE"};

bool reads_snapshot(const session_state& st, std::string_view name) {
  if (!st.env || !st.env->store) return false;
  // On another user's mailbox a FETCH may set the user's own \Seen in the seen store, on a
  // connection of its own that raises the mailbox's HIGHESTMODSEQ: the refresh must see it.
  if (st.sel && st.sel->owner != st.account) return false;
  for (auto n : snapshot_reads)
    if (n == name) return true;
  return false;
}

bool leaves_mailbox(std::string_view name) {
  return name == "SELECT" || name == "EXAMINE" || name == "UNSELECT" || name == "CLOSE" || name == "LOGOUT";
}

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
    // Before the command's first read (change_clock.hpp): an event numbered above this may be
    // a change that the command's reads did not see.
    st.cmd_seq = st.env && st.env->changes ? st.env->changes->now() : 0;
    std::optional<mail::read_scope> snapshot;
    if (reads_snapshot(st, cmd.name)) snapshot.emplace(*st.env->store);
    // The refresh below travels with the command's own statements (refresh_scope.hpp), unless
    // the command leaves the mailbox, after which it refreshes another one or none.
    std::optional<mail::refresh_scope> follow;
    // Not on another user's mailbox, where the user's own \Seen is written through another
    // store (private_seen.hpp), which would leave what was read stale.
    if (st.selected() && !leaves_mailbox(cmd.name) && st.sel->owner == st.account)
      follow.emplace(*st.env->store, st.sel->owner, st.sel->name, st.sel->highestmodseq);
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
    st.cmd_seq = 0;
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
