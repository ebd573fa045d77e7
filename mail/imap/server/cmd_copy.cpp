// COPY / UID COPY (RFC 9051 §6.4.7, RFC 4315 COPYUID) and MOVE / UID MOVE (RFC 6851).
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_copy(session_state& st, const command& cmd, reply& r) {
  const auto& c = std::get<cmd_copy>(cmd.args);
  const bool uid = cmd.name.starts_with("UID ");
  const bool move = cmd.name.ends_with("MOVE");
  auto& sel = *st.sel;
  if (move && sel.read_only) return r.no("[READ-ONLY] Mailbox is read-only");
  auto& store = *st.env->store;
  auto target = store.status(st.account, c.mailbox);
  if (!target) {
    if (target.error().code == "mail.no_mailbox") return r.no("[TRYCREATE] No such mailbox");
    return fail(r, target.error());
  }
  auto uids = resolve(sel, c.set, uid);
  if (uids.empty()) return r.ok(cmd.name + " completed");
  auto res = move ? store.move(st.account, sel.name, to_uid_set(uids), target->name)
                  : store.copy(st.account, sel.name, to_uid_set(uids), target->name);
  if (!res) return fail(r, res.error());
  std::vector<std::uint32_t> from, to;
  for (const auto& [a, b] : res->uids) from.push_back(a), to.push_back(b);
  if (st.env->on_user_action) st.env->on_user_action({st.account, move ? "move" : "copy", sel.name, target->name, to, {}});
  std::string code = "[COPYUID " + std::to_string(res->uidvalidity) + " " + compress_set(from, true) + " " +
                     compress_set(to, true) + "] ";
  if (!move) return r.ok(code + cmd.name + " completed");
  // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges.
  r.untagged("OK " + code + "Moved");
  if (st.qresync) r.untagged("VANISHED " + compress_set(from));
  for (auto it = from.rbegin(); it != from.rend(); ++it) {
    auto seq = seq_of(sel, *it);
    if (!seq) continue;
    if (!st.qresync) r.untagged(std::to_string(seq) + " EXPUNGE");
    sel.uids.erase(sel.uids.begin() + (seq - 1));
    sel.modseqs.erase(sel.modseqs.begin() + (seq - 1));
  }
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
