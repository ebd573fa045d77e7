// The table of every command and test the compiler knows: tagged arguments (with the
// extension each needs and its exclusion group), positional shapes, tests and blocks. Adding
// an extension's syntax is a row here. Internal.
#pragma once
#include <string_view>
#include <vector>

namespace hearth::mail::sieve::detail {

enum class argk : char { none, str, list, num };
enum group : int { g_none = 0, g_match, g_cmp, g_part, g_zone, g_dupid, g_period, g_location,
                   g_transform, g_size, g_case, g_first };

struct tag_spec {
  std::string_view name;
  argk arg;
  std::string_view ext;  // extension that must be required, empty = core
  int group;
};

struct spec {
  std::string_view name;
  int id;
  bool is_test;
  std::string_view ext;
  std::vector<tag_spec> tags;
  std::vector<std::string_view> shapes;  // allowed positional shapes: s string, l list, n number
  int tests;  // 0 none, 1 one test, 2 a test list
  bool block;
};

// The row for a command (is_test false) or a test, or nullptr.
const spec* find_spec(std::string_view name, bool is_test);
// Whether `require` may name this extension.
bool known_extension(std::string_view e);

}  // namespace hearth::mail::sieve::detail
