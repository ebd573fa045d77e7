#include "mail/smtp/proto/command.hpp"

#include "core/util/strings.hpp"

#include <charconv>

namespace hearth::mail::smtp {
namespace {

using util::iequals;
using util::istarts_with;
using util::split;
using util::to_upper;
using util::trim;

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
// RFC 5322 atext, plus UTF-8 octets (RFC 6531 §3.3 extends atext with UTF8-non-ascii).
bool is_atext(unsigned char c) {
  if (is_alpha(c) || is_digit(c) || c >= 0x80) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

error syntax(std::string code, std::string text) { return fail(std::move(code), std::move(text)); }

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
// (UTF-8 U-labels allowed, RFC 6531 §3.3). Returns the length consumed, 0 on no match.
std::size_t scan_domain(std::string_view s) {
  std::size_t i = 0;
  for (;;) {
    const std::size_t start = i;
    while (i < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (is_alpha(c) || is_digit(c) || c >= 0x80 || (c == '-' && i > start)) {
        ++i;
      } else {
        break;
      }
    }
    if (i == start || s[i - 1] == '-') return 0;
    if (i < s.size() && s[i] == '.' && i + 1 < s.size()) {
      ++i;
      continue;
    }
    return i;
  }
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
//                         General-address-literal ) "]"
// Checked loosely: printable ASCII without brackets or backslash (dcontent, %d33-90 / %d94-126).
std::size_t scan_address_literal(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  std::size_t i = 1;
  while (i < s.size() && s[i] != ']') {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 33 || c > 126 || c == '[' || c == '\\') return 0;
    ++i;
  }
  if (i >= s.size() || i == 1) return 0;
  return i + 1;
}

// Domain or address literal; returns length consumed or 0.
std::size_t scan_host(std::string_view s) {
  if (!s.empty() && s[0] == '[') return scan_address_literal(s);
  return scan_domain(s);
}

bool needs_quotes(std::string_view local) {
  if (local.empty() || local.front() == '.' || local.back() == '.') return true;
  for (std::size_t i = 0; i < local.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(local[i]);
    if (c == '.') {
      if (i > 0 && local[i - 1] == '.') return true;
    } else if (!is_atext(c)) {
      return true;
    }
  }
  return false;
}

// esmtp-value = 1*(%d33-60 / %d62-126), extended with UTF-8 by RFC 6531 §3.3.
bool valid_esmtp_value(std::string_view v) {
  if (v.empty()) return false;
  for (unsigned char c : v) {
    if (c < 33 || c == '=' || c == 127) return false;
  }
  return true;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (!is_digit(static_cast<unsigned char>(c))) return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Splits "Mail-parameters = esmtp-param *(SP esmtp-param)" and hands each keyword/value
// pair to `f`, which returns an error or nothing.
template <class F>
result<void> for_each_param(std::string_view rest, F&& f) {
  int count = 0;
  for (std::string_view p : split(rest, ' ')) {
    if (p.empty()) continue;  // tolerate repeated spaces
    if (++count > 16) return syntax("555 5.5.4", "Too many parameters");
    const auto eq = p.find('=');
    const std::string_view key = p.substr(0, eq);
    if (key.empty() || (!is_alpha(static_cast<unsigned char>(key[0])) && !is_digit(static_cast<unsigned char>(key[0]))))
      return syntax("555 5.5.4", "Bad parameter syntax");
    for (char c : key) {
      const auto u = static_cast<unsigned char>(c);
      if (!is_alpha(u) && !is_digit(u) && c != '-') return syntax("555 5.5.4", "Bad parameter syntax");
    }
    std::optional<std::string_view> value;
    if (eq != std::string_view::npos) {
      value = p.substr(eq + 1);
      if (!valid_esmtp_value(*value)) return syntax("555 5.5.4", "Bad parameter value");
    }
    auto r = f(to_upper(key), value);
    if (!r) return r;
  }
  return {};
}

result<void> parse_mail_params(std::string_view rest, mail_params& m) {
  return for_each_param(rest, [&](const std::string& k, std::optional<std::string_view> v) -> result<void> {
    if (k == "SIZE") {  // RFC 1870 §6: size-value = 1*20DIGIT
      std::uint64_t n = 0;
      if (!v || !parse_u64(*v, n)) return syntax("501 5.5.4", "Bad SIZE value");
      m.size = n;
    } else if (k == "BODY") {
      const std::string b = v ? to_upper(*v) : std::string();
      if (b == "7BIT") m.body = body_type::seven_bit;
      else if (b == "8BITMIME") m.body = body_type::eight_bit_mime;
      else if (b == "BINARYMIME") m.body = body_type::binary_mime;
      else return syntax("501 5.5.4", "Bad BODY value");
    } else if (k == "SMTPUTF8") {  // RFC 6531 §3.4: no value
      if (v) return syntax("501 5.5.4", "SMTPUTF8 takes no value");
      m.smtputf8 = true;
    } else if (k == "RET") {
      const std::string r = v ? to_upper(*v) : std::string();
      if (r != "FULL" && r != "HDRS") return syntax("501 5.5.4", "Bad RET value");
      m.ret = r;
    } else if (k == "ENVID") {  // RFC 3461 §4.4: at most 100 characters
      if (!v || v->size() > 100) return syntax("501 5.5.4", "Bad ENVID value");
      m.envid = std::string(*v);
    } else if (k == "AUTH") {
      if (!v || v->size() > 500) return syntax("501 5.5.4", "Bad AUTH value");
      m.auth = std::string(*v);
    } else if (k == "REQUIRETLS") {  // RFC 8689 §4.1: no value
      if (v) return syntax("501 5.5.4", "REQUIRETLS takes no value");
      m.requiretls = true;
    } else {
      return syntax("555 5.5.4", "Unsupported MAIL parameter " + k);
    }
    return {};
  });
}

result<void> parse_rcpt_params(std::string_view rest, rcpt_params& r) {
  return for_each_param(rest, [&](const std::string& k, std::optional<std::string_view> v) -> result<void> {
    if (k == "NOTIFY") {  // RFC 3461 §4.1
      if (!v) return syntax("501 5.5.4", "Bad NOTIFY value");
      const std::string n = to_upper(*v);
      if (n != "NEVER") {
        for (std::string_view item : split(n, ',')) {
          if (item != "SUCCESS" && item != "FAILURE" && item != "DELAY")
            return syntax("501 5.5.4", "Bad NOTIFY value");
        }
      }
      r.notify = n;
    } else if (k == "ORCPT") {  // RFC 3461 §4.2: addr-type ";" xtext, at most 500 characters
      if (!v || v->size() > 500 || v->find(';') == std::string_view::npos)
        return syntax("501 5.5.4", "Bad ORCPT value");
      r.orcpt = std::string(*v);
    } else {
      return syntax("555 5.5.4", "Unsupported RCPT parameter " + k);
    }
    return {};
  });
}

// Reads "FROM:" / "TO:" then the path (an optional space after the colon is tolerated, as
// Postfix does: many clients send "MAIL FROM: <a@b>").
result<command> parse_mail_rcpt(std::string_view args, verb kind) {
  const std::string_view tag = kind == verb::mail ? "FROM:" : "TO:";
  if (!istarts_with(args, tag)) return syntax("501 5.5.4", "Syntax: " + std::string(kind == verb::mail ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
  args.remove_prefix(tag.size());
  if (!args.empty() && args[0] == ' ') args.remove_prefix(1);
  command c;
  c.kind = kind;
  // RFC 5321 §4.5.1: RCPT TO:<Postmaster> without a domain must be accepted.
  if (kind == verb::rcpt && args.size() >= 12 && iequals(args.substr(0, 12), "<postmaster>")) {
    c.mailbox.local = "Postmaster";
    args.remove_prefix(12);
  } else {
    auto p = parse_path(args, kind == verb::mail);
    if (!p) return p.error();
    c.mailbox = std::move(*p);
  }
  if (!args.empty() && args[0] != ' ') return syntax("501 5.5.2", "Bad path syntax");
  auto r = kind == verb::mail ? parse_mail_params(args, c.mail) : parse_rcpt_params(args, c.rcpt);
  if (!r) return r.error();
  return c;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // the n continuation octets are i+1 .. i+n
    for (std::size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

std::string path::address() const {
  if (is_null) return {};
  std::string out;
  if (needs_quotes(local)) {
    out += '"';
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else {
    out = local;
  }
  if (!domain.empty()) {
    out += '@';
    out += domain;
  }
  return out;
}

// Reverse-path   = Path / "<>"
// Forward-path   = Path
// Path           = "<" [ A-d-l ":" ] Mailbox ">"
// A-d-l          = At-domain *( "," At-domain )   ; source route, ignored (RFC 5321 §C)
// At-domain      = "@" Domain
// Mailbox        = Local-part "@" ( Domain / address-literal )
// Local-part     = Dot-string / Quoted-string
// Dot-string     = Atom *("."  Atom)
// Quoted-string  = DQUOTE *QcontentSMTP DQUOTE
// QcontentSMTP   = qtextSMTP / quoted-pairSMTP
// quoted-pairSMTP = %d92 %d32-126
// qtextSMTP      = %d32-33 / %d35-91 / %d93-126     ; + UTF-8 under RFC 6531
result<path> parse_path(std::string_view& s, bool allow_null) {
  if (s.empty() || s[0] != '<') return syntax("501 5.5.2", "Bad path syntax: missing '<'");
  std::size_t i = 1;
  path p;
  if (allow_null && s.size() >= 2 && s[1] == '>') {
    p.is_null = true;
    s.remove_prefix(2);
    return p;
  }
  // Source route: "@a,@b:" — skipped.
  if (i < s.size() && s[i] == '@') {
    for (int hops = 0; hops < 32; ++hops) {
      ++i;  // '@'
      const std::size_t n = scan_host(s.substr(i));
      if (n == 0) return syntax("501 5.5.2", "Bad source route");
      i += n;
      if (i < s.size() && s[i] == ',' && i + 1 < s.size() && s[i + 1] == '@') {
        ++i;
        continue;
      }
      break;
    }
    if (i >= s.size() || s[i] != ':') return syntax("501 5.5.2", "Bad source route");
    ++i;
  }
  // Local part.
  if (i < s.size() && s[i] == '"') {
    ++i;
    bool closed = false;
    while (i < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') { closed = true; ++i; break; }
      if (c == '\\') {
        if (i + 1 >= s.size()) break;
        const unsigned char d = static_cast<unsigned char>(s[i + 1]);
        if (d < 32 || d > 126) return syntax("501 5.5.2", "Bad quoted local part");
        p.local += static_cast<char>(d);
        i += 2;
        continue;
      }
      if (c < 32 || c == 127) return syntax("501 5.5.2", "Bad quoted local part");
      p.local += static_cast<char>(c);
      ++i;
    }
    if (!closed) return syntax("501 5.5.2", "Unterminated quoted local part");
  } else {
    const std::size_t start = i;
    while (i < s.size() && (is_atext(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    p.local = std::string(s.substr(start, i - start));
    if (p.local.empty() || p.local.front() == '.' || p.local.back() == '.' ||
        p.local.find("..") != std::string::npos)
      return syntax("501 5.5.2", "Bad local part");
  }
  if (i >= s.size() || s[i] != '@') return syntax("501 5.5.2", "Bad path syntax: missing '@domain'");
  ++i;
  const std::size_t n = scan_host(s.substr(i));
  if (n == 0) return syntax("501 5.5.2", "Bad domain");
  p.domain = std::string(s.substr(i, n));
  i += n;
  if (i >= s.size() || s[i] != '>') return syntax("501 5.5.2", "Bad path syntax: missing '>'");
  ++i;
  if (p.local.size() > max_local_part) return syntax("553 5.1.3", "Local part too long");
  if (p.domain.size() > max_domain) return syntax("553 5.1.3", "Domain too long");
  // RFC 5321 §4.5.3.1.3: 256 octets including the angle brackets.
  if (p.local.size() + p.domain.size() + 3 > max_path)
    return syntax("553 5.1.3", "Path too long");
  for (unsigned char c : p.local + p.domain) {
    if (c >= 0x80) { p.utf8 = true; break; }
  }
  if (p.utf8 && !valid_utf8(p.local + p.domain)) return syntax("553 5.6.7", "Invalid UTF-8 in address");
  s.remove_prefix(i);
  return p;
}

// command = verb [SP arguments]; verbs are case-insensitive (RFC 5321 §2.4).
result<command> parse_command(std::string_view line) {
  const auto sp = line.find(' ');
  const std::string name = to_upper(line.substr(0, sp == std::string_view::npos ? line.size() : sp));
  const std::string_view args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  command c;
  if (name == "EHLO" || name == "HELO") {
    // ehlo = "EHLO" SP ( Domain / address-literal ) CRLF   (RFC 5321 §4.1.1.1)
    c.kind = name == "EHLO" ? verb::ehlo : verb::helo;
    const std::string_view d = trim(args);
    const std::size_t n = scan_host(d);
    if (d.empty() || n != d.size() || d.size() > max_domain)
      return syntax("501 5.5.4", "Syntax: " + name + " hostname");
    c.domain = std::string(d);
    return c;
  }
  if (name == "MAIL") return parse_mail_rcpt(args, verb::mail);
  if (name == "RCPT") return parse_mail_rcpt(args, verb::rcpt);
  if (name == "DATA" || name == "RSET" || name == "QUIT" || name == "STARTTLS") {
    // These take no argument (RFC 5321 §4.1.1.4, .5, .10; RFC 3207 §4).
    if (!trim(args).empty()) return syntax("501 5.5.4", name + " takes no arguments");
    c.kind = name == "DATA" ? verb::data : name == "RSET" ? verb::rset : name == "QUIT" ? verb::quit : verb::starttls;
    return c;
  }
  if (name == "NOOP" || name == "HELP" || name == "VRFY") {
    c.kind = name == "NOOP" ? verb::noop : name == "HELP" ? verb::help : verb::vrfy;
    if (c.kind == verb::vrfy && trim(args).empty()) return syntax("501 5.5.4", "Syntax: VRFY address");
    c.argument = std::string(args.substr(0, 512));
    return c;
  }
  if (name == "BDAT") {
    // bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF; end-marker = "LAST" (RFC 3030 §2)
    c.kind = verb::bdat;
    const auto parts = split(args, ' ');
    if (parts.empty() || parts.size() > 2 || !parse_u64(parts[0], c.chunk_size))
      return syntax("501 5.5.4", "Syntax: BDAT size [LAST]");
    if (parts.size() == 2) {
      if (!iequals(parts[1], "LAST")) return syntax("501 5.5.4", "Syntax: BDAT size [LAST]");
      c.last = true;
    }
    return c;
  }
  if (name == "AUTH") {
    // auth-command = "AUTH" SP sasl-mech [SP initial-response]   (RFC 4954 §4)
    c.kind = verb::auth;
    const auto parts = split(args, ' ');
    if (parts.empty() || parts[0].empty() || parts.size() > 2 || parts[0].size() > 20)
      return syntax("501 5.5.4", "Syntax: AUTH mechanism [initial-response]");
    for (char ch : parts[0]) {
      const auto u = static_cast<unsigned char>(ch);
      if (!is_alpha(u) && !is_digit(u) && ch != '-' && ch != '_')
        return syntax("501 5.5.4", "Bad mechanism name");
    }
    c.mechanism = to_upper(parts[0]);
    if (parts.size() == 2) {
      if (parts[1].empty()) return syntax("501 5.5.4", "Empty initial response");
      c.initial_response = std::string(parts[1]);
    }
    return c;
  }
  return syntax("500 5.5.1", "Command unrecognized");
}

}  // namespace hearth::mail::smtp
