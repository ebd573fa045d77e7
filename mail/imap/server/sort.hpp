// RFC 5256 sort keys and SORT order, shared by SORT (cmd_sort.cpp), THREAD (cmd_thread.cpp)
// and the CONTEXT=SORT updates (search_context.cpp), which must order a changed result exactly
// as SORT did.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/server/search.hpp"

namespace hearth::mail::imap {

class progress_meter;

// One matching message with what sorting and threading look at, from its header section.
struct sort_item {
  search_hit hit;
  std::int64_t sent = 0;  // RFC 5256 §2.2 sent date (Date:, else internal date)
  std::string subject;    // base subject
  bool reply = false;     // the subject was a reply or forward (RFC 5256 §2.1)
  std::string from, to, cc, dfrom, dto;
  std::string message_id;
  std::vector<std::string> refs;
};

// The messages matching `key` with their sort keys, in mailbox order.
result<std::vector<sort_item>> gather(session_state& st, const search_key& key, const std::optional<std::string>& charset,
                                      progress_meter* progress);

// RFC 5256 §2.2: i;ascii-casemap order of two folded keys (<0, 0, >0).
int casemap_compare(std::string_view x, std::string_view y);

// The messages of the selected mailbox matching `key`, ordered by `criteria` (as parsed:
// "REVERSE" before the key it reverses; ties by sequence number, RFC 5256 §3). Store errors
// come back as values.
result<std::vector<search_hit>> sorted_hits(session_state& st, const std::vector<std::string>& criteria,
                                            const search_key& key, const std::optional<std::string>& charset,
                                            progress_meter* progress);

}  // namespace hearth::mail::imap
