// EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315).
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

// Removes `gone` (ascending uids) from the view and announces them.
void announce_expunged(session_state& st, const std::vector<std::uint32_t>& gone, reply& r) {
  auto& sel = *st.sel;
  if (gone.empty()) return;
  if (st.qresync) r.untagged("VANISHED " + compress_set(gone));
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
    auto seq = seq_of(sel, *it);
    if (!seq) continue;
    if (!st.qresync) r.untagged(std::to_string(seq) + " EXPUNGE");
    sel.uids.erase(sel.uids.begin() + (seq - 1));
    sel.modseqs.erase(sel.modseqs.begin() + (seq - 1));
  }
}

}  // namespace

void op_expunge(session_state& st, const command& cmd, reply& r) {
  if (st.sel->read_only) return r.no("[READ-ONLY] Mailbox is read-only");
  // RFC 4314 §4: EXPUNGE needs "e".
  if (!has_right(st.sel->rights, 'e')) return r.no("[NOPERM] You lack the \"e\" right on this mailbox");
  std::optional<mail::uid_set> only;
  if (cmd.name == "UID EXPUNGE") {
    auto uids = resolve(*st.sel, std::get<cmd_uid_expunge>(cmd.args).uids, true);
    if (uids.empty()) return r.ok("UID EXPUNGE completed");
    only = to_uid_set(uids);
  }
  // What others expunged meanwhile is announced by the refresh after the command: each
  // EXPUNGE line's number is taken from the view as the client holds it at that line, so the
  // order of the two sets does not matter, and one read of the changes (in the write's own
  // commit on PostgreSQL, refresh_scope.hpp) serves both.
  auto res = st.env->store->expunge(st.sel->owner, st.sel->name, only);
  if (!res) return fail(r, res.error());
  announce_expunged(st, res->uids, r);
  if (st.condstore) return r.ok("[HIGHESTMODSEQ " + std::to_string(res->modseq) + "] " + cmd.name + " completed");
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
