#include "mail/imap/server/acl.hpp"

#include "core/util/strings.hpp"
#include "mail/store/acl.hpp"

namespace hearth::mail::imap {

std::optional<std::string> canonical_rights(std::string_view given) {
  std::string have;
  for (char c : given) {
    char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (l == 'c') have += 'k';
    else if (l == 'd') have += "xte";
    else if (all_rights.find(l) != std::string_view::npos) have += l;
    else return std::nullopt;
  }
  std::string out;
  for (char r : all_rights)
    if (has_right(have, r)) out += r;
  return out;
}

std::string union_rights(std::string_view a, std::string_view b) {
  std::string out;
  for (char r : all_rights)
    if (has_right(a, r) || has_right(b, r)) out += r;
  return out;
}

result<mailbox_ref> resolve_mailbox(const session_state& st, std::string_view name) {
  if (!st.env->acl || !name.starts_with(shared_prefix))
    return mailbox_ref{st.account, std::string(name), std::string(all_rights), false, std::string(name)};
  auto rest = name.substr(shared_prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size())
    return fail("mail.no_mailbox", "no such mailbox");
  // Addresses are stored normalized; the local part's case is not significant here either.
  const std::string owner = util::to_lower(rest.substr(0, slash));
  const std::string_view wanted = rest.substr(slash + 1);
  if (owner == st.account) return fail("mail.no_mailbox", "no such mailbox");
  auto grants = st.env->acl->for_user(st.account);
  if (!grants) return grants.error();
  mailbox_ref ref{owner, "", "", true, ""};
  for (const auto& g : *grants) {
    if (g.owner != owner) continue;
    const bool inbox = g.mailbox == "INBOX" && util::iequals(wanted, "INBOX");
    if (g.mailbox != wanted && !inbox) continue;
    ref.name = g.mailbox;
    ref.rights = union_rights(ref.rights, g.rights);
  }
  if (!has_right(ref.rights, 'l') && !has_right(ref.rights, 'r')) return fail("mail.no_mailbox", "no such mailbox");
  ref.display = std::string(shared_prefix) + owner + "/" + ref.name;
  return ref;
}

bool require_right(const mailbox_ref& ref, char right, reply& r) {
  if (has_right(ref.rights, right)) return true;
  r.no(std::string("[NOPERM] You lack the \"") + right + "\" right on this mailbox");
  return false;
}

}  // namespace hearth::mail::imap
