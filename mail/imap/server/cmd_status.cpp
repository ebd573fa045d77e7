// STATUS (RFC 9051 §6.3.11).
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {

void op_status(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_status>(cmd.args);
  for (const auto& it : s.items)
    if (it != "MESSAGES" && it != "UIDNEXT" && it != "UIDVALIDITY" && it != "UNSEEN" && it != "RECENT" &&
        it != "SIZE" && it != "DELETED" && it != "HIGHESTMODSEQ" && it != "APPENDLIMIT" && it != "MAILBOXID")
      return r.bad("Unknown STATUS item " + it);
  auto ref = resolve_mailbox(st, s.mailbox);
  if (!ref) return fail(r, ref.error());
  // RFC 4314 §4: STATUS needs "r".
  if (!require_right(*ref, 'r', r)) return;
  auto mb = status_as_user(st, ref->owner, ref->shared ? ref->name : s.mailbox);
  if (!mb) return fail(r, mb.error());
  std::string line = "STATUS ";
  write_mailbox(line, ref->shared ? ref->display : mb->name, st.utf8);
  r.untagged(line + " " + status_items(st, *mb, s.items));
  r.ok("STATUS completed");
}

}  // namespace hearth::mail::imap
