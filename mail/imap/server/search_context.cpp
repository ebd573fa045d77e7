#include "mail/imap/server/search_context.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/sort.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

std::string esearch_line(const search_context& c, std::string_view item, std::string_view pairs) {
  std::string line = "* ESEARCH (TAG ";
  write_string(line, c.tag);
  line += ")";
  if (c.uid) line += " UID";
  line += " ";
  line += item;
  line += " (";
  line += pairs;
  return line + ")\r\n";
}

// What the client calls a message: its UID, or its sequence number in `view` (the uids the
// client knows, ascending); 0 when the view lacks it.
std::uint32_t client_number(const search_context& c, const std::vector<std::uint32_t>& view, std::uint32_t uid) {
  if (c.uid) return uid;
  auto it = std::lower_bound(view.begin(), view.end(), uid);
  if (it == view.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - view.begin()) + 1;
}

// A SEARCH context is a set: position 0 (RFC 5267 §4.3.3, §4.3.4), in mailbox order.
void update_search(session_state& st, search_context& c, const std::vector<std::uint32_t>& old_view,
                   std::vector<std::uint32_t> now, std::string& removes, std::string& adds) {
  std::sort(now.begin(), now.end());
  std::vector<std::uint32_t> removed, added;
  std::set_difference(c.uids.begin(), c.uids.end(), now.begin(), now.end(), std::back_inserter(removed));
  std::set_difference(now.begin(), now.end(), c.uids.begin(), c.uids.end(), std::back_inserter(added));
  std::vector<std::uint32_t> nums;
  for (auto u : removed)
    if (auto n = client_number(c, old_view, u)) nums.push_back(n);
  if (!nums.empty()) removes += esearch_line(c, "REMOVEFROM", "0 " + compress_set(nums));
  nums.clear();
  for (auto u : added)
    if (auto n = c.uid ? u : seq_of(*st.sel, u)) nums.push_back(n);
  if (!nums.empty()) adds += esearch_line(c, "ADDTO", "0 " + compress_set(nums));
  c.uids = std::move(now);
}

// A SORT context is a list: RFC 5267 §4.3.2 "servers MUST generate ADDTO and REMOVEFROM
// responses such that the results are maintained in the requested order". Sort keys never
// change (RFC 5256 keys are message contents, ties go by sequence number, which keeps UID
// order), so the messages that stay keep their relative order: the update is the removals,
// each run given with the position its first message holds when the pair is processed
// (§4.3.4), then the additions, each run at the position its first message takes (§4.3.3).
void update_sort(session_state& st, search_context& c, const std::vector<std::uint32_t>& old_view,
                 std::vector<std::uint32_t> now, std::string& removes, std::string& adds) {
  const std::unordered_set<std::uint32_t> now_set(now.begin(), now.end()), old_set(c.uids.begin(), c.uids.end());
  std::string pairs;
  std::vector<std::uint32_t> run;
  auto flush = [&](std::size_t position) {
    if (run.empty()) return;
    if (!pairs.empty()) pairs += ' ';
    pairs += std::to_string(position) + " " + compress_set(run, true);
    run.clear();
  };
  // Removals: `kept` counts the messages before the run that stay, so the run starts at
  // kept + 1 once the earlier runs are gone.
  std::size_t kept = 0, run_start = 0;
  for (auto u : c.uids) {
    if (now_set.count(u)) {
      flush(run_start);
      ++kept;
      continue;
    }
    auto n = client_number(c, old_view, u);
    if (!n) continue;  // the client never had it: nothing to take back
    if (run.empty()) run_start = kept + 1;
    run.push_back(n);
  }
  flush(run_start);
  if (!pairs.empty()) removes += esearch_line(c, "REMOVEFROM", pairs);
  pairs.clear();
  // Additions: after the removals the client's list is `now` less the new ones, in order, so
  // a run at index i of `now` goes in at position i + 1.
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (old_set.count(now[i])) {
      flush(run_start);
      continue;
    }
    auto n = c.uid ? now[i] : seq_of(*st.sel, now[i]);
    if (!n) continue;
    if (run.empty()) run_start = i + 1;
    run.push_back(n);
  }
  flush(run_start);
  if (!pairs.empty()) adds += esearch_line(c, "ADDTO", pairs);
  c.uids = std::move(now);
}

}  // namespace

void update_contexts(session_state& st, const std::vector<std::uint32_t>& old_view, std::string_view view_updates,
                     reply& r) {
  std::string removes, adds;
  for (auto& c : st.sel->contexts) {
    auto hits = c.sort.empty() ? run_search(st, c.key, c.charset, false)
                               : sorted_hits(st, c.sort, c.key, c.charset, nullptr);
    if (!hits) continue;
    std::vector<std::uint32_t> now;
    now.reserve(hits->size());
    for (const auto& h : *hits) now.push_back(h.info.uid);
    if (c.sort.empty()) update_search(st, c, old_view, std::move(now), removes, adds);
    else update_sort(st, c, old_view, std::move(now), removes, adds);
  }
  r.raw(removes);
  r.raw(view_updates);
  r.raw(adds);
}

}  // namespace hearth::mail::imap
