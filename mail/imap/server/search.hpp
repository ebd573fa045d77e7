// SEARCH evaluation (RFC 9051 §6.4.4) shared by SEARCH, SORT and THREAD: flags, dates, sizes
// and sets from the store's metadata; header and body text matched case-insensitively against
// the decoded content (RFC 2047 words, quoted-printable/base64, charsets to UTF-8).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/server/progress.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

struct search_hit {
  mail::message_info info;
  std::uint32_t seq = 0;
};

// Messages of the view matching `key`, ascending; `charset` (SEARCH CHARSET, already checked
// with search_charset_ok) is what the key's strings are in. With full_info false the caller
// needs only uid, modseq and flags of the hits: a key of flags, uids, sequence numbers and
// MODSEQ alone then reads just those (the other message_info fields are left empty).
// `progress` (when given) is stepped once per message looked at (RFC 9585 INPROGRESS).
// Errors from the store or blob store.
result<std::vector<search_hit>> run_search(session_state& st, const search_key& key,
                                           const std::optional<std::string>& charset = std::nullopt,
                                           bool full_info = true, progress_meter* progress = nullptr);

// Whether `key` is answered from the shared flag index and the search cache's header fields
// alone (flags, uids, sequence numbers, MODSEQ, FROM/TO/CC/BCC/SUBJECT, SENT*): no message
// row or blob, as a rule, so a SEARCH of such keys is short even on a big mailbox. Pure.
bool searches_index_only(const search_key& key);

// True for a SEARCH/SORT/THREAD charset we accept: UTF-8, US-ASCII (RFC 9051 §6.4.4) and every
// charset to_utf8 converts (iconv's). Otherwise the answer is NO [BADCHARSET (UTF-8 US-ASCII)].
bool search_charset_ok(const std::optional<std::string>& charset);

// RFC 5322 §3.3 date-time to Unix seconds (obsolete forms and missing seconds accepted). With
// zone_minutes, also the field's own zone (minutes east of UTC; 0 when absent or unknown).
std::optional<std::int64_t> parse_mail_date(std::string_view s, int* zone_minutes = nullptr);

// The decoded, unfolded value of a header field ("" if absent).
std::string decoded_field(const header_section& h, std::string_view name);

// RFC 5256 §2.1 base subject: decoded, "Re:"/"Fwd:"/"[tag]" prefixes and "(fwd)" trailers
// removed, whitespace collapsed, lower-cased for comparison. *reply_or_fwd (when given) says
// whether a "Re:"/"Fwd:" leader, "(fwd)" trailer or "[fwd: ...]" wrapper was removed (RFC 5256
// §2.2 step 5 prefers the thread whose subject is not a reply).
std::string base_subject(std::string_view decoded_subject, bool* reply_or_fwd = nullptr);

// Unicode simple case folding of UTF-8 text for substring matching (i;unicode-casemap as
// mail/message/casefold.hpp implements it).
std::string fold_case(std::string_view s);

}  // namespace hearth::mail::imap
