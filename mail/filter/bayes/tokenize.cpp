#include "mail/filter/bayes/tokenize.hpp"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "core/util/strings.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/header.hpp"
#include "mail/message/mime.hpp"

namespace hearth::mail::filter::bayes {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// The set of tokens being built: distinct, in order, at most max_tokens.
class token_set {
 public:
  explicit token_set(const tokenize_limits& l) : l_(l) { seen_.reserve(l.max_tokens * 2); }
  bool full() const { return out_.size() >= l_.max_tokens; }
  void add(std::string t) {
    if (full() || t.empty()) return;
    if (t.size() > 96) t.resize(96);
    if (seen_.insert(t).second) out_.push_back(std::move(t));
  }
  std::vector<std::string> take() { return std::move(out_); }
  const tokenize_limits& limits() const { return l_; }

 private:
  const tokenize_limits& l_;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> out_;
};

// Cuts a UTF-8 string at most `n` octets long without splitting a sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string lower_ascii(std::string_view s) { return util::to_lower(s); }

constexpr std::string_view edge_punct = ".,;:!?\"'()[]<>{}*|`~=_-+#/\\&%^@";

void add_host_tokens(std::string_view prefix, std::string_view host, token_set& ts) {
  std::string h = lower_ascii(host);
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty() || h.size() > 253) return;
  ts.add(std::string(prefix) + h);
  auto reg = registered_domain(h);
  if (reg != h) ts.add(std::string(prefix) + reg);
}

// "http://user@Host.Example:8080/path" -> "host.example"; "" when no host.
std::string url_host(std::string_view url) {
  auto p = url.find("://");
  std::string_view rest = p == std::string_view::npos ? url : url.substr(p + 3);
  auto end = rest.find_first_of("/?#\"'<> \t\r\n");
  if (end != std::string_view::npos) rest = rest.substr(0, end);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (auto colon = rest.find(':'); colon != std::string_view::npos) rest = rest.substr(0, colon);
  if (rest.find('.') == std::string_view::npos) return {};
  for (char c : rest)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return {};
  return lower_ascii(rest);
}

void add_url(std::string_view url, token_set& ts) {
  auto h = url_host(url);
  if (h.empty()) return;
  add_host_tokens("url:", h, ts);
  // A link to a bare address literal is a classic spam sign.
  if (std::all_of(h.begin(), h.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }))
    ts.add("url:ip");
}

// Words of free text. Punctuation is stripped at the word's edges only, so "v1agra" and
// "$100" keep their shape.
void add_words(std::string_view text, std::string_view prefix, token_set& ts) {
  const std::size_t max_word = ts.limits().max_word_bytes;
  std::size_t i = 0;
  while (i < text.size() && !ts.full()) {
    while (i < text.size() && is_space(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t b = i;
    while (i < text.size() && !is_space(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view w = text.substr(b, i - b);
    if (w.empty()) continue;
    if (w.size() > 7 && (util::istarts_with(w, "http://") || util::istarts_with(w, "https://") ||
                         util::istarts_with(w, "www."))) {
      add_url(w, ts);
      continue;
    }
    while (!w.empty() && edge_punct.find(w.front()) != std::string_view::npos) w.remove_prefix(1);
    while (!w.empty() && edge_punct.find(w.back()) != std::string_view::npos) w.remove_suffix(1);
    if (w.size() < 3) continue;
    if (auto at = w.find('@'); at != std::string_view::npos && at > 0 && w.find('.', at) != std::string_view::npos) {
      add_host_tokens(std::string(prefix) + "email:", w.substr(at + 1), ts);
      continue;
    }
    if (w.size() > max_word) {
      // Long runs (base64 left in the text, hashes, CJK without spaces) say little word by
      // word; their first octet and length class say something.
      std::string t(prefix);
      t += "skip:";
      t += lower_ascii(w.substr(0, 1));
      t += ' ';
      t += std::to_string(w.size() / 10 * 10);
      ts.add(std::move(t));
      continue;
    }
    std::string t(prefix);
    t += lower_ascii(utf8_prefix(w, max_word));
    ts.add(std::move(t));
  }
}

// The first case-insensitive occurrence of `needle` at or after `from`; size() when none.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from) {
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i)
    if (util::iequals(hay.substr(i, needle.size()), needle)) return i;
  return hay.size();
}

std::string decoded_header(const header_field& f) { return display_value(f); }

// Addresses of an address field, found by their '@' (lenient: mail in the wild is often
// malformed, and the tokens only need the pieces).
void add_address_field(std::string_view prefix, const header_field& f, token_set& ts) {
  std::string v = decoded_header(f);
  if (v.size() > 4096) v.resize(4096);
  std::size_t count = 0;
  std::string names;
  std::size_t i = 0;
  while (i < v.size()) {
    auto at = v.find('@', i);
    if (at == std::string::npos) break;
    std::size_t b = at, e = at + 1;
    auto addr_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._%+-'=!#$&*/?^`{|}~").find(c) != std::string_view::npos;
    };
    while (b > i && addr_char(v[b - 1])) --b;
    while (e < v.size() && addr_char(v[e])) ++e;
    if (b < at && e > at + 1) {
      std::string addr = lower_ascii(std::string_view(v).substr(b, e - b));
      ts.add(std::string(prefix) + "addr:" + addr);
      add_host_tokens(std::string(prefix) + "domain:", addr.substr(addr.find('@') + 1), ts);
      ++count;
    }
    names += std::string_view(v).substr(i, b - i);
    names += ' ';
    i = e;
  }
  names += std::string_view(v).substr(std::min(i, v.size()));
  add_words(names, std::string(prefix) + "name:", ts);
  if (count == 0) ts.add(std::string(prefix) + "none");
  else if (count > 1) ts.add(std::string(prefix) + "count:" + (count < 5 ? std::to_string(count) : count < 20 ? "5+" : "20+"));
}

// "from mail.example.org (mail.example.org [192.0.2.1]) by mx.home.test" -> the host names
// after "from" and "by".
void add_received(const header_field& f, token_set& ts) {
  std::string v = lower_ascii(unfold(f.value));
  if (v.size() > 2048) v.resize(2048);
  for (std::string_view kw : {"from ", "by "}) {
    auto p = v.find(kw);
    if (p == std::string::npos || (p > 0 && !is_space(static_cast<unsigned char>(v[p - 1])))) continue;
    std::string_view rest = std::string_view(v).substr(p + kw.size());
    auto e = rest.find_first_of(" \t();[]");
    auto host = rest.substr(0, e);
    if (host.find('.') != std::string_view::npos) add_host_tokens("received:", host, ts);
  }
  // The address in brackets: its /16 (spam sources cluster by network).
  auto lb = v.find('[');
  if (lb != std::string::npos) {
    auto rb = v.find(']', lb);
    if (rb != std::string::npos && rb - lb < 48) {
      std::string ip = v.substr(lb + 1, rb - lb - 1);
      auto d1 = ip.find('.');
      auto d2 = d1 == std::string::npos ? d1 : ip.find('.', d1 + 1);
      if (d2 != std::string::npos) ts.add("received:ip:" + ip.substr(0, d2));
    }
  }
}

void add_content_type(const body_part& p, token_set& ts) {
  ts.add("ct:" + p.type.type + "/" + p.type.subtype);
  auto cs = lower_ascii(p.type.params.get("charset"));
  if (!cs.empty() && cs.size() < 40) ts.add("charset:" + cs);
  if (p.encoding != "7bit") ts.add("cte:" + p.encoding);
}

void add_filename(const body_part& p, token_set& ts) {
  std::string name = p.disposition.params.get("filename");
  if (name.empty()) name = p.type.params.get("name");
  if (name.empty()) return;
  name = lower_ascii(std::string_view(name).substr(0, 128));
  ts.add("filename:" + name);
  auto dot = name.rfind('.');
  if (dot != std::string::npos && name.size() - dot <= 8) ts.add("fileext:" + name.substr(dot + 1));
}

struct walk_state {
  std::size_t text_left;
  std::size_t parts = 0;
  bool saw_plain = false, saw_html = false;
};

// The decoded text of a part, at most `budget` octets (only the raw octets that can decode to
// that much are decoded).
std::string part_text(std::string_view message, const body_part& p, std::size_t budget) {
  std::size_t raw_len = p.size();
  if (p.encoding == "base64") raw_len = std::min(raw_len, budget / 3 * 4 + budget / 38 * 2 + 8);
  else raw_len = std::min(raw_len, budget * 3 + 3);
  std::string_view raw = message.substr(p.body_begin, raw_len);
  std::string bytes = decode_transfer_encoding(raw, p.encoding);
  if (bytes.size() > budget) bytes.resize(budget);
  auto cs = p.type.params.get("charset");
  if (!cs.empty()) {
    if (auto u = to_utf8(cs, bytes)) return std::move(*u);
  }
  return bytes;
}

void walk(std::string_view message, const body_part& p, walk_state& w, token_set& ts, unsigned depth) {
  if (w.parts >= ts.limits().max_parts || ts.full() || depth > 20) return;
  ++w.parts;
  add_content_type(p, ts);
  if (!p.children.empty()) {
    for (const auto& c : p.children) walk(message, c, w, ts, depth + 1);
    return;
  }
  add_filename(p, ts);
  const bool attachment = p.disposition.type == "attachment";
  if (p.type.type != "text" || attachment || w.text_left == 0) return;
  const bool html = p.type.subtype == "html";
  if (!html && p.type.subtype != "plain" && p.type.subtype != "enriched") return;
  std::string text = part_text(message, p, w.text_left);
  w.text_left -= std::min(w.text_left, text.size());
  if (html) {
    w.saw_html = true;
    std::vector<std::string> extra;
    std::string plain = html_to_text(text, extra);
    for (auto& t : extra) ts.add(std::move(t));
    add_words(plain, "", ts);
  } else {
    w.saw_plain = true;
    add_words(text, "", ts);
  }
}


}  // namespace

std::uint64_t token_hash(std::string_view token) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : token) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string registered_domain(std::string_view host) {
  std::vector<std::string_view> labels = util::split(host, '.');
  if (labels.size() <= 2) return std::string(host);
  static constexpr std::array<std::string_view, 8> generic = {"co", "com", "net", "org", "ac", "gov", "edu", "ne"};
  std::size_t keep = 2;
  const auto& second = labels[labels.size() - 2];
  if (labels.back().size() == 2 && std::find(generic.begin(), generic.end(), second) != generic.end()) keep = 3;
  std::string out;
  for (std::size_t i = labels.size() - keep; i < labels.size(); ++i) {
    if (!out.empty()) out += '.';
    out += labels[i];
  }
  return out;
}

std::string html_to_text(std::string_view html, std::vector<std::string>& tokens) {
  static constexpr std::array<std::string_view, 16> interesting = {
      "a", "img", "font", "form", "input", "iframe", "script", "table", "map", "area",
      "object", "embed", "base", "meta", "center", "body"};
  std::string out;
  out.reserve(html.size() / 2);
  std::unordered_set<std::string> seen;
  auto tok = [&](std::string t) {
    if (tokens.size() < 512 && seen.insert(t).second) tokens.push_back(std::move(t));
  };
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '&') {
      auto semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view ent = html.substr(i + 1, semi - i - 1);
        std::string rep;
        if (ent == "nbsp") rep = " ";
        else if (ent == "amp") rep = "&";
        else if (ent == "lt") rep = "<";
        else if (ent == "gt") rep = ">";
        else if (ent == "quot") rep = "\"";
        else if (!ent.empty() && ent[0] == '#') {
          unsigned long cp = 0;
          bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
          for (char d : ent.substr(hex ? 2 : 1)) {
            int v = std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
                    : (hex && std::isxdigit(static_cast<unsigned char>(d))) ? (std::tolower(d) - 'a' + 10) : -1;
            if (v < 0 || cp > 0x10FFFF) { cp = 0xFFFD; break; }
            cp = cp * (hex ? 16 : 10) + v;
          }
          if (cp > 0x10FFFF || cp == 0) cp = 0xFFFD;
          if (cp < 0x80) rep = std::string(1, static_cast<char>(cp));
          else if (cp < 0x800) rep = {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
          else if (cp < 0x10000) rep = {char(0xE0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
          else rep = {char(0xF0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3F)), char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
          tok("html:numeric-entity");
        } else {
          rep = " ";
        }
        out += rep;
        i = semi + 1;
        continue;
      }
    }
    if (c != '<') {
      out += c;
      ++i;
      continue;
    }
    if (html.substr(i, 4) == "<!--") {
      auto e = html.find("-->", i + 4);
      tok("html:comment");
      i = e == std::string_view::npos ? html.size() : e + 3;
      continue;
    }
    // A tag: its name, then attributes up to '>'.
    std::size_t j = i + 1;
    bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    std::size_t nb = j;
    while (j < html.size() && (std::isalnum(static_cast<unsigned char>(html[j])))) ++j;
    std::string name = util::to_lower(html.substr(nb, std::min<std::size_t>(j - nb, 16)));
    auto gt = html.find('>', j);
    std::string_view attrs = html.substr(j, (gt == std::string_view::npos ? html.size() : gt) - j);
    i = gt == std::string_view::npos ? html.size() : gt + 1;
    if (name.empty()) continue;
    out += ' ';
    if (closing) continue;
    bool wanted = std::find(interesting.begin(), interesting.end(), name) != interesting.end();
    if (wanted) tok("html:" + name);
    std::string la = util::to_lower(attrs.substr(0, 2048));
    // Links and images: their hosts.
    for (std::string_view an : {"href=", "src=", "action=", "background="}) {
      auto p = la.find(an);
      if (p == std::string::npos) continue;
      std::string_view v = std::string_view(la).substr(p + an.size());
      if (!v.empty() && (v[0] == '"' || v[0] == '\'')) v.remove_prefix(1);
      if (util::istarts_with(v, "http") || util::istarts_with(v, "//")) {
        auto h = url_host(util::istarts_with(v, "//") ? v.substr(2) : v);
        if (!h.empty()) {
          tok("url:" + h);
          auto reg = registered_domain(h);
          if (reg != h) tok("url:" + reg);
        }
      } else if (util::istarts_with(v, "cid:")) {
        tok("html:" + name + ":cid");
      } else if (util::istarts_with(v, "mailto:")) {
        tok("html:mailto");
      }
    }
    if (la.find("display:none") != std::string::npos || la.find("display: none") != std::string::npos ||
        la.find("visibility:hidden") != std::string::npos)
      tok("html:hidden");
    if (la.find("font-size:0") != std::string::npos || la.find("font-size: 0") != std::string::npos) tok("html:tiny-text");
    if (name == "img" && (la.find("width=\"1\"") != std::string::npos || la.find("width=1") != std::string::npos ||
                          la.find("height=\"1\"") != std::string::npos || la.find("height=1 ") != std::string::npos))
      tok("html:img:pixel");
    if (wanted) {
      for (std::string_view an : {"color=", "bgcolor=", "size=", "face=", "style=", "align="}) {
        auto p = la.find(an);
        if (p == std::string::npos || (p > 0 && std::isalpha(static_cast<unsigned char>(la[p - 1])))) continue;
        tok("html:" + name + ":" + std::string(an.substr(0, an.size() - 1)));
      }
    }
    // Script and style content is not text.
    if (name == "script" || name == "style") {
      i = ifind(html, "</" + name, i);
    }
  }
  return out;
}

std::vector<std::string> tokenize(std::string_view message, const tokenize_limits& limits) {
  token_set ts(limits);
  std::string_view m = message.substr(0, std::min(message.size(), limits.max_message_bytes));
  structure_limits sl;
  sl.max_depth = 10;
  sl.max_parts = limits.max_parts * 4;
  sl.header.max_fields = 300;
  sl.header.max_section = 128 * 1024;
  message_structure ms = parse_message(m, sl);
  const header_section& h = ms.root.header;

  std::size_t received = 0;
  for (const auto& f : h.fields) {
    if (!f.valid) continue;
    std::string name = util::to_lower(f.name);
    if (name.size() <= 40) ts.add("hdr:" + name);
    if (name == "subject") {
      std::string s = decoded_header(f);
      if (s.size() > 1024) s.resize(1024);
      add_words(s, "subject:", ts);
      std::size_t caps = 0, letters = 0;
      for (unsigned char c : s)
        if (std::isalpha(c)) ++letters, caps += std::isupper(c) ? 1 : 0;
      if (letters >= 8 && caps * 10 >= letters * 7) ts.add("subject:shouting");
      if (s.find('!') != std::string::npos) ts.add("subject:bang");
    } else if (name == "from" || name == "to" || name == "cc" || name == "reply-to" || name == "sender") {
      add_address_field(name + ":", f, ts);
    } else if (name == "received") {
      if (received++ < 4) add_received(f, ts);
    } else if (name == "list-id") {
      std::string v = lower_ascii(unfold(f.value));
      auto lt = v.find('<');
      auto gt = v.find('>', lt == std::string::npos ? 0 : lt);
      if (lt != std::string::npos && gt != std::string::npos) v = v.substr(lt + 1, gt - lt - 1);
      if (v.size() < 200) ts.add("list:id:" + v);
    } else if (name == "x-mailer" || name == "user-agent") {
      std::string v = unfold(f.value);
      if (v.size() > 200) v.resize(200);
      add_words(v, "xmailer:", ts);
    } else if (name == "message-id") {
      std::string v = lower_ascii(unfold(f.value));
      auto at = v.rfind('@');
      if (at != std::string::npos) {
        auto e = v.find('>', at);
        add_host_tokens("msgid:", v.substr(at + 1, e == std::string::npos ? std::string::npos : e - at - 1), ts);
      } else {
        ts.add("msgid:no-domain");
      }
    }
  }
  if (!h.find("message-id")) ts.add("msgid:none");
  if (!h.find("date")) ts.add("date:none");

  walk_state w{limits.max_text_bytes};
  walk(m, ms.root, w, ts, 0);
  if (w.saw_html && !w.saw_plain) ts.add("meta:html-only");
  if (ms.part_count > 1) ts.add("meta:parts:" + std::to_string(std::min<std::size_t>(ms.part_count, 10)));
  if (ms.has(problem_missing_close) || ms.has(problem_no_parts)) ts.add("meta:broken-mime");
  if (message.size() > limits.max_message_bytes) ts.add("meta:huge");
  return ts.take();
}

}  // namespace hearth::mail::filter::bayes
