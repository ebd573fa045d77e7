// The "vacation and filters" form of the web console as a Sieve script (RFC 5228, RFC 5230
// vacation, RFC 5490 mailbox for fileinto :create), and back. Pure.
//
// The script carries the form itself as JSON on a comment line ("# hearth-form: {...}"), so
// the page shows exactly what the user saved; a script written by anyone else (ManageSieve,
// Roundcube) has no such line and from_script() says so, and the page then leaves it alone.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::web::sieve_form {

// The script's name in the Sieve store (what ManageSieve clients see).
inline constexpr std::string_view script_name = "web-console";

struct filter {
  std::string field;     // "from", "to", "subject"
  std::string contains;  // the text looked for (case-insensitive, i;ascii-casemap)
  std::string folder;    // where matching mail goes (created when missing)
};

struct form {
  bool vacation = false;
  std::string subject;
  std::string message;
  int days = 1;  // RFC 5230 §4.1: one reply per sender per this many days
  std::vector<filter> filters;
};

inline constexpr std::size_t max_filters = 50;
inline constexpr std::size_t max_text = 4000;  // message; other fields 200

// Checks a form from the API's JSON. Errors "web.invalid" with what is wrong.
result<form> from_json(std::string_view json_text);
std::string to_json(const form& f);
std::string to_script(const form& f);
// The form a script of ours carries, or nullopt (not ours, or damaged).
std::optional<form> from_script(std::string_view script);

}  // namespace hearth::web::sieve_form
