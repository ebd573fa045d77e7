#include "core/events/wire.hpp"

#include <charconv>

namespace hearth::events::wire {

namespace {

// UTF-8 as RFC 3629 defines it (no overlongs, no surrogates, at most U+10FFFF) and no NUL:
// what a PostgreSQL UTF8 database accepts as text.
bool valid_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (i + static_cast<std::size_t>(n) >= s.size()) return false;  // the sequence runs past the end
    for (int k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

bool valid_origin(std::string_view o) {
  if (o.empty() || o.size() > max_origin) return false;
  for (char c : o)
    if (c <= ' ' || c > '~') return false;
  return true;
}

// The next space- or LF-terminated field of the header; advances `s` past the terminator.
std::optional<std::string_view> field(std::string_view& s, char end) {
  auto p = s.find(end);
  if (p == std::string_view::npos) return std::nullopt;
  auto f = s.substr(0, p);
  s.remove_prefix(p + 1);
  return f;
}

std::optional<std::size_t> length(std::string_view f) {
  if (f.empty() || f.size() > 4 || (f.size() > 1 && f[0] == '0')) return std::nullopt;
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), n);
  if (ec != std::errc() || p != f.data() + f.size()) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> encode(std::string_view origin, const event& e) {
  if (!valid_origin(origin)) return std::nullopt;
  std::string out = "e1 ";
  out += origin;
  if (e.resync) {
    out += " r 0 0\n";
    return out;
  }
  if (e.topic.empty()) return std::nullopt;
  out += " - " + std::to_string(e.topic.size()) + " " + std::to_string(e.key.size()) + "\n";
  if (out.size() + e.topic.size() + e.key.size() + e.data.size() > max_payload) return std::nullopt;
  if (!valid_text(e.topic) || !valid_text(e.key) || !valid_text(e.data)) return std::nullopt;
  out += e.topic;
  out += e.key;
  out += e.data;
  return out;
}

std::optional<decoded> decode(std::string_view s) {
  if (s.size() > max_payload || !valid_text(s)) return std::nullopt;
  auto version = field(s, ' ');
  if (!version || *version != "e1") return std::nullopt;
  auto origin = field(s, ' ');
  auto flags = field(s, ' ');
  auto tlen = field(s, ' ');
  auto klen = field(s, '\n');
  if (!origin || !flags || !tlen || !klen || !valid_origin(*origin)) return std::nullopt;
  auto t = length(*tlen), k = length(*klen);
  if (!t || !k) return std::nullopt;
  decoded d;
  d.origin = std::string(*origin);
  if (*flags == "r") {
    if (*t != 0 || *k != 0 || !s.empty()) return std::nullopt;
    d.ev.resync = true;
    return d;
  }
  if (*flags != "-" || *t + *k > s.size() || *t == 0) return std::nullopt;
  d.ev.topic = std::string(s.substr(0, *t));
  d.ev.key = std::string(s.substr(*t, *k));
  d.ev.data = std::string(s.substr(*t + *k));
  // The lengths must not cut a UTF-8 sequence: each part is text on its own.
  if (!valid_text(d.ev.topic) || !valid_text(d.ev.key) || !valid_text(d.ev.data)) return std::nullopt;
  return d;
}

}  // namespace hearth::events::wire
