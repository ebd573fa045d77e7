#include "mail/imap/server/view.hpp"

#include <algorithm>
#include <ctime>

#include "core/blob/store.hpp"
#include "core/util/strings.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/cache.hpp"
#include "mail/imap/server/change_clock.hpp"
#include "mail/imap/server/search_context.hpp"
#include "mail/imap/server/private_seen.hpp"
#include "mail/imap/proto/writer.hpp"

namespace hearth::mail::imap {

result<void> open_view(session_state& st, const mailbox_ref& ref, bool read_only) {
  // One read: the mailbox row and its messages (no per-mailbox counts, which SELECT does not send).
  auto v = view_as_user(st, ref.owner, ref.name);
  if (!v) return v.error();
  selected_mailbox sel;
  sel.name = v->name;
  sel.owner = ref.owner;
  sel.display = ref.shared ? std::string(shared_prefix) + ref.owner + "/" + v->name : v->name;
  sel.rights = ref.rights;
  sel.read_only = read_only;
  sel.uidvalidity = v->uidvalidity;
  sel.uidnext = v->uidnext;
  sel.highestmodseq = v->highestmodseq;
  sel.uids.reserve(v->messages.size());
  sel.modseqs.reserve(v->messages.size());
  for (const auto& m : v->messages) {
    sel.uids.push_back(m.uid);
    sel.modseqs.push_back(m.modseq);
  }
  sel.keywords = std::move(v->keywords);
  // The view is as of the command's clock reading (commands.cpp): the refresh right after it
  // reads nothing unless something changed since.
  sel.synced = st.cmd_seq;
  st.sel = std::move(sel);
  st.ph = phase::selected;
  // RFC 3501 §2.3.2: SELECT takes the unclaimed messages as this session's recent ones;
  // EXAMINE shows them as recent without claiming them (§6.3.2). IMAP4rev2 has no \Recent
  // (RFC 9051 appendix E), so such sessions leave them to IMAP4rev1 clients.
  if (!st.rev2) claim_recent(st, st.sel->uidnext - 1);
  return {};
}

void claim_recent(session_state& st, std::uint32_t upto) {
  auto& sel = *st.sel;
  auto before = st.env->store->claim_recent(sel.owner, sel.name, sel.read_only ? 0 : upto);
  if (!before || *before >= upto) return;  // a failed claim leaves nothing recent: never two sessions
  if (!sel.recent.empty() && sel.recent.back().second >= *before)
    sel.recent.back().second = std::max(sel.recent.back().second, upto);
  else
    sel.recent.emplace_back(*before, upto);
}

std::string session_flags(const session_state& st, const mail::message_info& m) {
  if (st.rev2 || !st.sel || !st.sel->is_recent(m.uid)) return flag_list(m.flags);
  auto flags = m.flags;
  flags.push_back("\\Recent");
  return flag_list(flags);
}

void write_flags(const selected_mailbox& sel, reply& r) {
  std::string kw;
  for (const auto& k : sel.keywords) kw += " " + k;
  r.untagged("FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft" + kw + ")");
  // RFC 9051 §7.1: "\\*" says clients may create keywords; an EXAMINEd mailbox permits nothing.
  r.untagged(std::string("OK [PERMANENTFLAGS (") +
             (sel.read_only ? ")" : "\\Answered \\Flagged \\Deleted \\Seen \\Draft" + kw + " \\*)") +
             "] Flags permitted");
}

void announce_keywords(session_state& st, reply& r, const std::vector<std::string>& flags) {
  if (!st.selected()) return;
  auto& sel = *st.sel;
  bool added = false;
  for (const auto& f : flags) {
    if (f.empty() || f[0] == '\\') continue;
    // Keywords compare case-insensitively (the store keeps one spelling).
    auto known = std::find_if(sel.keywords.begin(), sel.keywords.end(),
                              [&](const std::string& k) { return util::iequals(k, f); });
    if (known != sel.keywords.end()) continue;
    sel.keywords.push_back(f);
    added = true;
  }
  if (added) write_flags(sel, r);
}

std::uint32_t seq_of(const selected_mailbox& sel, std::uint32_t uid) {
  auto it = std::lower_bound(sel.uids.begin(), sel.uids.end(), uid);
  if (it == sel.uids.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - sel.uids.begin()) + 1;
}

namespace {
void refresh_view(session_state& st, reply& r, bool allow_expunge);
}

void refresh(session_state& st, reply& r, bool allow_expunge) {
  if (!st.selected()) return;
  if (st.sel->contexts.empty()) return refresh_view(st, r, allow_expunge);
  // RFC 5267 UPDATE contexts: their ESEARCH lines go around the view's own updates.
  const auto old_view = st.sel->uids;
  const auto old_modseq = st.sel->highestmodseq;
  reply inner;
  refresh_view(st, inner, allow_expunge);
  if (inner.out.empty() && old_modseq == st.sel->highestmodseq && old_view == st.sel->uids) return;
  update_contexts(st, old_view, inner.out, r);
}

namespace {
// The mailbox's changes since the view last read them, or none without a read when the
// change_clock says that nothing can have changed since (change_clock.hpp). Only for the
// user's own mailboxes: on another user's, the user's own \Seen lives in the seen store.
result<mail::changes> changes_of(session_state& st) {
  auto& sel = *st.sel;
  auto* clock = st.env ? st.env->changes : nullptr;
  if (!clock || sel.owner != st.account) return changes_as_user(st, sel.owner, sel.name, sel.highestmodseq);
  // Outside a command (IDLE's push) no reading was taken: one now precedes the read.
  const std::uint64_t seq = st.cmd_seq ? st.cmd_seq : clock->now();
  if (!clock->changed_since(sel.owner, sel.name, sel.synced)) {
    mail::changes none;
    none.highestmodseq = sel.highestmodseq;
    return none;
  }
  auto ch = changes_as_user(st, sel.owner, sel.name, sel.highestmodseq);
  if (ch) sel.synced = seq;
  return ch;
}

void refresh_view(session_state& st, reply& r, bool allow_expunge) {
  auto& sel = *st.sel;
  auto ch = changes_of(st);
  if (!ch) return;
  for (auto u : ch->vanished)
    if (seq_of(sel, u)) sel.pending_expunge.insert(u);
  if (allow_expunge && !sel.pending_expunge.empty()) {
    std::vector<std::uint32_t> gone(sel.pending_expunge.begin(), sel.pending_expunge.end());
    if (st.qresync) {
      // RFC 7162 §3.2.10: VANISHED replaces EXPUNGE once QRESYNC is enabled.
      r.untagged("VANISHED " + compress_set(gone));
    } else {
      // Highest first, so each number is still valid when the client applies it.
      for (auto it = gone.rbegin(); it != gone.rend(); ++it)
        r.untagged(std::to_string(seq_of(sel, *it)) + " EXPUNGE");
    }
    for (auto u : gone) {
      auto seq = seq_of(sel, u);
      if (!seq) continue;
      sel.uids.erase(sel.uids.begin() + (seq - 1));
      sel.modseqs.erase(sel.modseqs.begin() + (seq - 1));
    }
    sel.pending_expunge.clear();
  }
  bool grew = false;
  std::string flag_lines;
  for (const auto& m : ch->changed) {
    if (sel.pending_expunge.count(m.uid)) continue;
    if (sel.uids.empty() || m.uid > sel.uids.back()) {
      sel.uids.push_back(m.uid);
      sel.modseqs.push_back(m.modseq);
      grew = true;
      continue;
    }
    auto seq = seq_of(sel, m.uid);
    if (!seq || sel.modseqs[seq - 1] >= m.modseq) continue;
    sel.modseqs[seq - 1] = m.modseq;
    announce_keywords(st, r, m.flags);  // before the FETCH lines, which are written below
    std::string line = std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " + session_flags(st, m);
    if (st.condstore) line += " MODSEQ (" + std::to_string(m.modseq) + ")";
    flag_lines += "* " + line + ")\r\n";
  }
  if (grew) {
    r.untagged(std::to_string(sel.uids.size()) + " EXISTS");
    sel.uidnext = std::max(sel.uidnext, sel.uids.back() + 1);
    if (!st.rev2) {
      // RFC 3501 §7.3.2: RECENT accompanies EXISTS for IMAP4rev1 clients.
      claim_recent(st, sel.uids.back());
      r.untagged(std::to_string(sel.recent_count()) + " RECENT");
    }
  }
  r.raw(flag_lines);
  sel.highestmodseq = std::max(sel.highestmodseq, ch->highestmodseq);
}
}  // namespace

std::vector<std::uint32_t> resolve(const selected_mailbox& sel, const sequence_set& set, bool uid) {
  std::vector<std::uint32_t> out;
  if (set.saved) return sel.saved;  // kept ascending by SEARCH
  if (sel.uids.empty()) return out;
  const std::uint32_t n = static_cast<std::uint32_t>(sel.uids.size());
  for (const auto& r : set.ranges) {
    if (uid) {
      std::uint32_t lo = r.lo == seq_range::star ? sel.uids.back() : r.lo;
      std::uint32_t hi = r.hi == seq_range::star ? sel.uids.back() : r.hi;
      if (lo > hi) std::swap(lo, hi);
      auto a = std::lower_bound(sel.uids.begin(), sel.uids.end(), lo);
      auto b = std::upper_bound(sel.uids.begin(), sel.uids.end(), hi);
      out.insert(out.end(), a, b);
    } else {
      std::uint32_t lo = r.lo == seq_range::star ? n : r.lo;
      std::uint32_t hi = r.hi == seq_range::star ? n : r.hi;
      if (lo > hi) std::swap(lo, hi);
      if (lo > n) continue;
      hi = std::min(hi, n);
      for (std::uint32_t s = lo; s <= hi; ++s) out.push_back(sel.uids[s - 1]);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

mail::uid_set to_uid_set(const std::vector<std::uint32_t>& uids) {
  mail::uid_set out;
  for (auto u : uids) {
    if (!out.empty() && out.back().last + 1 == u)
      out.back().last = u;
    else
      out.push_back({u, u});
  }
  return out;
}

result<std::shared_ptr<parsed_message>> load_message(session_state& st, const mail::message_info& m) {
  if (auto it = st.cache.find(m.blob_id); it != st.cache.end()) return it->second;
  std::shared_ptr<parsed_message> pm;
  if (st.env->cache) pm = st.env->cache->get(m.blob_id);
  if (!pm) {
    auto bytes = st.env->blobs->get(m.blob_id);
    if (!bytes) return bytes.error();
    pm = std::make_shared<parsed_message>();
    pm->bytes = std::make_shared<const std::string>(std::move(*bytes));
    pm->structure = parse_message(*pm->bytes);
    if (st.env->cache) st.env->cache->put(m.blob_id, pm);
  }
  if (st.cache.size() >= 4) st.cache.erase(st.cache.begin());
  st.cache.emplace(m.blob_id, pm);
  return pm;
}

void fail(reply& r, const hearth::error& e) {
  const auto& c = e.code;
  if (c == "mail.no_mailbox") return r.no("[NONEXISTENT] No such mailbox");
  if (c == "mail.noperm") return r.no("[NOPERM] " + e.message);
  if (c == "mail.exists") return r.no("[ALREADYEXISTS] Mailbox already exists");
  if (c == "mail.quota") return r.no("[OVERQUOTA] Quota exceeded");
  if (c == "mail.too_big") return r.no("[TOOBIG] Message too big");
  if (c == "mail.forbidden") return r.no("[CANNOT] " + e.message);
  if (c == "mail.invalid") return r.no("[CANNOT] " + e.message);
  if (c == "mail.no_account") return r.no("[UNAVAILABLE] No such account");
  r.no("[SERVERBUG] Internal error");
}

std::string imap_date_time(std::int64_t t) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace hearth::mail::imap
