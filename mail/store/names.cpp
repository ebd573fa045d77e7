// Mailbox names and flags: validation and canonical forms.
#include <algorithm>

#include "mail/store/sql_store.hpp"

namespace hearth::mail {

namespace {

constexpr std::string_view system_flags[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};
constexpr std::size_t max_ranges = 100000;

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// RFC 9051 §9: atom-char excludes "(" ")" "{" SP CTL list-wildcards quoted-specials
// resp-specials; flag-keyword is an atom (a "\\" would make it a flag-extension).
bool atom_char(unsigned char ch) {
  if (ch <= 0x20 || ch >= 0x7f) return false;
  return std::string_view("(){%*\"\\]").find(static_cast<char>(ch)) == std::string_view::npos;
}

// Well-formed UTF-8 without C0/C1 controls or DEL.
bool valid_utf8_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    int n = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
    if (n < 0) return false;
    std::uint32_t cp = c & (0x3f >> n);
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong, surrogate, out of range, C1 controls.
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
        (cp >= 0x80 && cp < 0xa0))
      return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> canonical_flag(std::string_view flag) {
  if (flag.empty() || flag.size() > max_keyword_bytes) return std::nullopt;
  if (flag[0] == '\\') {
    for (auto f : system_flags)
      if (iequal(f, flag)) return std::string(f);
    return std::nullopt;  // \Recent is session state, not stored; other extensions unknown
  }
  for (char ch : flag)
    if (!atom_char(static_cast<unsigned char>(ch))) return std::nullopt;
  return std::string(flag);
}

std::optional<std::string> canonical_mailbox_name(std::string_view name) {
  if (name.empty() || name.size() > max_name_bytes || !valid_utf8_text(name)) return std::nullopt;
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) return std::nullopt;
  if (std::count(name.begin(), name.end(), '/') >= max_depth) return std::nullopt;
  // RFC 9051 §5.1: INBOX is case-insensitive, also as the first level of a hierarchy.
  auto first = name.substr(0, name.find('/'));
  if (iequal(first, "INBOX")) return "INBOX" + std::string(name.substr(first.size()));
  return std::string(name);
}

result<std::vector<std::string>> canonical_flags(const std::vector<std::string>& flags) {
  if (flags.size() > max_flags) return fail("mail.invalid", "too many flags");
  std::vector<std::string> sys, kw;
  for (auto& f : flags) {
    auto c = canonical_flag(f);
    if (!c) return fail("mail.invalid", "invalid flag: " + f.substr(0, 100));
    if ((*c)[0] == '\\') {
      if (!has_flag(sys, *c)) sys.push_back(*c);
    } else if (std::none_of(kw.begin(), kw.end(), [&](auto& k) { return iequal(k, *c); })) {
      kw.push_back(*c);
    }
  }
  std::vector<std::string> out;
  for (auto f : system_flags)
    if (has_flag(sys, f)) out.emplace_back(f);
  out.insert(out.end(), kw.begin(), kw.end());
  return out;
}

std::string join_flags(const std::vector<std::string>& flags) {
  std::string s;
  for (auto& f : flags) {
    if (!s.empty()) s += ' ';
    s += f;
  }
  return s;
}

std::vector<std::string> split_flags(std::string_view stored) {
  std::vector<std::string> out;
  while (!stored.empty()) {
    auto sp = stored.find(' ');
    auto part = stored.substr(0, sp);
    if (!part.empty()) out.emplace_back(part);
    if (sp == std::string_view::npos) break;
    stored.remove_prefix(sp + 1);
  }
  return out;
}

bool has_flag(const std::vector<std::string>& flags, std::string_view canonical) {
  return std::any_of(flags.begin(), flags.end(), [&](auto& f) { return iequal(f, canonical); });
}

std::vector<std::string> apply_flags(const std::vector<std::string>& current, flag_mode mode,
                                     const std::vector<std::string>& given) {
  std::vector<std::string> next;
  switch (mode) {
    case flag_mode::set: next = given; break;
    case flag_mode::add:
      next = current;
      next.insert(next.end(), given.begin(), given.end());
      break;
    case flag_mode::remove:
      for (auto& f : current)
        if (!has_flag(given, f)) next.push_back(f);
      break;
  }
  auto c = canonical_flags(next);
  return c ? std::move(*c) : current;  // inputs are canonical already: cannot fail
}

result<void> check_uid_set(const uid_set& uids) {
  if (uids.size() > max_ranges) return fail("mail.invalid", "too many uid ranges");
  for (auto& r : uids)
    if (r.first == 0 || r.first > r.last) return fail("mail.invalid", "invalid uid range");
  return {};
}

bool in_set(const uid_set& uids, std::uint32_t uid) {
  return std::any_of(uids.begin(), uids.end(), [&](auto& r) { return uid >= r.first && uid <= r.last; });
}

}  // namespace hearth::mail
