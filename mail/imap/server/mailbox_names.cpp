#include "mail/imap/server/mailbox_names.hpp"

#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

std::string strip_delimiter(std::string n) {
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

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

}  // namespace hearth::mail::imap
