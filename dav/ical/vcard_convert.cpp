// vCard 3.0 <-> 4.0 (RFC 2426 <-> RFC 6350), for address-data with a version (RFC 6352 §10.4).
//
// Only what differs between the versions and what clients read is rewritten; every other line
// is kept byte for byte (its folding aside), so nothing a client stored is lost by asking for
// the other version. The mappings follow RFC 6350 appendix A and the conventions Apple and
// DAVx5 use for what vCard 3.0 cannot say (groups, a birthday without a year).
#include <algorithm>
#include <cctype>

#include "dav/ical/detail.hpp"

namespace hearth::dav::ical {
namespace {

struct line {
  std::string group;  // "item1." kept as written
  std::string name;   // upper case
  std::vector<std::pair<std::string, std::string>> params;  // upper-case name, raw value
  std::string value;
};

std::string upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}
std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::vector<std::string> unfold_lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto e = text.find('\n', i);
    std::string_view l = text.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
    i = e == std::string_view::npos ? text.size() : e + 1;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!l.empty() && (l[0] == ' ' || l[0] == '\t') && !out.empty()) out.back().append(l.substr(1));
    else if (!l.empty()) out.emplace_back(l);
  }
  return out;
}

// name *(";" param) ":" value, with quoted parameter values that may hold ":" and ";".
std::optional<line> split(std::string_view l) {
  line out;
  std::size_t i = 0;
  bool quoted = false;
  std::size_t colon = std::string_view::npos;
  for (; i < l.size(); ++i) {
    if (l[i] == '"') quoted = !quoted;
    else if (l[i] == ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon == std::string_view::npos) return std::nullopt;
  out.value = std::string(l.substr(colon + 1));
  std::string_view head = l.substr(0, colon);
  std::vector<std::string_view> parts;
  quoted = false;
  std::size_t start = 0;
  for (std::size_t k = 0; k <= head.size(); ++k) {
    if (k < head.size() && head[k] == '"') quoted = !quoted;
    if (k == head.size() || (head[k] == ';' && !quoted)) {
      parts.push_back(head.substr(start, k - start));
      start = k + 1;
    }
  }
  std::string_view name = parts[0];
  if (auto dot = name.rfind('.'); dot != std::string_view::npos) {
    out.group = std::string(name.substr(0, dot + 1));
    name = name.substr(dot + 1);
  }
  out.name = upper(name);
  for (std::size_t k = 1; k < parts.size(); ++k) {
    auto p = parts[k];
    auto eq = p.find('=');
    // vCard 2.1/3.0 bare parameters ("WORK") are TYPE values.
    if (eq == std::string_view::npos) out.params.emplace_back("TYPE", std::string(p));
    else out.params.emplace_back(upper(p.substr(0, eq)), std::string(p.substr(eq + 1)));
  }
  return out;
}

void emit(std::string& out, const line& l) {
  std::string s = l.group + l.name;
  for (const auto& [k, v] : l.params) s += ";" + k + "=" + v;
  s += ":" + l.value;
  out += detail::fold_line(s);
}

// Splits a comma-separated TYPE list (values may also come as several TYPE parameters).
std::vector<std::string> types_of(const line& l) {
  std::vector<std::string> out;
  for (const auto& [k, v] : l.params) {
    if (k != "TYPE") continue;
    std::string_view s = v;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    std::size_t a = 0;
    while (a <= s.size()) {
      auto b = s.find(',', a);
      if (b == std::string_view::npos) b = s.size();
      if (b > a) out.push_back(lower(s.substr(a, b - a)));
      a = b + 1;
    }
  }
  return out;
}

void set_types(line& l, const std::vector<std::string>& types) {
  std::erase_if(l.params, [](const auto& p) { return p.first == "TYPE"; });
  if (types.empty()) return;
  std::string v;
  for (const auto& t : types) v += (v.empty() ? "" : ",") + t;
  l.params.emplace_back("TYPE", v);
}

std::optional<std::string> param(const line& l, std::string_view name) {
  for (const auto& [k, v] : l.params)
    if (k == name) return v;
  return std::nullopt;
}
void drop_param(line& l, std::string_view name) {
  std::erase_if(l.params, [&](const auto& p) { return p.first == name; });
}

bool is_binary_prop(const std::string& n) { return n == "PHOTO" || n == "LOGO" || n == "SOUND" || n == "KEY"; }

std::string media_type(const std::string& n, std::string type) {
  type = lower(type);
  if (type.find('/') != std::string::npos) return type;
  if (n == "SOUND") return "audio/" + type;
  if (n == "KEY") return "application/" + type;
  return "image/" + type;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// vCard 3.0 -> 4.0 for one line; false drops the line.
bool up_line(line& l) {
  drop_param(l, "CHARSET");  // vCard 4.0 is UTF-8 only (RFC 6350 §3.1)
  if (l.name == "VERSION") {
    l.value = "4.0";
    return true;
  }
  if (l.name == "NAME" || l.name == "MAILER" || l.name == "PROFILE") return false;  // gone in 4.0 (appendix A.2)
  auto types = types_of(l);
  if (!types.empty()) {
    // "pref" becomes PREF=1; EMAIL's "internet" and "x400" have no meaning in 4.0.
    bool pref = std::erase(types, "pref") > 0;
    if (l.name == "EMAIL") std::erase(types, "internet"), std::erase(types, "x400");
    if (l.name == "TEL") std::erase(types, "voice");  // the 4.0 default when no type is given
    set_types(l, types);
    if (pref) l.params.emplace_back("PREF", "1");
  }
  if (is_binary_prop(l.name)) {
    auto enc = param(l, "ENCODING");
    if (enc && (lower(*enc) == "b" || lower(*enc) == "base64")) {
      auto t = types_of(l);
      std::string media = media_type(l.name, t.empty() ? "jpeg" : t.front());
      drop_param(l, "ENCODING");
      drop_param(l, "TYPE");
      l.value = "data:" + media + ";base64," + l.value;
    } else {
      drop_param(l, "VALUE");  // VALUE=uri is the 4.0 default for these
    }
    return true;
  }
  if (l.name == "GEO") {
    if (auto semi = l.value.find(';'); semi != std::string::npos)
      l.value = "geo:" + l.value.substr(0, semi) + "," + l.value.substr(semi + 1);
    return true;
  }
  if (l.name == "BDAY" || l.name == "X-ANNIVERSARY" || l.name == "ANNIVERSARY") {
    if (l.name == "X-ANNIVERSARY") l.name = "ANNIVERSARY";
    std::string v = l.value;
    // Apple writes a birthday without a year as 1604-MM-DD with X-APPLE-OMIT-YEAR=1604;
    // vCard 4.0 says it as --MMDD (RFC 6350 §4.3.1).
    bool omit = param(l, "X-APPLE-OMIT-YEAR").has_value();
    drop_param(l, "X-APPLE-OMIT-YEAR");
    if (v.size() >= 10 && v[4] == '-' && v[7] == '-' && all_digits(v.substr(0, 4)) && all_digits(v.substr(5, 2)) &&
        all_digits(v.substr(8, 2)))
      l.value = (omit ? "--" : v.substr(0, 4)) + v.substr(5, 2) + v.substr(8, 2) + v.substr(10);
    return true;
  }
  if (l.name == "X-ADDRESSBOOKSERVER-KIND") l.name = "KIND";
  if (l.name == "X-ADDRESSBOOKSERVER-MEMBER") l.name = "MEMBER";
  return true;
}

// vCard 4.0 -> 3.0 for one line; false drops the line.
bool down_line(line& l) {
  if (l.name == "VERSION") {
    l.value = "3.0";
    return true;
  }
  if (auto pref = param(l, "PREF")) {
    drop_param(l, "PREF");
    auto types = types_of(l);
    types.push_back("pref");
    set_types(l, types);
  }
  // Parameters vCard 3.0 does not have.
  for (const char* p : {"PID", "ALTID", "CALSCALE", "SORT-AS", "GEO", "TZ", "MEDIATYPE", "LABEL", "INDEX", "LEVEL"})
    drop_param(l, p);
  if (is_binary_prop(l.name)) {
    if (l.value.starts_with("data:")) {
      auto comma = l.value.find(',');
      auto semi = l.value.find(';');
      if (comma != std::string::npos && semi != std::string::npos && semi < comma &&
          l.value.compare(semi, comma - semi, ";base64") == 0) {
        std::string media = l.value.substr(5, semi - 5);
        auto slash = media.find('/');
        std::string sub = upper(slash == std::string::npos ? media : media.substr(slash + 1));
        l.value.erase(0, comma + 1);
        drop_param(l, "VALUE");
        l.params.emplace_back("ENCODING", "b");
        l.params.emplace_back("TYPE", sub);
      }
    } else {
      drop_param(l, "VALUE");
      l.params.emplace_back("VALUE", "uri");
    }
    return true;
  }
  if (l.name == "GEO") {
    if (l.value.starts_with("geo:")) {
      std::string v = l.value.substr(4);
      if (auto semi = v.find(';'); semi != std::string::npos) v.resize(semi);  // ";u=" uncertainty
      if (auto comma = v.find(','); comma != std::string::npos) {
        auto second = v.find(',', comma + 1);  // an altitude is dropped
        l.value = v.substr(0, comma) + ";" + v.substr(comma + 1, second == std::string::npos ? std::string::npos : second - comma - 1);
      }
    }
    return true;
  }
  if (l.name == "BDAY" || l.name == "ANNIVERSARY") {
    if (l.name == "ANNIVERSARY") l.name = "X-ANNIVERSARY";
    const std::string& v = l.value;
    if (v.size() >= 6 && v.starts_with("--") && all_digits(v.substr(2, 4))) {
      l.value = "1604-" + v.substr(2, 2) + "-" + v.substr(4, 2);
      l.params.emplace_back("X-APPLE-OMIT-YEAR", "1604");
    } else if (v.size() >= 8 && all_digits(v.substr(0, 8))) {
      l.value = v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2) + v.substr(8);
    }
    drop_param(l, "VALUE");
    return true;
  }
  if (l.name == "KIND") {
    if (lower(l.value) == "individual") return false;  // the 3.0 reading of a card without KIND
    l.name = "X-ADDRESSBOOKSERVER-KIND";
    return true;
  }
  if (l.name == "MEMBER") l.name = "X-ADDRESSBOOKSERVER-MEMBER";
  if (l.name == "GENDER" || l.name == "LANG" || l.name == "CLIENTPIDMAP" || l.name == "XML") return false;
  return true;
}

}  // namespace

std::string detail::fold_line(std::string_view s) {
  std::string out;
  std::size_t pos = 0, width = 75;
  while (s.size() - pos > width) {
    std::size_t cut = pos + width;
    while (cut > pos + 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.append(s, pos, cut - pos);
    out += "\r\n ";
    pos = cut;
    width = 74;
  }
  out.append(s, pos, std::string_view::npos);
  out += "\r\n";
  return out;
}

std::string convert_vcard(std::string_view text, std::string_view version) {
  auto info = inspect_vcard(text);
  if (!info || info->version == version || (version != "3.0" && version != "4.0")) return std::string(text);
  const bool up = version == "4.0";
  std::string out;
  bool has_n = false, in_card = false;
  std::string fn;
  for (const auto& raw : unfold_lines(text)) {
    auto l = split(raw);
    if (!l) continue;  // not a content line: inspect_vcard accepted the card, so nothing of value
    if (l->name == "BEGIN" && upper(l->value) == "VCARD") in_card = true;
    if (l->name == "N") has_n = true;
    if (l->name == "FN") fn = l->value;
    if (l->name == "END" && upper(l->value) == "VCARD" && in_card && !up && !has_n) {
      // RFC 2426 §3.1.2: N is required in 3.0 and optional in 4.0; the formatted name goes in
      // the family name so a 3.0 client still shows something.
      line n{"", "N", {}, fn + ";;;;"};
      emit(out, n);
    }
    if (in_card && (up ? up_line(*l) : down_line(*l))) emit(out, *l);
  }
  return out;
}

}  // namespace hearth::dav::ical
