// RFC 6376 §3.2 tag=value lists, shared by DKIM-Signature fields, DKIM key records and DMARC
// records (RFC 7489 §6.4 uses the same syntax).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::mailauth {

inline constexpr std::size_t max_tag_list = 64 * 1024;

// tag-list = tag-spec *( ";" tag-spec ) [ ";" ]; tag-spec = [FWS] tag-name [FWS] "=" [FWS]
// tag-value [FWS]. Returns the tags (names case-sensitive, values with surrounding FWS
// removed and inner folding kept), or nullopt on a syntax error, a duplicate tag (§3.2: "Tags
// that are duplicated ... MUST be treated as an error") or input above max_tag_list.
std::optional<std::map<std::string, std::string>> parse_tags(std::string_view text);

// Removes every FWS octet (SP, HTAB, CR, LF): base64 values may be folded.
std::string strip_fws(std::string_view v);

}  // namespace hearth::mail::mailauth
