// A small JSON value, reader and writer (RFC 8259): the web console's API and received TLS-RPT
// reports. Pure: no I/O.
//
//   auto v = json::parse(body, {});            // result<value>; error code "json.syntax", ...
//   std::string* pw = v->find_string("password");
//   json::object o; o.set("csrf", token); std::string text = json::value(o).dump();
//
// Why hand-written: the API reads a handful of small flat objects and writes small answers;
// the Debian JSON libraries (nlohmann, rapidjson) are header-heavy and would add seconds to
// every file that includes them, and none bounds depth and size the way an exposed parser must.
//
// Limits (bad input gets an error value, never a crash): the document size, the nesting depth,
// the number of members/elements overall, and each string's length. Numbers are kept as double
// (integers up to 2^53 are exact, enough for ids, sizes and times). Strings must be valid UTF-8
// (escapes \uD800-\uDFFF must pair); duplicate object keys are refused (RFC 8259 §4 leaves
// them undefined, and an API that silently picks one invites confusion) unless the limits allow
// them, for documents written by others (then find() gives the first).
//
// Errors: "json.too_large", "json.too_deep", "json.syntax" (message says where).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::json {

class value;
using array = std::vector<value>;

class object;

class value {
 public:
  value() = default;  // null
  value(std::nullptr_t) {}
  value(bool b) : v_(b) {}
  value(int n) : v_(static_cast<double>(n)) {}
  value(std::int64_t n) : v_(static_cast<double>(n)) {}
  value(std::uint64_t n) : v_(static_cast<double>(n)) {}
  value(double d) : v_(d) {}
  value(const char* s) : v_(std::string(s)) {}
  value(std::string s) : v_(std::move(s)) {}
  value(std::string_view s) : v_(std::string(s)) {}
  value(array a);
  value(object o);

  bool is_null() const { return v_.index() == 0; }
  const bool* as_bool() const { return std::get_if<bool>(&v_); }
  const double* as_number() const { return std::get_if<double>(&v_); }
  const std::string* as_string() const { return std::get_if<std::string>(&v_); }
  const array* as_array() const;
  const object* as_object() const;

  // On an object: the member's value, or null when absent or when this is not an object.
  const value* find(std::string_view key) const;
  const std::string* find_string(std::string_view key) const;

  // Compact text; strings escaped so the output is safe inside HTML too (<, >, & as \u00XX).
  std::string dump() const;
  void dump_to(std::string& out) const;

 private:
  std::variant<std::monostate, bool, double, std::string, std::shared_ptr<array>, std::shared_ptr<object>> v_;
};

// Members in insertion order (answers read in the order they are written).
class object {
 public:
  object& set(std::string key, value v);
  // Appends without looking for the key first: for a reader that allows duplicate keys, where
  // looking would cost a scan per member. find() then gives the first.
  object& add(std::string key, value v) {
    members_.emplace_back(std::move(key), std::move(v));
    return *this;
  }
  const value* find(std::string_view key) const;
  const std::vector<std::pair<std::string, value>>& members() const { return members_; }
  std::size_t size() const { return members_.size(); }

 private:
  std::vector<std::pair<std::string, value>> members_;
};

inline value::value(array a) : v_(std::make_shared<array>(std::move(a))) {}
inline value::value(object o) : v_(std::make_shared<object>(std::move(o))) {}

struct limits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 16;
  std::size_t max_items = 4096;      // members + elements in the whole document
  std::size_t max_string = 16 * 1024;
  bool duplicate_keys = false;
};

result<value> parse(std::string_view text, const limits& lim);

}  // namespace hearth::json
