// CANCELUPDATE (RFC 5267 §4.3.5): the UPDATE contexts of SEARCH and SORT (search_context.hpp).
#include <algorithm>

#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_cancelupdate(session_state& st, const command& cmd, reply& r) {
  auto& contexts = st.sel->contexts;
  for (const auto& tag : std::get<cmd_cancelupdate>(cmd.args).tags)
    if (std::none_of(contexts.begin(), contexts.end(), [&](const search_context& c) { return c.tag == tag; }))
      return r.bad("No search context with tag " + tag.substr(0, 64));
  // RFC 5267 §4.3.5: the updates of the named searches end.
  for (const auto& tag : std::get<cmd_cancelupdate>(cmd.args).tags)
    std::erase_if(contexts, [&](const search_context& c) { return c.tag == tag; });
  r.ok("CANCELUPDATE completed");
}

}  // namespace hearth::mail::imap
