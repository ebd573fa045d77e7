// STORE / UID STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3 UNCHANGEDSINCE / MODIFIED).
#include <algorithm>
#include <iterator>

#include "core/util/strings.hpp"

#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {

void op_store(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_store>(cmd.args);
  const bool uid = cmd.name == "UID STORE";
  auto& sel = *st.sel;
  if (sel.read_only) return r.no("[READ-ONLY] Mailbox is read-only");
  if (s.unchanged_since) st.condstore = true;
  for (const auto& fl : s.flags)
    if (fl == "\\Recent" || fl == "\\recent") return r.bad("\\Recent cannot be stored");
  // RFC 4314 §4: \Seen needs "s", \Deleted "t", any other flag "w". Replacing the flags
  // touches every one of them, so it needs all three.
  for (const auto& fl : s.flags) {
    const char need = util::iequals(fl, "\\Seen") ? 's' : util::iequals(fl, "\\Deleted") ? 't' : 'w';
    if (!has_right(sel.rights, need))
      return r.no(std::string("[NOPERM] You lack the \"") + need + "\" right to change " + fl);
  }
  if (s.op == store_op::replace)
    for (char need : {'s', 't', 'w'})
      if (!has_right(sel.rights, need))
        return r.no(std::string("[NOPERM] You lack the \"") + need + "\" right to replace the flags");
  auto uids = resolve(sel, s.set, uid);
  if (uids.empty()) return r.ok(cmd.name + " completed");
  const auto mode = s.op == store_op::replace ? mail::flag_mode::set
                    : s.op == store_op::add   ? mail::flag_mode::add
                                              : mail::flag_mode::remove;
  auto res = store_flags_as_user(st, sel.owner, sel.name, uids, mode, s.flags, s.unchanged_since);
  if (!res) {
    if (res.error().code == "mail.invalid") return r.bad("Invalid flag");
    return fail(r, res.error());
  }
  std::vector<std::uint32_t> changed;
  for (const auto& m : res->updated) {
    changed.push_back(m.uid);
    if (auto seq = seq_of(sel, m.uid)) sel.modseqs[seq - 1] = std::max(sel.modseqs[seq - 1], m.modseq);
  }
  std::sort(changed.begin(), changed.end());
  if (mode != mail::flag_mode::remove && st.env->on_user_action && sel.owner == st.account) {
    user_action a{st.account, "store", sel.name, sel.name, {}, {}, s.flags};
    for (const auto& m : res->updated) a.blobs.push_back({m.blob_id, m.size});
    std::set_difference(uids.begin(), uids.end(), changed.begin(), changed.end(), std::back_inserter(a.uids));
    st.env->on_user_action(a);
  }
  // Non-silent: FLAGS of every message named (RFC 9051 §6.4.6); silent: only what changed
  // under CONDSTORE, which must learn the new MODSEQ (RFC 7162 §3.1.3).
  std::vector<mail::message_info> show;
  if (!s.silent) {
    // The messages the store changed come back with their new flags; only the others (already
    // as asked, or MODIFIED) are read again.
    show = res->updated;
    std::vector<std::uint32_t> rest;
    std::set_difference(uids.begin(), uids.end(), changed.begin(), changed.end(), std::back_inserter(rest));
    if (!rest.empty()) {
      auto more = fetch_as_user(st, sel.owner, sel.name, to_uid_set(rest));
      if (!more) return fail(r, more.error());
      show.insert(show.end(), std::make_move_iterator(more->begin()), std::make_move_iterator(more->end()));
      std::sort(show.begin(), show.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    }
  } else if (st.condstore) {
    show = res->updated;
  }
  std::vector<std::uint32_t> modified(res->modified.begin(), res->modified.end());
  for (const auto& m : show) {
    if (std::binary_search(modified.begin(), modified.end(), m.uid)) continue;
    auto seq = seq_of(sel, m.uid);
    if (!seq) continue;
    std::string line = std::to_string(seq) + " FETCH (";
    if (!s.silent) {
      announce_keywords(st, r, m.flags);
      line += "FLAGS " + session_flags(st, m);
    }
    if (uid) line += std::string(s.silent ? "" : " ") + "UID " + std::to_string(m.uid);
    if (st.condstore) line += std::string(!s.silent || uid ? " " : "") + "MODSEQ (" + std::to_string(m.modseq) + ")";
    r.untagged(line + ")");
  }
  if (!modified.empty()) {
    std::vector<std::uint32_t> nums;
    for (auto u : modified) nums.push_back(uid ? u : seq_of(sel, u));
    return r.ok("[MODIFIED " + compress_set(nums) + "] Conditional STORE failed for some messages");
  }
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
