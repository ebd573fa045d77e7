// COPY / UID COPY (RFC 9051 §6.4.7, RFC 4315 COPYUID) and MOVE / UID MOVE (RFC 6851).
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {
namespace {

// A copy between two accounts' stores (to or from a shared mailbox): each message is appended
// to the target from the blob it already has, with its flags and internal date, so the target's
// owner is charged for it; a move then expunges the sources. The store's own copy keeps to one
// account.
result<mail::copy_result> copy_across(session_state& st, const std::vector<std::uint32_t>& uids,
                                      const mailbox_ref& target, bool move) {
  auto& store = *st.env->store;
  auto& sel = *st.sel;
  // The flags as the user sees them: a sharee's own \Seen goes with the copy.
  auto msgs = fetch_as_user(st, sel.owner, sel.name, to_uid_set(uids));
  if (!msgs) return msgs.error();
  mail::copy_result out;
  std::vector<std::uint32_t> done, seen_copies;
  for (const auto& m : *msgs) {
    std::vector<std::string> flags = m.flags;
    std::erase_if(flags, [&](const std::string& fl) {
      const char need = fl == "\\Seen" ? 's' : fl == "\\Deleted" ? 't' : 'w';
      return !has_right(target.rights, need);
    });
    const bool seen = take_seen(st, target.owner, flags);
    auto res = store.append_blob(target.owner, target.name, m.blob_id, flags, m.internal_date);
    if (!res) {
      // All or nothing, as the store's copy is (RFC 9051 §6.4.7).
      if (!out.uids.empty()) {
        std::vector<std::uint32_t> made;
        for (const auto& [from, to] : out.uids) made.push_back(to);
        (void)store.store_flags(target.owner, target.name, to_uid_set(made), mail::flag_mode::add, {"\\Deleted"});
        (void)store.expunge(target.owner, target.name, to_uid_set(made));
      }
      return res.error();
    }
    out.uidvalidity = res->uidvalidity;
    out.uids.emplace_back(m.uid, res->uid);
    out.blobs.push_back({m.blob_id, m.size});
    done.push_back(m.uid);
    if (seen) seen_copies.push_back(res->uid);
  }
  // The copies are made: a failure here must not make the client copy them again.
  (void)mark_seen_as_user(st, target.owner, target.name, seen_copies);
  if (move && !done.empty()) {
    auto set = to_uid_set(done);
    if (auto f = store.store_flags(sel.owner, sel.name, set, mail::flag_mode::add, {"\\Deleted"}); !f) return f.error();
    if (auto e = store.expunge(sel.owner, sel.name, set); !e) return e.error();
  }
  return out;
}

}  // namespace

void op_copy(session_state& st, const command& cmd, reply& r) {
  const auto& c = std::get<cmd_copy>(cmd.args);
  const bool uid = cmd.name.starts_with("UID ");
  const bool move = cmd.name.ends_with("MOVE");
  auto& sel = *st.sel;
  if (move && sel.read_only) return r.no("[READ-ONLY] Mailbox is read-only");
  auto& store = *st.env->store;
  auto ref = resolve_mailbox(st, c.mailbox);
  if (!ref) return fail(r, ref.error());
  auto target = store.status(ref->owner, ref->shared ? ref->name : c.mailbox);
  if (!target) {
    if (target.error().code == "mail.no_mailbox" && !ref->shared) return r.no("[TRYCREATE] No such mailbox");
    return fail(r, target.error());
  }
  ref->name = target->name;
  // RFC 4314 §4: COPY needs "i" on the target; MOVE also takes the messages out of the source,
  // which needs "t" and "e" there (RFC 6851 §3.3).
  if (!require_right(*ref, 'i', r)) return;
  if (move && !(has_right(sel.rights, 't') && has_right(sel.rights, 'e')))
    return r.no("[NOPERM] You lack the \"t\" and \"e\" rights on the source mailbox");
  auto uids = resolve(sel, c.set, uid);
  if (uids.empty()) return r.ok(cmd.name + " completed");
  // Within one account the store copies the owner's flags; a sharee's own \Seen is carried here.
  std::vector<std::uint32_t> seen_sources;
  if (ref->owner == sel.owner && private_seen(st, sel.owner) && has_right(ref->rights, 's')) {
    auto now = fetch_as_user(st, sel.owner, sel.name, to_uid_set(uids));
    if (!now) return fail(r, now.error());
    for (const auto& m : *now)
      if (!m.flags.empty() && m.flags.front() == "\\Seen") seen_sources.push_back(m.uid);
  }
  auto res = ref->owner != sel.owner ? copy_across(st, uids, *ref, move)
             : move                  ? store.move(sel.owner, sel.name, to_uid_set(uids), target->name)
                                     : store.copy(sel.owner, sel.name, to_uid_set(uids), target->name);
  if (!res) return fail(r, res.error());
  std::vector<std::uint32_t> from, to, seen_to;
  for (const auto& [a, b] : res->uids) {
    from.push_back(a), to.push_back(b);
    if (std::binary_search(seen_sources.begin(), seen_sources.end(), a)) seen_to.push_back(b);
  }
  (void)mark_seen_as_user(st, ref->owner, target->name, seen_to);
  if (st.env->on_user_action && sel.owner == st.account && !ref->shared)
    st.env->on_user_action({st.account, move ? "move" : "copy", sel.name, target->name, res->blobs, {}, {}});
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
