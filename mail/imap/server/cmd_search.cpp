// SEARCH / UID SEARCH (RFC 9051 §6.4.4) with ESEARCH (RFC 4731), SEARCHRES (RFC 5182),
// CONDSTORE's MODSEQ (RFC 7162 §3.1.5) and CONTEXT=SEARCH (RFC 5267 §4: UPDATE, CONTEXT,
// PARTIAL; CANCELUPDATE is cmd_cancelupdate.cpp).
#include <algorithm>

#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/search_context.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

bool uses_modseq(const search_key& k) {
  if (k.name == "MODSEQ") return true;
  for (const auto& c : k.children)
    if (uses_modseq(c)) return true;
  return false;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

void op_search(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_search>(cmd.args);
  const bool uid = cmd.name == "UID SEARCH";
  if (!search_charset_ok(s.charset)) return r.no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  const bool modseq = uses_modseq(s.key);
  if (modseq) st.condstore = true;
  const bool update = has(s.returns, "UPDATE");
  // RFC 5267 §4.3: "An attempt to use UPDATE where a tag is already in use with a previous
  // searching command that itself used UPDATE SHALL result in ... a BAD response."
  if (update)
    for (const auto& c : st.sel->contexts)
      if (c.tag == cmd.tag) return r.bad("Tag reuse");
  progress_meter progress(st, cmd.tag, st.sel->uids.size());
  auto hits = run_search(st, s.key, s.charset, false, &progress);  // uses uid, seq and modseq only
  if (!hits) return fail(r, hits.error());
  std::uint64_t highest = 0;
  std::vector<std::uint32_t> nums;
  for (const auto& h : *hits) {
    nums.push_back(uid ? h.info.uid : h.seq);
    highest = std::max(highest, h.info.modseq);
  }
  const bool esearch = s.has_return || st.rev2;
  if (!esearch) {
    std::string line = "SEARCH";
    for (auto n : nums) line += " " + std::to_string(n);
    if (modseq && !nums.empty()) line += " (MODSEQ " + std::to_string(highest) + ")";
    r.untagged(line);
    return r.ok(cmd.name + " completed");
  }
  if (update) {
    if (st.sel->contexts.size() >= max_search_contexts) {
      // RFC 5267 §4.3.1: refused with NOUPDATE; the other return options still apply.
      std::string line = "NO [NOUPDATE ";
      write_string(line, cmd.tag);
      r.untagged(line + "] Too many search contexts");
    } else {
      search_context c{cmd.tag, uid, s.key, s.charset, {}, {}};
      for (const auto& h : *hits) c.uids.push_back(h.info.uid);
      st.sel->contexts.push_back(std::move(c));
    }
  }
  auto returns = s.returns;
  const bool save = has(returns, "SAVE");
  // UPDATE and CONTEXT (a hint, §4.2) ask for no data of their own.
  std::erase_if(returns, [](const std::string& o) { return o == "SAVE" || o == "UPDATE" || o == "CONTEXT"; });
  if (returns.empty() && !save) returns = {"ALL"};  // RFC 4731 §3.1: RETURN () means ALL
  if (save) {
    // RFC 5182 §2.1: with MIN or MAX (and no ALL/COUNT) only those are saved.
    std::vector<std::uint32_t> saved;
    if (!hits->empty() && !has(returns, "ALL") && !has(returns, "COUNT") && (has(returns, "MIN") || has(returns, "MAX"))) {
      if (has(returns, "MIN")) saved.push_back(hits->front().info.uid);
      if (has(returns, "MAX")) saved.push_back(hits->back().info.uid);
    } else {
      for (const auto& h : *hits) saved.push_back(h.info.uid);
    }
    std::sort(saved.begin(), saved.end());
    saved.erase(std::unique(saved.begin(), saved.end()), saved.end());
    st.sel->saved = std::move(saved);
    if (returns.empty()) return r.ok(cmd.name + " completed");
  }
  std::string line = "ESEARCH (TAG ";
  write_string(line, cmd.tag);
  line += ")";
  if (uid) line += " UID";
  if (!nums.empty()) {
    if (has(returns, "MIN")) line += " MIN " + std::to_string(*std::min_element(nums.begin(), nums.end()));
    if (has(returns, "MAX")) line += " MAX " + std::to_string(*std::max_element(nums.begin(), nums.end()));
  }
  if (has(returns, "COUNT")) line += " COUNT " + std::to_string(nums.size());
  if (!nums.empty() && has(returns, "ALL")) line += " ALL " + compress_set(nums);
  if (has(returns, "PARTIAL")) {
    // RFC 5267 §4.4: the results at positions lo..hi of the result list (in mailbox order),
    // NIL when there are none there.
    const auto [lo, hi] = s.partial;
    std::vector<std::uint32_t> part;
    for (std::size_t i = lo - 1; i < nums.size() && i < hi; ++i) part.push_back(nums[i]);
    line += " PARTIAL (" + std::to_string(lo) + ":" + std::to_string(hi) + " " +
            (part.empty() ? std::string("NIL") : compress_set(part)) + ")";
  }
  if (modseq && !nums.empty()) line += " MODSEQ " + std::to_string(highest);
  r.untagged(line);
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
