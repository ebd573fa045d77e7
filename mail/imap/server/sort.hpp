// RFC 5256 SORT order, shared by SORT (cmd_sort.cpp) and the CONTEXT=SORT updates
// (search_context.cpp), which must order a changed result exactly as SORT did.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/server/search.hpp"

namespace hearth::mail::imap {

class progress_meter;

// The messages of the selected mailbox matching `key`, ordered by `criteria` (as parsed:
// "REVERSE" before the key it reverses; ties by sequence number, RFC 5256 §3). Store errors
// come back as values.
result<std::vector<search_hit>> sorted_hits(session_state& st, const std::vector<std::string>& criteria,
                                            const search_key& key, const std::optional<std::string>& charset,
                                            progress_meter* progress);

}  // namespace hearth::mail::imap
