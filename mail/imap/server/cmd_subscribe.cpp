// SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7-8).
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

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
