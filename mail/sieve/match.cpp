#include "mail/sieve/match.hpp"

#include <cctype>

namespace hearth::mail::sieve::detail {
namespace {
unsigned char fold(comparator c, char ch) {
  auto u = static_cast<unsigned char>(ch);
  return c == comparator::casemap && u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u + 32) : u;
}

// RFC 4790 §9.1.1: the number is the leading digits; a string without one is +infinity.
int compare_numeric(std::string_view a, std::string_view b) {
  auto digits = [](std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    s = s.substr(0, n);
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    return std::pair{n > 0, s};
  };
  auto [ha, da] = digits(a);
  auto [hb, db] = digits(b);
  if (!ha || !hb) return ha == hb ? 0 : (ha ? -1 : 1);
  if (da.size() != db.size()) return da.size() < db.size() ? -1 : 1;
  int r = da.compare(db);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

std::size_t utf8_len(unsigned char c) {
  if (c < 0xC0) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}
}  // namespace

int compare(comparator c, std::string_view a, std::string_view b) {
  if (c == comparator::numeric) return compare_numeric(a, b);
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto x = fold(c, a[i]), y = fold(c, b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

bool equals(comparator c, std::string_view a, std::string_view b) {
  if (c == comparator::numeric) return compare_numeric(a, b) == 0;
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(c, a[i]) != fold(c, b[i])) return false;
  return true;
}

bool contains(comparator c, std::string_view h, std::string_view n) {
  if (n.empty()) return true;
  if (n.size() > h.size()) return false;
  for (std::size_t i = 0; i + n.size() <= h.size(); ++i) {
    std::size_t j = 0;
    while (j < n.size() && fold(c, h[i + j]) == fold(c, n[j])) ++j;
    if (j == n.size()) return true;
  }
  return false;
}

bool relational(relop r, int cmp) {
  switch (r) {
    case relop::gt: return cmp > 0;
    case relop::ge: return cmp >= 0;
    case relop::lt: return cmp < 0;
    case relop::le: return cmp <= 0;
    case relop::eq: return cmp == 0;
    case relop::ne: return cmp != 0;
  }
  return false;
}

bool wildcard(comparator c, std::string_view p, std::string_view v, std::vector<std::string>* caps,
              std::uint64_t& steps) {
  // One entry per wildcard in pattern order: [begin, end) in v.
  struct span { std::size_t b = 0, e = 0; };
  std::vector<span> spans;
  std::size_t pi = 0, vi = 0;
  // The last "*" seen: pattern index after it, its wildcard number, where its match began
  // and how far it currently extends.
  bool have_star = false;
  std::size_t star_p = 0, star_w = 0, star_v = 0;
  std::size_t wild = 0;  // wildcard number at pi
  std::size_t star_wild_after = 0;
  while (true) {
    if (++steps > (std::uint64_t{1} << 40)) return false;
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '*') {
        if (spans.size() <= wild) spans.resize(wild + 1);
        spans[wild] = {vi, vi};
        have_star = true;
        star_w = wild;
        ++pi;
        ++wild;
        star_p = pi;
        star_v = vi;
        star_wild_after = wild;
        continue;
      }
      if (vi < v.size()) {
        if (pc == '?') {
          std::size_t len = c == comparator::octet ? 1 : utf8_len(static_cast<unsigned char>(v[vi]));
          if (vi + len > v.size()) len = v.size() - vi;
          if (spans.size() <= wild) spans.resize(wild + 1);
          spans[wild] = {vi, vi + len};
          ++wild;
          ++pi;
          vi += len;
          continue;
        }
        std::size_t plen = 1;
        if (pc == '\\' && pi + 1 < p.size()) {
          pc = p[pi + 1];
          plen = 2;
        }
        if (fold(c, pc) == fold(c, v[vi])) {
          pi += plen;
          ++vi;
          continue;
        }
      }
    } else if (vi == v.size()) {
      break;
    }
    // Mismatch: let the last star swallow one more character and retry after it.
    if (!have_star || star_v >= v.size()) return false;
    ++star_v;
    if (c != comparator::octet)
      while (star_v < v.size() && (static_cast<unsigned char>(v[star_v]) & 0xC0) == 0x80) ++star_v;
    spans[star_w].e = star_v;
    vi = star_v;
    pi = star_p;
    wild = star_wild_after;
  }
  if (caps) {
    caps->clear();
    caps->emplace_back(v);
    for (auto& s : spans) caps->emplace_back(v.substr(s.b, s.e - s.b));
  }
  return true;
}

}  // namespace hearth::mail::sieve::detail
