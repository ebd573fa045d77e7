// RFC 2045 §5.1 parameters with RFC 2231 continuations, charsets and languages (mime.hpp).
#include <algorithm>

#include "core/util/strings.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/mime.hpp"

namespace hearth::mail {

namespace {

struct section {
  unsigned index = 0;
  bool extended = false;  // "*" after the index: %-encoded octets
  std::string text;
};

struct pending {
  std::string name;
  bool have_plain = false;
  std::string plain;
  std::vector<section> sections;  // RFC 2231 form; wins over the plain one when present
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// RFC 2231 §7 attribute-char: token characters except "*", "'" and "%".
std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = c > 32 && c < 127 && std::string_view("*'%()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

void skip_ws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {  // RFC 822 comments are allowed between MIME tokens
      int depth = 0;
      while (i < s.size()) {
        char d = s[i++];
        if (d == '\\' && i < s.size()) ++i;
        else if (d == '(') ++depth;
        else if (d == ')' && --depth == 0) break;
      }
    } else {
      break;
    }
  }
}

mime_parameter finish(pending& p) {
  mime_parameter m;
  m.name = p.name;
  if (p.sections.empty()) {
    m.raw = p.plain;
    m.value = p.plain.find("=?") != std::string::npos ? decode_encoded_words(p.plain).text : p.plain;
    return m;
  }
  std::stable_sort(p.sections.begin(), p.sections.end(),
                   [](const section& a, const section& b) { return a.index < b.index; });
  m.extended = true;
  std::string octets, encoded;
  bool first = true;
  unsigned last_index = 0;
  for (auto& s : p.sections) {
    if (!first && s.index == last_index) continue;  // duplicate section: first wins
    std::string_view text = s.text;
    if (first && s.extended) {
      // RFC 2231 §4: the first extended section starts with charset'language'.
      std::size_t q1 = text.find('\'');
      std::size_t q2 = q1 == std::string_view::npos ? q1 : text.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) {
        m.charset = std::string(text.substr(0, q1));
        m.language = std::string(text.substr(q1 + 1, q2 - q1 - 1));
        text.remove_prefix(q2 + 1);
      }
    }
    if (s.extended) {
      octets += percent_decode(text);
      encoded += text;
    } else {
      octets += text;
      encoded += percent_encode(text);
    }
    first = false;
    last_index = s.index;
  }
  m.raw = m.charset + "'" + m.language + "'" + encoded;
  if (m.charset.empty()) {
    m.value = octets;
  } else if (auto u = to_utf8(m.charset, octets)) {
    m.value = std::move(*u);
  } else {
    m.value = std::move(octets);
    m.unknown_charset = true;
  }
  return m;
}

}  // namespace

const mime_parameter* mime_parameters::find(std::string_view name) const {
  for (const auto& p : list)
    if (util::iequals(p.name, name)) return &p;
  return nullptr;
}

std::string mime_parameters::get(std::string_view name, std::string_view fallback) const {
  if (auto p = find(name)) return p->value;
  return std::string(fallback);
}

mime_parameters parse_parameters(std::string_view s) {
  std::vector<pending> acc;
  std::size_t i = 0;
  while (i < s.size()) {
    skip_ws(s, i);
    if (i < s.size() && s[i] == ';') {
      ++i;
      continue;
    }
    // attribute up to '=' or ';'
    std::size_t a0 = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';' && s[i] != '"') ++i;
    std::string attr = util::to_lower(util::trim(s.substr(a0, i - a0)));
    if (i >= s.size() || s[i] != '=') {  // no value: skip to the next ';'
      while (i < s.size() && s[i] != ';') ++i;
      continue;
    }
    ++i;  // '='
    skip_ws(s, i);
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        if (s[i] != '\r' && s[i] != '\n') value.push_back(s[i]);
        ++i;
      }
      if (i < s.size()) ++i;
      while (i < s.size() && s[i] != ';') ++i;  // junk after the closing quote
    } else {
      std::size_t v0 = i;
      while (i < s.size() && s[i] != ';') ++i;
      std::string_view v = util::trim(s.substr(v0, i - v0));
      // A comment after a token value ends it.
      if (auto paren = v.find('('); paren != std::string_view::npos) v = util::trim(v.substr(0, paren));
      value = std::string(v);
    }
    if (attr.empty()) continue;
    // RFC 2231 §3-4: name*, name*N, name*N*
    std::string base = attr;
    section sec;
    bool is2231 = false;
    if (auto star = attr.find('*'); star != std::string::npos) {
      base = attr.substr(0, star);
      std::string_view rest = std::string_view(attr).substr(star + 1);
      if (rest.empty()) {
        is2231 = true;
        sec.extended = true;
      } else {
        unsigned n = 0;
        std::size_t k = 0;
        while (k < rest.size() && rest[k] >= '0' && rest[k] <= '9' && n < 10000) n = n * 10 + (rest[k++] - '0');
        if (k > 0 && (k == rest.size() || (k + 1 == rest.size() && rest[k] == '*'))) {
          is2231 = true;
          sec.index = n;
          sec.extended = k + 1 == rest.size();
        }
      }
      if (!is2231) base = attr;  // not RFC 2231 after all: keep the name as written
    }
    auto it = std::find_if(acc.begin(), acc.end(), [&](const pending& p) { return p.name == base; });
    if (it == acc.end()) {
      if (acc.size() >= max_parameters) continue;
      acc.push_back(pending{base, false, {}, {}});
      it = acc.end() - 1;
    }
    if (is2231) {
      if (it->sections.size() < max_parameter_sections && sec.index < max_parameter_sections) {
        sec.text = std::move(value);
        it->sections.push_back(std::move(sec));
      }
    } else if (!it->have_plain) {
      it->have_plain = true;
      it->plain = std::move(value);
    }
  }
  mime_parameters out;
  for (auto& p : acc) out.list.push_back(finish(p));
  return out;
}

}  // namespace hearth::mail
