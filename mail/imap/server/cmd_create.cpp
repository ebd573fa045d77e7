// CREATE (RFC 9051 §6.3.4, RFC 6154 §3 CREATE-SPECIAL-USE).
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_create(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_mailbox>(cmd.args);
  std::string use;
  if (m.special_use.size() > 1) return r.no("[USEATTR] One special-use attribute per mailbox");
  if (!m.special_use.empty()) {
    use = m.special_use[0];
    if (use != "\\Sent" && use != "\\Drafts" && use != "\\Trash" && use != "\\Junk" && use != "\\Archive" &&
        use != "\\All" && use != "\\Flagged")
      return r.no("[USEATTR] Unsupported special-use attribute");
    if (use == "\\All" || use == "\\Flagged") return r.no("[USEATTR] Virtual mailboxes are not supported");
  }
  if (!own_name(st, m.mailbox, r)) return;
  auto res = st.env->store->create(st.account, strip_delimiter(m.mailbox), use);
  if (!res) return fail(r, res.error());
  r.ok("[MAILBOXID (" + mailbox_id(res->uidvalidity) + ")] CREATE completed");  // RFC 8474 §4.1
}

}  // namespace hearth::mail::imap
