// RFC 5267 CONTEXT=SEARCH and CONTEXT=SORT: keeping the results of SEARCH and SORT RETURN
// (UPDATE) current. After the selected mailbox changed, each context's search (and sort) runs
// again over the new view and the difference is reported as ESEARCH REMOVEFROM (before the
// EXPUNGEs, §4.3.4: the numbers are those the client still has) and ADDTO (after the EXISTS,
// §4.3.3). A SEARCH context uses context position 0 (its result is in mailbox order); a SORT
// context gives each run's position in the sort order.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// At most this many updating contexts per session; more get NO [NOUPDATE] (RFC 5267 §4.3.1
// asks for at least one).
inline constexpr std::size_t max_search_contexts = 8;

// Reports the contexts' changes around `view_updates` (the EXISTS/EXPUNGE/FETCH lines
// refresh() produced from `old_view`, the uids the client knew before) on r. Store errors
// leave a context as it was.
void update_contexts(session_state& st, const std::vector<std::uint32_t>& old_view, std::string_view view_updates,
                     reply& r);

}  // namespace hearth::mail::imap
