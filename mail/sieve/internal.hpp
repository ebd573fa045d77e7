// The compiled form shared by the compiler (parse.cpp, validate.cpp) and the interpreter.
// Not part of the API: include sieve.hpp / run.hpp instead.
#pragma once
#include "mail/sieve/sieve.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::sieve {
namespace detail {

struct pos {
  unsigned line = 1;
  unsigned column = 1;
};

// A string as written, after encoded-character decoding; `vars` when it contains "${" and
// the script requires "variables", so the interpreter must expand it.
struct sstring {
  std::string text;
  bool vars = false;
};

struct argument {
  enum class kind { tag, number, strings } k = kind::strings;
  pos at;
  std::string tag;  // lower case, without the colon
  std::uint64_t number = 0;
  std::vector<sstring> strings;
  bool list = false;  // written in brackets
};

enum class match_type : std::uint8_t { is, contains, matches, regex, value, count };
enum class comparator : std::uint8_t { octet, casemap, numeric };
enum class relop : std::uint8_t { gt, ge, lt, le, eq, ne };
enum class address_part : std::uint8_t { all, localpart, domain, user, detail };

// What validation resolved from the tags, so the interpreter does not look them up again.
struct match_spec {
  match_type type = match_type::is;
  comparator cmp = comparator::casemap;
  relop rel = relop::eq;
  address_part part = address_part::all;
  int index = 0;  // :index (1-based), 0 = none
  bool last = false;
};

struct node {
  std::string name;  // lower case
  pos at;
  int id = 0;        // the command or test, see validate.cpp
  std::vector<std::pair<std::string, argument>> tags;  // tag -> its value (the tag itself if none)
  std::vector<argument> positional;
  std::vector<node> tests;
  std::vector<node> block;
  bool has_block = false;
  bool test_list = false;  // the tests were written as a parenthesised list
  match_spec m;
  // Compiled regexes for :regex with constant keys, indexes into program::regexes_.
  std::vector<int> regex_ids;

  const argument* tag(std::string_view t) const {
    for (auto& [name, a] : tags)
      if (name == t) return &a;
    return nullptr;
  }
  bool has(std::string_view t) const { return tag(t) != nullptr; }
};

// The raw syntax tree before validation.
struct parse_output {
  std::vector<node> commands;
};

struct compile_error {
  pos at;
  std::string message;
};

// Grammar only (RFC 5228 §8). Fills `out` or returns false with `err` set.
bool parse(std::string_view src, const limits& lim, parse_output& out, compile_error& err);

}  // namespace detail

class program {
 public:
  std::vector<detail::node> commands;
  std::vector<std::string> required;  // lower case
  bool variables = false;             // "variables" required: strings are expanded
  bool requires_ext(std::string_view ext) const {
    for (auto& r : required)
      if (r == ext) return true;
    return false;
  }
  ~program();
  program() = default;
  program(const program&) = delete;
  program& operator=(const program&) = delete;
  std::vector<void*> regexes;  // compiled regex_t*, owned
};

namespace detail {
// Validation ids.
enum cmd_id : int {
  c_require = 1, c_if, c_elsif, c_else, c_stop, c_keep, c_discard, c_redirect, c_fileinto,
  c_reject, c_ereject, c_setflag, c_addflag, c_removeflag, c_set, c_vacation, c_include,
  c_return, c_global, c_addheader, c_deleteheader, c_notify,
  t_address = 100, t_envelope, t_header, t_exists, t_size, t_allof, t_anyof, t_not, t_true,
  t_false, t_body, t_string, t_hasflag, t_date, t_currentdate, t_mailboxexists, t_spamtest,
  t_spamtestplus_unused, t_virustest, t_duplicate, t_environment, t_specialuse_exists,
  t_valid_notify_method, t_notify_method_capability
};
}  // namespace detail
}  // namespace hearth::mail::sieve
