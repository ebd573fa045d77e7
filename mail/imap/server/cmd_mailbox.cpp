// CREATE (RFC 9051 §6.3.4, RFC 6154 §3 CREATE-SPECIAL-USE), DELETE, RENAME, SUBSCRIBE and
// UNSUBSCRIBE: one file, as they share the rules for names (own, shared, trailing "/").
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

// RFC 9051 §6.3.4: a trailing delimiter only says the client intends to create children.
std::string strip_delimiter(std::string n) {
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

// The mailboxes of other users are theirs to create, delete, rename and subscribe to: a name
// under the shared prefix answers NO, NONEXISTENT unless granted (never revealing a mailbox),
// NOPERM when it is. True when `name` is the session's own.
bool own_name(const session_state& st, std::string_view name, reply& r) {
  if (!st.env->acl || !name.starts_with(shared_prefix)) return true;
  auto ref = resolve_mailbox(st, name);
  if (!ref) {
    fail(r, ref.error());
    return false;
  }
  r.no("[NOPERM] Another user's mailbox");
  return false;
}

}  // namespace

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

void op_delete(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_mailbox>(cmd.args);
  if (!own_name(st, m.mailbox, r)) return;
  auto res = st.env->store->remove(st.account, strip_delimiter(m.mailbox));
  if (!res) return fail(r, res.error());
  r.ok("DELETE completed");
}

void op_rename(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_rename>(cmd.args);
  if (!own_name(st, m.from, r) || !own_name(st, m.to, r)) return;
  auto res = st.env->store->rename(st.account, strip_delimiter(m.from), strip_delimiter(m.to));
  if (!res) return fail(r, res.error());
  r.ok("RENAME completed");
}

void op_subscribe(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_mailbox>(cmd.args);
  std::string name = strip_delimiter(m.mailbox);
  // Another user's mailbox is subscribed to in the user's own list (clients that show only
  // subscribed folders, as Thunderbird does by default, need it); only one the user can see,
  // though a grant taken back may still be unsubscribed.
  if (st.env->acl && name.starts_with(shared_prefix) && cmd.name == "SUBSCRIBE") {
    auto ref = resolve_mailbox(st, name);
    if (!ref) return fail(r, ref.error());
    name = ref->display;
  }
  auto res = st.env->store->subscribe(st.account, name, cmd.name == "SUBSCRIBE");
  if (!res) return fail(r, res.error());
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
