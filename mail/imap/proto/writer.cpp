#include "mail/imap/proto/writer.hpp"

#include "core/util/strings.hpp"
#include "mail/imap/proto/mutf7.hpp"

#include <algorithm>

namespace hearth::mail::imap {
using util::iequals;
using util::istarts_with;
using util::to_lower;
using util::to_upper;

void write_string(std::string& out, std::string_view s, bool utf8) {
  bool quotable = s.size() <= 1024;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || c == '\r' || c == '\n' || (u >= 0x80 && !utf8)) {
      quotable = false;
      break;
    }
  }
  if (quotable && utf8 && !valid_utf8(s)) quotable = false;
  if (!quotable) {
    out += '{';
    out += std::to_string(s.size());
    out += "}\r\n";
    out.append(s);
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';  // quoted-specials are escaped
    out += c;
  }
  out += '"';
}

void write_nstring(std::string& out, const std::string* s, bool utf8) {
  if (!s) {
    out += "NIL";
    return;
  }
  write_string(out, *s, utf8);
}

void write_mailbox(std::string& out, std::string_view name, bool utf8) {
  if (iequals(name, "INBOX")) {
    out += "INBOX";
    return;
  }
  if (utf8) {
    write_string(out, name, true);
    return;
  }
  write_string(out, mutf7_encode(name), false);
}

std::string flag_list(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (i) out += ' ';
    out += flags[i];
  }
  out += ')';
  return out;
}

std::string compress_set(std::vector<std::uint32_t> numbers, bool keep_order) {
  if (!keep_order) {
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  }
  std::string out;
  std::size_t i = 0;
  while (i < numbers.size()) {
    std::size_t j = i;
    // Runs go up by one.
    while (j + 1 < numbers.size() && numbers[j] != UINT32_MAX && numbers[j + 1] == numbers[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(numbers[i]);
    if (j > i) {
      out += ':';
      out += std::to_string(numbers[j]);
    }
    i = j + 1;
  }
  return out;
}

std::string format_set(const sequence_set& set) {
  if (set.saved) return "$";
  std::string out;
  auto one = [&](std::uint32_t v) { out += v == seq_range::star ? "*" : std::to_string(v); };
  for (std::size_t i = 0; i < set.ranges.size(); ++i) {
    if (i) out += ',';
    one(set.ranges[i].lo);
    if (set.ranges[i].hi != set.ranges[i].lo) {
      out += ':';
      one(set.ranges[i].hi);
    }
  }
  return out;
}

}  // namespace hearth::mail::imap
