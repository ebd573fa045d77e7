// DNS block and allow lists: query names (RFC 5782 §2.1, §2.3), list
// specifications from the config, and what an answer means. Pure and thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::filter {

// One configured list: "zone", "zone:WEIGHT" or "zone:reject". WEIGHT is a decimal score
// added when listed (negative for an allow list, e.g. "list.dnswl.org:-2"); without one the
// default weight applies.
struct list_spec {
  std::string zone;     // lowercase, no trailing dot
  bool reject = false;  // listed: refuse 554 5.7.1 naming the list
  double weight = 0;
};
// Nullopt when the zone is not a domain name or the weight is neither a number nor "reject".
std::optional<list_spec> parse_list_spec(std::string_view text, double default_weight);

// A decimal score "1.5", "-2", "0"; nullopt for anything else (no exponent, no inf/nan).
std::optional<double> parse_score(std::string_view text);

// RFC 5782 §2.1: "192.0.2.99" in "bl.example" -> "99.2.0.192.bl.example"; §2.4: IPv6 as 32
// reversed nibbles. Empty when `ip` is not an address. v4-mapped v6 is asked as v4.
std::string ip_query_name(std::string_view ip, std::string_view zone);
// RFC 5782 §2.3: "example.com" in "dbl.example" -> "example.com.dbl.example"; empty when the
// result would not be a valid name (label over 63, name over 253, empty labels).
std::string domain_query_name(std::string_view domain, std::string_view zone);

// RFC 5782 §2.1: a listing is an A record in 127.0.0.0/8; 127.0.0.1 is the test entry, and
// 127.255.255.0/24 are the "query refused" codes big lists send to open resolvers (ignored).
bool is_listing(std::string_view a_record);

// Formats a score contribution as in X-Spam-Status: "1.5", "-2", "0.25" (at most 2 decimals).
std::string format_score(double s);

}  // namespace hearth::mail::filter
