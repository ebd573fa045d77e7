// SPF record syntax (RFC 7208 §4.6, §12) and macro expansion (§7).
#include <algorithm>
#include <charconv>

#include "core/util/strings.hpp"
#include "mail/mailauth/spf.hpp"

namespace hearth::mail::mailauth {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<int> small_int(std::string_view s, int max) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

// Checks macro-string syntax by expanding against a dummy context.
bool valid_macro_string(std::string_view s, bool exp) {
  spf_macro_context c;
  c.sender = "a@b.c";
  c.domain = "b.c";
  c.ip = boost::asio::ip::make_address("192.0.2.1");
  return static_cast<bool>(expand_macros(s, c, exp));
}

// Splits "/n" and "//m" off the end of an a/mx argument (dual-cidr-length, §5.6).
bool split_cidr(std::string& arg, spf_term& t) {
  auto dd = arg.rfind("//");
  if (dd != std::string::npos && arg.find('/', dd + 2) == std::string::npos) {
    auto v = small_int(std::string_view(arg).substr(dd + 2), 128);
    if (!v) return false;
    t.cidr6 = *v;
    arg.resize(dd);
  }
  auto d = arg.rfind('/');
  if (d != std::string::npos) {
    std::string_view tail = std::string_view(arg).substr(d + 1);
    bool digits = !tail.empty();
    for (char c : tail) digits &= is_digit(c);
    if (digits) {
      auto v = small_int(tail, 32);
      if (!v) return false;
      t.cidr4 = *v;
      arg.resize(d);
    }
  }
  return true;
}

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::string ip_dotted(const boost::asio::ip::address& ip) {
  if (ip.is_v4()) return ip.to_string();
  auto b = ip.to_v6().to_bytes();
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto byte : b) {
    if (!out.empty()) out += '.';
    out += hex[byte >> 4];
    out += '.';
    out += hex[byte & 15];
  }
  return out;
}

}  // namespace

const char* spf_result_name(spf_result r) {
  switch (r) {
    case spf_result::none: return "none";
    case spf_result::neutral: return "neutral";
    case spf_result::pass: return "pass";
    case spf_result::fail: return "fail";
    case spf_result::softfail: return "softfail";
    case spf_result::temperror: return "temperror";
    case spf_result::permerror: return "permerror";
  }
  return "permerror";
}

bool is_spf_record(std::string_view txt) {
  return util::istarts_with(txt, "v=spf1") && (txt.size() == 6 || txt[6] == ' ');
}

result<spf_record> parse_spf(std::string_view text) {
  if (text.size() > max_spf_record) return fail("spf.syntax", "record too long");
  if (!is_spf_record(text)) return fail("spf.syntax", "not an SPF record");
  spf_record rec;
  for (auto tok : util::split(text.substr(6), ' ')) {
    if (tok.empty()) continue;
    std::string term(tok);
    // Modifier: name "=" macro-string, name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
    auto eq = term.find('=');
    auto colon = term.find(':');
    auto slash = term.find('/');
    bool name_ok = eq != std::string::npos && eq > 0 && is_alpha(term[0]) &&
                   (colon == std::string::npos || colon > eq) && (slash == std::string::npos || slash > eq);
    for (std::size_t i = 0; name_ok && i < eq; ++i)
      name_ok = is_alpha(term[i]) || is_digit(term[i]) || term[i] == '-' || term[i] == '_' || term[i] == '.';
    if (name_ok) {
      std::string name = util::to_lower(term.substr(0, eq));
      std::string value = term.substr(eq + 1);
      if (name == "redirect" || name == "exp") {
        auto& slot = name == "redirect" ? rec.redirect : rec.exp;
        if (slot) return fail("spf.syntax", name + "= appears twice");  // §6
        if (value.empty() || !valid_macro_string(value, false)) return fail("spf.syntax", "bad " + name + "=");
        slot = value;
      } else if (!valid_macro_string(value, false)) {
        return fail("spf.syntax", "bad modifier " + name);
      }
      continue;
    }
    spf_term t;
    if (term[0] == '+' || term[0] == '-' || term[0] == '~' || term[0] == '?') {
      t.qualifier = term[0];
      term.erase(0, 1);
    }
    std::size_t name_end = term.find_first_of(":/");
    std::string mech = util::to_lower(term.substr(0, name_end));
    std::string arg = name_end == std::string::npos ? "" : term.substr(name_end);
    auto need_domain = [&](bool required) -> bool {
      if (arg.empty()) return !required;
      if (arg[0] != ':') return false;
      t.domain_spec = arg.substr(1);
      return !t.domain_spec.empty() && valid_macro_string(t.domain_spec, false);
    };
    if (mech == "all") {
      t.mech = spf_mech::all;
      if (!arg.empty()) return fail("spf.syntax", "all takes no argument");
    } else if (mech == "include" || mech == "exists") {
      t.mech = mech == "include" ? spf_mech::include : spf_mech::exists;
      if (!need_domain(true)) return fail("spf.syntax", "bad " + mech);
    } else if (mech == "a" || mech == "mx") {
      t.mech = mech == "a" ? spf_mech::a : spf_mech::mx;
      if (!split_cidr(arg, t)) return fail("spf.syntax", "bad CIDR length in " + mech);
      if (!need_domain(false)) return fail("spf.syntax", "bad " + mech);
    } else if (mech == "ptr") {
      t.mech = spf_mech::ptr;
      if (!need_domain(false)) return fail("spf.syntax", "bad ptr");
    } else if (mech == "ip4" || mech == "ip6") {
      t.mech = mech == "ip4" ? spf_mech::ip4 : spf_mech::ip6;
      if (arg.size() < 2 || arg[0] != ':') return fail("spf.syntax", "bad " + mech);
      std::string net = arg.substr(1);
      const int max = mech == "ip4" ? 32 : 128;
      auto s = net.find('/');
      int len = max;
      if (s != std::string::npos) {
        auto v = small_int(std::string_view(net).substr(s + 1), max);
        if (!v) return fail("spf.syntax", "bad CIDR length in " + mech);
        len = *v;
        net.resize(s);
      }
      boost::system::error_code ec;
      t.net = boost::asio::ip::make_address(net, ec);
      if (ec || t.net.is_v4() != (mech == "ip4")) return fail("spf.syntax", "bad address in " + mech);
      (mech == "ip4" ? t.cidr4 : t.cidr6) = len;
    } else {
      return fail("spf.syntax", "unknown mechanism " + mech);
    }
    rec.terms.push_back(std::move(t));
  }
  return rec;
}

result<std::string> expand_macros(std::string_view spec, const spf_macro_context& ctx, bool exp) {
  std::string out;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    char c = spec[i];
    if (c != '%') {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x21 || u > 0x7e) && !(exp && c == ' ')) return fail("spf.syntax", "bad character in macro-string");
      out += c;
      continue;
    }
    if (++i >= spec.size()) return fail("spf.syntax", "lone %");
    c = spec[i];
    if (c == '%') { out += '%'; continue; }
    if (c == '_') { out += ' '; continue; }
    if (c == '-') { out += "%20"; continue; }
    if (c != '{') return fail("spf.syntax", "bad macro");
    auto close = spec.find('}', i);
    if (close == std::string_view::npos || close == i + 1) return fail("spf.syntax", "unclosed macro");
    std::string_view body = spec.substr(i + 1, close - i - 1);
    i = close;
    char letter = body[0];
    const bool upper = letter >= 'A' && letter <= 'Z';
    letter = util::ascii_lower(letter);
    std::string value;
    auto at = ctx.sender.rfind('@');
    switch (letter) {
      case 's': value = ctx.sender; break;
      case 'l': value = at == std::string::npos || at == 0 ? "postmaster" : ctx.sender.substr(0, at); break;
      case 'o': value = at == std::string::npos ? ctx.sender : ctx.sender.substr(at + 1); break;
      case 'd': value = ctx.domain; break;
      case 'i': value = ip_dotted(ctx.ip); break;
      case 'p': value = ctx.validated.empty() ? "unknown" : ctx.validated; break;
      case 'v': value = ctx.ip.is_v4() ? "in-addr" : "ip6"; break;
      case 'h': value = ctx.helo; break;
      case 'c':
      case 'r':
      case 't':
        if (!exp) return fail("spf.syntax", "macro only allowed in exp");
        if (letter == 'c') value = ctx.ip.to_string();
        else if (letter == 'r') value = ctx.receiver.empty() ? "unknown" : ctx.receiver;
        else value = std::to_string(ctx.now);
        break;
      default: return fail("spf.syntax", "unknown macro letter");
    }
    // transformers = *DIGIT [ "r" ], then delimiters.
    std::size_t p = 1;
    std::size_t digits_end = p;
    while (digits_end < body.size() && is_digit(body[digits_end])) ++digits_end;
    std::optional<int> keep;
    if (digits_end > p) {
      keep = small_int(body.substr(p, digits_end - p), 999);
      if (!keep || *keep == 0) return fail("spf.syntax", "bad macro digits");
    }
    p = digits_end;
    bool reverse = false;
    if (p < body.size() && (body[p] == 'r' || body[p] == 'R')) {
      reverse = true;
      ++p;
    }
    std::string delims;
    for (; p < body.size(); ++p) {
      if (std::string_view(".-+,/_=").find(body[p]) == std::string_view::npos) return fail("spf.syntax", "bad delimiter");
      delims += body[p];
    }
    if (delims.empty()) delims = ".";
    if (keep || reverse || delims != ".") {
      std::vector<std::string> parts;
      std::string cur;
      for (char ch : value) {
        if (delims.find(ch) != std::string::npos) {
          parts.push_back(cur);
          cur.clear();
        } else {
          cur += ch;
        }
      }
      parts.push_back(cur);
      if (reverse) std::reverse(parts.begin(), parts.end());
      if (keep && static_cast<std::size_t>(*keep) < parts.size())
        parts.erase(parts.begin(), parts.end() - *keep);
      value.clear();
      for (std::size_t k = 0; k < parts.size(); ++k) {
        if (k) value += '.';
        value += parts[k];
      }
    }
    out += upper ? url_escape(value) : value;
  }
  if (!exp) {
    // §7.3: a domain-spec longer than 253 octets loses labels from the left.
    while (out.size() > 253) {
      auto dot = out.find('.');
      if (dot == std::string::npos) return fail("spf.syntax", "expanded name too long");
      out.erase(0, dot + 1);
    }
  }
  return out;
}

}  // namespace hearth::mail::mailauth
