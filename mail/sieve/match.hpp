// Comparators (RFC 4790 §9: i;octet, i;ascii-casemap, i;ascii-numeric) and match types
// (RFC 5228 §2.7.1 :is :contains :matches, RFC 5231 :value :count, the regex draft's :regex).
// Internal.
#pragma once
#include "mail/sieve/internal.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::sieve::detail {

// Three-way comparison under the comparator (<0, 0, >0).
int compare(comparator c, std::string_view a, std::string_view b);
bool equals(comparator c, std::string_view a, std::string_view b);
bool contains(comparator c, std::string_view haystack, std::string_view needle);
// RFC 5228 §2.7.1 wildcards "*" and "?" with "\" escapes. On success and when `captures`
// is given, fills ${0} (the whole value) and one entry per wildcard, each matching as little
// as possible from the left (RFC 5229 §3.2's "[*] *" example).
bool wildcard(comparator c, std::string_view pattern, std::string_view value,
              std::vector<std::string>* captures, std::uint64_t& steps);
bool relational(relop r, int cmp);

}  // namespace hearth::mail::sieve::detail
