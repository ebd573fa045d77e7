#include "mail/mailauth/tags.hpp"

namespace hearth::mail::mailauth {
namespace {
bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::optional<std::map<std::string, std::string>> parse_tags(std::string_view text) {
  if (text.size() > max_tag_list) return std::nullopt;
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t semi = text.find(';', pos);
    std::string_view spec = text.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    pos = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    spec = trim_fws(spec);
    if (spec.empty()) {
      // Only the optional final ";" may leave an empty spec (and an empty list is empty).
      if (pos <= text.size() && !trim_fws(text.substr(pos)).empty()) return std::nullopt;
      continue;
    }
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = trim_fws(spec.substr(0, eq));
    std::string_view value = trim_fws(spec.substr(eq + 1));
    // tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_")
    if (name.empty() || !is_alpha(name[0])) return std::nullopt;
    for (char c : name)
      if (!is_alpha(c) && !is_digit(c) && c != '_') return std::nullopt;
    // tag-value octets: VALCHAR = %x21-3A / %x3C-7E, with FWS between them.
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if (!is_fws(c) && (u < 0x21 || u > 0x7e)) return std::nullopt;
    }
    if (!out.emplace(std::string(name), std::string(value)).second) return std::nullopt;
  }
  return out;
}

std::string strip_fws(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (!is_fws(c)) out += c;
  return out;
}

}  // namespace hearth::mail::mailauth
