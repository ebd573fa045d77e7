#include "mail/imap/server/mailbox_names.hpp"

#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

std::string strip_delimiter(std::string n) {
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

std::optional<mailbox_target> target_of(const session_state& st, std::string_view name, name_use use, reply& r) {
  if (!st.env->acl || !name.starts_with(shared_prefix)) return mailbox_target{st.account, std::string(name), false};
  if (use == name_use::remove) {
    auto ref = resolve_mailbox(st, name);
    if (!ref) {
      fail(r, ref.error());
      return std::nullopt;
    }
    if (!require_right(*ref, 'x', r)) return std::nullopt;
    return mailbox_target{ref->owner, ref->name, true};
  }
  // "shared/OWNER/PARENT/LEAF": the parent is a mailbox of OWNER's that must grant "k".
  const auto slash = name.rfind('/');
  const std::string_view parent = name.substr(0, slash), leaf = name.substr(slash + 1);
  const auto owner_end = name.find('/', shared_prefix.size());
  if (owner_end == std::string_view::npos || owner_end == slash) {
    // "shared/OWNER/NAME" (or less): no parent mailbox could grant "k" there.
    r.no("[NOPERM] Only the owner creates mailboxes at the top of their namespace");
    return std::nullopt;
  }
  auto ref = resolve_mailbox(st, parent);
  if (!ref) {
    fail(r, ref.error());
    return std::nullopt;
  }
  if (!require_right(*ref, 'k', r)) return std::nullopt;
  return mailbox_target{ref->owner, ref->name + "/" + std::string(leaf), true};
}

}  // namespace hearth::mail::imap
