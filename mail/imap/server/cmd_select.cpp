// SELECT and EXAMINE (RFC 9051 §6.3.2-3, RFC 7162 CONDSTORE/QRESYNC parameters).
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {
namespace {

void qresync_report(session_state& st, const qresync_params& q, reply& r) {
  auto& sel = *st.sel;
  if (q.uidvalidity != sel.uidvalidity) return;  // RFC 7162 §3.2.5: full resync needed
  auto ch = changes_as_user(st, sel.owner, sel.name, q.modseq);
  if (!ch) return;
  std::vector<std::uint32_t> vanished;
  if (q.known_uids) {
    for (const auto& rg : q.known_uids->ranges) {
      std::uint32_t lo = rg.lo == seq_range::star ? mail::uid_max : rg.lo;
      std::uint32_t hi = rg.hi == seq_range::star ? mail::uid_max : rg.hi;
      if (lo > hi) std::swap(lo, hi);
      for (auto u : ch->vanished)
        if (u >= lo && u <= hi) vanished.push_back(u);
    }
    std::sort(vanished.begin(), vanished.end());
    vanished.erase(std::unique(vanished.begin(), vanished.end()), vanished.end());
  } else {
    vanished = ch->vanished;
  }
  if (!vanished.empty()) r.untagged("VANISHED (EARLIER) " + compress_set(vanished));
  for (const auto& m : ch->changed) {
    auto seq = seq_of(sel, m.uid);
    if (!seq) continue;
    r.untagged(std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " + session_flags(st, m) +
               " MODSEQ (" + std::to_string(m.modseq) + "))");
  }
}

}  // namespace

void op_select(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_select>(cmd.args);
  if (s.qresync && !st.qresync) return r.bad("ENABLE QRESYNC first");
  const bool had = st.sel.has_value();
  st.sel.reset();
  st.ph = phase::authenticated;
  if (had) r.untagged("OK [CLOSED] Previous mailbox closed");  // RFC 7162 §3.2.11
  if (s.condstore) st.condstore = true;
  auto ref = resolve_mailbox(st, s.mailbox);
  if (!ref) return fail(r, ref.error());
  if (!require_right(*ref, 'r', r)) return;
  // RFC 4314 §4: a user who may change nothing in the mailbox gets it read-only.
  const bool may_change = has_right(ref->rights, 's') || has_right(ref->rights, 'w') ||
                          has_right(ref->rights, 't') || has_right(ref->rights, 'e');
  const bool read_only = cmd.name == "EXAMINE" || !may_change;
  auto res = open_view(st, *ref, read_only);
  if (!res) return fail(r, res.error());
  auto& sel = *st.sel;
  write_flags(sel, r);
  r.untagged(std::to_string(sel.uids.size()) + " EXISTS");
  if (!st.rev2) r.untagged(std::to_string(sel.recent_count()) + " RECENT");
  r.untagged("OK [UIDVALIDITY " + std::to_string(sel.uidvalidity) + "] UIDs valid");
  r.untagged("OK [UIDNEXT " + std::to_string(sel.uidnext) + "] Predicted next UID");
  r.untagged("OK [HIGHESTMODSEQ " + std::to_string(sel.highestmodseq) + "] Highest");
  r.untagged("OK [MAILBOXID (" + mailbox_id(sel.uidvalidity) + ")] Ok");  // RFC 8474 §4.2
  if (st.rev2) {  // RFC 9051 §6.3.2: the mailbox's name as the server spells it
    std::string line = "LIST () \"/\" ";
    write_mailbox(line, sel.display, st.utf8);
    r.untagged(line);
  }
  if (s.qresync) qresync_report(st, *s.qresync, r);
  r.ok(std::string(read_only ? "[READ-ONLY] " : "[READ-WRITE] ") + cmd.name + " completed");
}

}  // namespace hearth::mail::imap
