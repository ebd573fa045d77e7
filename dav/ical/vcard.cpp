// vCard validation and addressbook-query filters (RFC 6352 §10.5), and text-match collations
// (RFC 4790: i;octet, i;ascii-casemap; RFC 5051: i;unicode-casemap).
#include <algorithm>
#include <cstdint>

#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Simple case folding for the scripts contacts use most (Latin-1, Latin Extended-A, Greek,
// Cyrillic); other code points compare as they are. A subset of i;unicode-casemap (RFC 5051),
// which also normalizes (NFKD): accents are not removed here.
char32_t fold(char32_t c) {
  if (c < 0x80) return static_cast<char32_t>(ascii_lower(static_cast<char>(c)));
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
    return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c >= 0x100 && c <= 0x17F && c % 2 == 0 && c != 0x130 && c != 0x138) return c + 1;
  return c;
}

std::u32string decode_fold(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    char32_t cp = b;
    std::size_t n = 1;
    if (b >= 0xF0 && i + 3 < s.size() + 0) n = 4, cp = b & 0x07;
    else if (b >= 0xE0) n = 3, cp = b & 0x0F;
    else if (b >= 0xC0) n = 2, cp = b & 0x1F;
    if (i + n > s.size()) n = 1, cp = b;
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(fold(cp));
    i += n;
  }
  return out;
}

template <class S>
bool match_strings(const S& v, const S& t, std::string_view type) {
  if (type == "equals") return v == t;
  if (type == "starts-with") return v.size() >= t.size() && std::equal(t.begin(), t.end(), v.begin());
  if (type == "ends-with") return v.size() >= t.size() && std::equal(t.rbegin(), t.rend(), v.rbegin());
  return v.find(t) != S::npos;
}

struct vprop {
  std::string name;  // upper case, group removed
  std::vector<std::pair<std::string, std::string>> params;  // upper-case name, value
  std::string value;
};

// Unfolds (RFC 6350 §3.2) and splits content lines.
std::vector<std::string> unfold(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t i = 0;
  while (i < text.size()) {
    auto nl = text.find('\n', i);
    std::string_view line = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    i = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) lines.back() += line.substr(1);
    else if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

std::string upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return o;
}

std::optional<vprop> parse_line(std::string_view line) {
  // name *(";" param) ":" value; a ':' inside a quoted parameter value does not end the name part.
  bool quoted = false;
  std::size_t colon = std::string_view::npos;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    else if (line[i] == ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon == std::string_view::npos) return std::nullopt;
  vprop p;
  p.value = std::string(line.substr(colon + 1));
  std::string_view head = line.substr(0, colon);
  std::size_t semi = head.find(';');
  std::string_view name = head.substr(0, semi);
  if (auto dot = name.find('.'); dot != std::string_view::npos) name = name.substr(dot + 1);
  if (name.empty()) return std::nullopt;
  p.name = upper(name);
  while (semi != std::string_view::npos) {
    std::size_t next = head.find(';', semi + 1);
    std::string_view param = head.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1);
    auto eq = param.find('=');
    p.params.emplace_back(upper(param.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(param.substr(eq + 1)));
    semi = next;
  }
  return p;
}

std::vector<vprop> parse_card(std::string_view text) {
  std::vector<vprop> out;
  for (auto& l : unfold(text))
    if (auto p = parse_line(l)) out.push_back(std::move(*p));
  return out;
}

}  // namespace

bool known_collation(std::string_view c) { return c == "i;ascii-casemap" || c == "i;unicode-casemap" || c == "i;octet"; }

bool text_matches(std::string_view value, const text_match& m) {
  bool r;
  if (m.collation == "i;octet") {
    r = match_strings(std::string(value), m.text, m.match_type);
  } else if (m.collation == "i;ascii-casemap") {
    std::string v(value), t(m.text);
    for (auto& c : v) c = ascii_lower(c);
    for (auto& c : t) c = ascii_lower(c);
    r = match_strings(v, t, m.match_type);
  } else {
    r = match_strings(decode_fold(value), decode_fold(m.text), m.match_type);
  }
  return m.negate ? !r : r;
}

result<vcard_info> inspect_vcard(std::string_view text) {
  // RFC 6350 §3.1: a vCard is UTF-8.
  if (!is_utf8_text(text)) return fail("vcard.invalid", "the vCard is not UTF-8 text");
  auto lines = unfold(text);
  if (lines.size() < 2 || upper(lines.front()) != "BEGIN:VCARD" || upper(lines.back()) != "END:VCARD")
    return fail("vcard.invalid", "a vCard starts with BEGIN:VCARD and ends with END:VCARD");
  vcard_info info;
  bool fn = false;
  int depth = 0;
  for (auto& l : lines) {
    auto p = parse_line(l);
    if (!p) return fail("vcard.invalid", "malformed content line");
    if (p->name == "BEGIN") {
      if (++depth > 1) return fail("vcard.invalid", "one vCard per resource");
    } else if (p->name == "END") {
      --depth;
    } else if (p->name == "VERSION") {
      info.version = p->value;
    } else if (p->name == "FN") {
      fn = true;
    } else if (p->name == "UID") {
      info.uid = p->value;
    }
  }
  if (info.version != "3.0" && info.version != "4.0") return fail("vcard.invalid", "VERSION must be 3.0 or 4.0");
  if (!fn) return fail("vcard.invalid", "FN is required");
  if (info.uid.empty()) return fail("vcard.no_uid", "UID is required");
  return info;
}

bool vcard_matches(std::string_view text, const addressbook_filter& f) {
  if (f.props.empty()) return true;
  auto props = parse_card(text);
  auto one = [&](const prop_filter& pf) {
    std::string want = upper(pf.name);
    bool any = false;
    for (auto& p : props) {
      if (p.name != want) continue;
      any = true;
      if (pf.is_not_defined) return false;
      if (pf.matches.empty() && pf.params.empty()) return true;
      std::vector<bool> results;
      for (auto& m : pf.matches) results.push_back(text_matches(p.value, m));
      for (auto& par : pf.params) {
        auto it = std::find_if(p.params.begin(), p.params.end(), [&](auto& kv) { return kv.first == upper(par.name); });
        if (par.is_not_defined) results.push_back(it == p.params.end());
        else if (it == p.params.end()) results.push_back(false);
        else results.push_back(!par.match || text_matches(it->second, *par.match));
      }
      bool ok = pf.allof ? std::all_of(results.begin(), results.end(), [](bool b) { return b; })
                         : std::any_of(results.begin(), results.end(), [](bool b) { return b; });
      if (ok) return true;
    }
    return pf.is_not_defined && !any;
  };
  if (f.allof) return std::all_of(f.props.begin(), f.props.end(), one);
  return std::any_of(f.props.begin(), f.props.end(), one);
}

std::vector<std::string> split_vcards(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool in = false;
  std::size_t i = 0;
  while (i < text.size()) {
    auto nl = text.find('\n', i);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(i, end - i);
    i = end;
    std::string_view bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
    if (!in && upper(bare) == "BEGIN:VCARD") {
      in = true;
      cur.clear();
    }
    if (in) {
      cur += bare;
      cur += "\r\n";
    }
    if (in && upper(bare) == "END:VCARD") {
      in = false;
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  return out;
}

}  // namespace hearth::dav::ical
