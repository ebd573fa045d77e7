// GETQUOTA and GETQUOTAROOT (RFC 9208): one quota root "" per account, charged with the
// account's own mailboxes; a shared mailbox counts against its owner.
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

namespace {
// RFC 9208 §5.1: STORAGE in units of 1024 octets; one quota root "" per account.
std::string quota_line(const mail::quota_usage& u) {
  std::string s = "QUOTA \"\" (";
  if (u.limit_bytes) s += "STORAGE " + std::to_string((u.used_bytes + 1023) / 1024) + " " + std::to_string(u.limit_bytes / 1024);
  return s + ")";
}
}  // namespace

void op_getquota(session_state& st, const command& cmd, reply& r) {
  const auto& q = std::get<cmd_getquota>(cmd.args);
  if (!q.root.empty()) return r.no("[NONEXISTENT] No such quota root");
  auto u = st.env->store->usage(st.account);
  if (!u) return fail(r, u.error());
  r.untagged(quota_line(*u));
  r.ok("GETQUOTA completed");
}

void op_getquotaroot(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_mailbox>(cmd.args);
  auto ref = resolve_mailbox(st, m.mailbox);
  if (!ref) return fail(r, ref.error());
  auto mb = st.env->store->status(ref->owner, ref->shared ? ref->name : m.mailbox);
  if (!mb) return fail(r, mb.error());
  if (ref->shared) {  // charged to its owner, whose quota root this user cannot see
    std::string line = "QUOTAROOT ";
    write_mailbox(line, ref->display, st.utf8);
    r.untagged(line);
    return r.ok("GETQUOTAROOT completed");
  }
  auto u = st.env->store->usage(st.account);
  if (!u) return fail(r, u.error());
  std::string line = "QUOTAROOT ";
  write_mailbox(line, mb->name, st.utf8);
  r.untagged(line + " \"\"");
  r.untagged(quota_line(*u));
  r.ok("GETQUOTAROOT completed");
}

}  // namespace hearth::mail::imap
