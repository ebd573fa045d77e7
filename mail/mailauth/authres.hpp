// Authentication-Results (RFC 8601): writing ours, removing forged ones (§5: "a border MTA
// MUST remove any instance of this header field that claims ... our authserv-id").
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::mailauth {

// The authserv-id of a field value (the first token, CFWS skipped), lowercase; "" when none.
std::string authserv_id(std::string_view value);

// Removes from `message` every Authentication-Results field whose authserv-id equals
// `hostname` (case-insensitive). Returns how many were removed.
std::size_t remove_our_results(std::string& message, std::string_view hostname);

// One resinfo: method=result, an optional reason comment, then ptype.property=value pairs.
struct resinfo {
  std::string method, result;
  std::string comment;  // written as (comment) after the result; no parentheses inside
  std::vector<std::pair<std::string, std::string>> props;  // {"smtp.mailfrom", "a@b"}
};

// "Authentication-Results: HOST;\r\n\tres1;\r\n\tres2\r\n" ("HOST; none" when empty).
std::string format_results(std::string_view hostname, const std::vector<resinfo>& results);

}  // namespace hearth::mail::mailauth
