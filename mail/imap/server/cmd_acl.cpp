// RFC 4314 ACL commands: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS. Grants live in the
// ACL store (mail/store/acl.hpp); names and rights are resolved as everywhere (acl.hpp).
#include <algorithm>

#include "core/util/strings.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/store/acl.hpp"
#include "mail/store/seen.hpp"

namespace hearth::mail::imap {
namespace {

constexpr std::size_t max_identifier = 320;  // an address's limit (RFC 5321 §4.5.3.1)
constexpr std::size_t max_entries = 1000;    // identifiers with rights on one mailbox

// The mailbox a command names, existing, with its store name filled in. False after writing
// the error on r.
bool find(session_state& st, std::string_view name, mailbox_ref& out, reply& r) {
  if (!st.env->acl) {
    r.no("[CANNOT] Sharing is not enabled");
    return false;
  }
  auto ref = resolve_mailbox(st, name);
  if (!ref) {
    fail(r, ref.error());
    return false;
  }
  auto mb = st.env->store->status(ref->owner, ref->shared ? ref->name : name);
  if (!mb) {
    fail(r, mb.error());
    return false;
  }
  ref->name = mb->name;
  if (!ref->shared) ref->display = mb->name;
  out = std::move(*ref);
  return true;
}

// An identifier the store keeps: "anyone" or an address, lower-cased. nullopt: not one.
std::optional<std::string> canonical_identifier(std::string_view id) {
  if (util::iequals(id, "anyone")) return std::string("anyone");
  if (id.empty() || id.size() > max_identifier) return std::nullopt;
  const auto at = id.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == id.size()) return std::nullopt;
  for (char c : id)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  return util::to_lower(id);
}

// SETACL and DELETEACL: the checks both share, then the store. rights "" removes.
void change(session_state& st, const command& cmd, std::string_view rights, reply& r) {
  const auto& a = std::get<cmd_acl>(cmd.args);
  mailbox_ref ref;
  if (!find(st, a.mailbox, ref, r) || !require_right(ref, 'a', r)) return;
  if (a.identifier.starts_with('-')) return r.no("[CANNOT] Negative rights are not supported");
  auto id = canonical_identifier(a.identifier);
  if (!id) return r.bad("Invalid identifier");
  // RFC 4314 §2: the owner always has every right here; a grant cannot take them away.
  if (*id == ref.owner) return r.no("[CANNOT] The owner's rights cannot be changed");
  if (!rights.empty()) {
    auto entries = st.env->acl->of_mailbox(ref.owner, ref.name);
    if (!entries) return fail(r, entries.error());
    const bool known = std::any_of(entries->begin(), entries->end(),
                                   [&](const mail::acl_grant& g) { return g.identifier == *id; });
    if (!known && entries->size() >= max_entries) return r.no("[LIMIT] Too many identifiers on this mailbox");
  }
  auto res = st.env->acl->set(ref.owner, ref.name, *id, rights);
  if (!res) return fail(r, res.error());
  // A sharee who can no longer read the mailbox loses their own \Seen state of it (seen.hpp).
  if (st.env->seen) {
    if (auto dropped = st.env->seen->drop_unreadable(ref.owner, ref.name); !dropped) return fail(r, dropped.error());
  }
  r.ok(cmd.name + " completed");
}

}  // namespace

void op_setacl(session_state& st, const command& cmd, reply& r) {
  const auto& a = std::get<cmd_acl>(cmd.args);
  std::string_view given = a.rights;
  const char mod = !given.empty() && (given[0] == '+' || given[0] == '-') ? given[0] : 0;
  if (mod) given.remove_prefix(1);
  // RFC 4314 §3.1: a right the server does not know is BAD.
  auto rights = canonical_rights(given);
  if (!rights) return r.bad("Unknown right in " + std::string(a.rights.substr(0, 64)));
  if (!mod) return change(st, cmd, *rights, r);
  mailbox_ref ref;
  if (!find(st, a.mailbox, ref, r)) return;
  auto id = canonical_identifier(a.identifier);
  if (!id) return r.bad("Invalid identifier");
  auto entries = st.env->acl->of_mailbox(ref.owner, ref.name);
  if (!entries) return fail(r, entries.error());
  std::string current;
  for (const auto& e : *entries)
    if (e.identifier == *id) current = e.rights;
  std::string next;
  if (mod == '+') {
    next = union_rights(current, *rights);
  } else {
    for (char c : current)
      if (!has_right(*rights, c)) next += c;
  }
  change(st, cmd, next, r);
}

void op_deleteacl(session_state& st, const command& cmd, reply& r) { change(st, cmd, "", r); }

void op_getacl(session_state& st, const command& cmd, reply& r) {
  const auto& a = std::get<cmd_acl>(cmd.args);
  mailbox_ref ref;
  if (!find(st, a.mailbox, ref, r) || !require_right(ref, 'a', r)) return;
  auto entries = st.env->acl->of_mailbox(ref.owner, ref.name);
  if (!entries) return fail(r, entries.error());
  std::string line = "ACL ";
  write_mailbox(line, ref.display, st.utf8);
  line += ' ';
  write_string(line, ref.owner, st.utf8);
  line += " " + std::string(all_rights);
  for (const auto& e : *entries) {
    line += ' ';
    write_string(line, e.identifier, st.utf8);
    line += " " + e.rights;
  }
  r.untagged(line);
  r.ok("GETACL completed");
}

void op_listrights(session_state& st, const command& cmd, reply& r) {
  const auto& a = std::get<cmd_acl>(cmd.args);
  mailbox_ref ref;
  if (!find(st, a.mailbox, ref, r) || !require_right(ref, 'a', r)) return;
  std::string line = "LISTRIGHTS ";
  write_mailbox(line, ref.display, st.utf8);
  line += ' ';
  write_string(line, a.identifier, st.utf8);
  // RFC 4314 §3.4: the rights always granted, then each one that may be granted apart. The
  // owner holds them all; anyone else may be given any, each on its own ("c" and "d" are
  // groups of the others: RIGHTS=texk).
  if (util::to_lower(a.identifier) == ref.owner) {
    line += " " + std::string(all_rights);
  } else {
    line += " \"\"";
    for (char c : all_rights) line += std::string(" ") + c;
  }
  r.untagged(line);
  r.ok("LISTRIGHTS completed");
}

void op_myrights(session_state& st, const command& cmd, reply& r) {
  const auto& a = std::get<cmd_acl>(cmd.args);
  mailbox_ref ref;
  if (!find(st, a.mailbox, ref, r)) return;
  std::string line = "MYRIGHTS ";
  write_mailbox(line, ref.display, st.utf8);
  r.untagged(line + " " + ref.rights);
  r.ok("MYRIGHTS completed");
}

}  // namespace hearth::mail::imap
