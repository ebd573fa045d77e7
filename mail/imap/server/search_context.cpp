#include "mail/imap/server/search_context.hpp"

#include <algorithm>
#include <iterator>

#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

std::string esearch_line(const search_context& c, std::string_view item, const std::vector<std::uint32_t>& nums) {
  std::string line = "* ESEARCH (TAG ";
  write_string(line, c.tag);
  line += ")";
  if (c.uid) line += " UID";
  line += " ";
  line += item;
  return line + " (0 " + compress_set(nums) + ")\r\n";
}

}  // namespace

void update_contexts(session_state& st, const std::vector<std::uint32_t>& old_view, std::string_view view_updates,
                     reply& r) {
  std::string removes, adds;
  for (auto& c : st.sel->contexts) {
    auto hits = run_search(st, c.key, c.charset, false);
    if (!hits) continue;
    std::vector<std::uint32_t> now;
    for (const auto& h : *hits) now.push_back(h.info.uid);
    std::vector<std::uint32_t> removed, added;
    std::set_difference(c.uids.begin(), c.uids.end(), now.begin(), now.end(), std::back_inserter(removed));
    std::set_difference(now.begin(), now.end(), c.uids.begin(), c.uids.end(), std::back_inserter(added));
    if (!removed.empty()) {
      std::vector<std::uint32_t> nums;
      for (auto u : removed) {
        if (c.uid) {
          nums.push_back(u);
          continue;
        }
        auto it = std::lower_bound(old_view.begin(), old_view.end(), u);
        if (it != old_view.end() && *it == u) nums.push_back(static_cast<std::uint32_t>(it - old_view.begin()) + 1);
      }
      if (!nums.empty()) removes += esearch_line(c, "REMOVEFROM", nums);
    }
    if (!added.empty()) {
      std::vector<std::uint32_t> nums;
      for (auto u : added)
        if (c.uid) nums.push_back(u);
        else if (auto seq = seq_of(*st.sel, u)) nums.push_back(seq);
      if (!nums.empty()) adds += esearch_line(c, "ADDTO", nums);
    }
    c.uids = std::move(now);
  }
  r.raw(removes);
  r.raw(view_updates);
  r.raw(adds);
}

}  // namespace hearth::mail::imap
