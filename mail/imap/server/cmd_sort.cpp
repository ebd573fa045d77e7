// SORT / UID SORT (RFC 5256) with ESORT and CONTEXT=SORT (RFC 5267: RETURN options, PARTIAL
// in sort order, UPDATE contexts kept by search_context.cpp). The order itself is sort.cpp's.
#include <algorithm>

#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/progress.hpp"
#include "mail/imap/server/search_context.hpp"
#include "mail/imap/server/sort.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_sort(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_sort>(cmd.args);
  const bool uid = cmd.name == "UID SORT";
  if (!search_charset_ok(s.search.charset)) return r.no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  auto has = [&](std::string_view o) {
    return std::find(s.search.returns.begin(), s.search.returns.end(), o) != s.search.returns.end();
  };
  const bool update = has("UPDATE");
  // RFC 5267 §4.3: "An attempt to use UPDATE where a tag is already in use with a previous
  // searching command that itself used UPDATE SHALL result in ... a BAD response."
  if (update)
    for (const auto& c : st.sel->contexts)
      if (c.tag == cmd.tag) return r.bad("Tag reuse");
  progress_meter progress(st, cmd.tag, st.sel->uids.size());
  auto hits = sorted_hits(st, s.criteria, s.search.key, s.search.charset, &progress);
  if (!hits) return fail(r, hits.error());
  std::vector<std::uint32_t> nums;
  nums.reserve(hits->size());
  for (const auto& h : *hits) nums.push_back(uid ? h.info.uid : h.seq);
  if (!s.search.has_return) {
    std::string line = "SORT";
    for (auto n : nums) line += " " + std::to_string(n);
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
      // RFC 5267 §4.3.2: a SORT context's updates carry positions in the sort order, so
      // the context keeps its result in that order (search_context.hpp).
      search_context c{cmd.tag, uid, s.search.key, s.search.charset, {}, s.criteria};
      for (const auto& h : *hits) c.uids.push_back(h.info.uid);
      st.sel->contexts.push_back(std::move(c));
    }
  }
  // RFC 5267 §3 ESORT: the answer is an ESEARCH whose MIN and MAX are the first and last
  // message in sort order and whose ALL keeps that order (ranges only where it allows).
  if (has("SAVE")) {
    // RFC 5182 §2.1 with RFC 5267: "$" holds the matches (kept ascending, by uid).
    std::vector<std::uint32_t> saved;
    if (!hits->empty() && !has("ALL") && !has("COUNT") && (has("MIN") || has("MAX"))) {
      if (has("MIN")) saved.push_back(hits->front().info.uid);
      if (has("MAX")) saved.push_back(hits->back().info.uid);
    } else {
      for (const auto& h : *hits) saved.push_back(h.info.uid);
    }
    std::sort(saved.begin(), saved.end());
    saved.erase(std::unique(saved.begin(), saved.end()), saved.end());
    st.sel->saved = std::move(saved);
  }
  // UPDATE and CONTEXT (a hint, RFC 5267 §4.2) ask for no data of their own.
  std::size_t data_options = 0;
  for (const auto& o : s.search.returns)
    if (o != "SAVE" && o != "UPDATE" && o != "CONTEXT") ++data_options;
  if (has("SAVE") && data_options == 0) return r.ok(cmd.name + " completed");
  const bool all = data_options == 0 || has("ALL");  // RFC 4731 §3.1: RETURN () is ALL
  std::string line = "ESEARCH (TAG ";
  write_string(line, cmd.tag);
  line += ")";
  if (uid) line += " UID";
  if (!nums.empty()) {
    if (has("MIN")) line += " MIN " + std::to_string(nums.front());
    if (has("MAX")) line += " MAX " + std::to_string(nums.back());
  }
  if (has("COUNT")) line += " COUNT " + std::to_string(nums.size());
  if (!nums.empty() && all) line += " ALL " + compress_set(nums, true);
  if (has("PARTIAL")) {
    // RFC 5267 §4.4: the results at positions lo..hi "in the requested order" (the sort
    // order here), NIL when there are none there.
    const auto [lo, hi] = s.search.partial;
    std::vector<std::uint32_t> part;
    for (std::size_t i = lo - 1; i < nums.size() && i < hi; ++i) part.push_back(nums[i]);
    line += " PARTIAL (" + std::to_string(lo) + ":" + std::to_string(hi) + " " +
            (part.empty() ? std::string("NIL") : compress_set(part, true)) + ")";
  }
  r.untagged(line);
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
