// A small JSON reader (RFC 8259) for TLS-RPT reports (RFC 8460 §4.4). Pure; thread-safe.
//
// The whole document becomes a tree of `json` values. Limits: nesting at most max_depth,
// strings at most the document's size; numbers are kept as double. Errors: "json.syntax"
// (with the byte offset), "json.depth".
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::mail::reports {

struct json {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<json> items;        // array elements; for an object, the member values
  std::vector<std::string> keys;  // object: the member names, keys[i] naming items[i], in order

  // The first member named `key` of an object, or nullptr.
  const json* get(std::string_view key) const;
  // Conveniences for optional members: the value when present and of that type, else the default.
  std::string str(std::string_view key, std::string_view def = {}) const;
  double num(std::string_view key, double def = 0) const;
  bool is_object() const { return type == kind::object; }
  bool is_array() const { return type == kind::array; }
};

inline constexpr int json_max_depth = 32;

result<json> parse_json(std::string_view text);

}  // namespace hearth::mail::reports
