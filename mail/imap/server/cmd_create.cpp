// CREATE (RFC 9051 §6.3.4, RFC 6154 §3 CREATE-SPECIAL-USE; RFC 4314 §4: in another user's
// namespace, "k" on the parent).
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/store/acl.hpp"

namespace hearth::mail::imap {
namespace {

// A new mailbox starts with its parent's grants, as Cyrus and Dovecot do (RFC 4314 leaves the
// initial ACL to the server): the people a folder is shared with see what is made inside it,
// whoever made it, and a sharee keeps seeing what they created.
result<void> inherit_grants(const session_state& st, const std::string& owner, const std::string& name) {
  const auto slash = name.rfind('/');
  if (!st.env->acl || slash == std::string::npos) return {};
  auto grants = st.env->acl->of_mailbox(owner, name.substr(0, slash));
  if (!grants) return grants.error();
  for (const auto& g : *grants)
    if (auto res = st.env->acl->set(owner, name, g.identifier, g.rights); !res) return res.error();
  return {};
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
  auto t = target_of(st, strip_delimiter(m.mailbox), name_use::create, r);
  if (!t) return;
  // In the owner's store: its messages count against the owner's quota, whoever adds them.
  auto res = st.env->store->create(t->owner, t->name, use);
  if (!res) return fail(r, res.error());
  if (auto inherited = inherit_grants(st, t->owner, res->name); !inherited) return fail(r, inherited.error());
  r.ok("[MAILBOXID (" + mailbox_id(res->uidvalidity) + ")] CREATE completed");  // RFC 8474 §4.1
}

}  // namespace hearth::mail::imap
