#include "mail/sieve/strings.hpp"

#include <cctype>
#include <cstdint>

#include "core/util/utf8.hpp"

namespace hearth::mail::sieve::detail {
namespace {
unsigned char uc(char c) { return static_cast<unsigned char>(c); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(uc(c)));
  return r;
}
std::string upper(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::toupper(uc(c)));
  return r;
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto low = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (std::size_t i = 0; i < a.size(); ++i)
    if (low(a[i]) != low(b[i])) return false;
  return true;
}

bool decode_encoded_characters(std::string& s, std::string& error) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 2, "${") != 0) {
      out += s[i++];
      continue;
    }
    auto close = s.find('}', i + 2);
    std::string_view inner = close == std::string::npos ? std::string_view{} : std::string_view(s).substr(i + 2, close - i - 2);
    auto colon = inner.find(':');
    std::string kind = colon == std::string_view::npos ? std::string() : lower(inner.substr(0, colon));
    if (kind != "hex" && kind != "unicode") {
      out += s[i++];
      continue;
    }
    // §2.4.2.4: encoded-arb-octets / encoded-unicode-chars, blank-separated hex groups.
    std::string_view body = inner.substr(colon + 1);
    std::string decoded;
    bool ok = true;
    std::size_t j = 0;
    while (j < body.size()) {
      if (body[j] == ' ' || body[j] == '\t' || body[j] == '\r' || body[j] == '\n') { ++j; continue; }
      std::size_t k = j;
      std::uint64_t v = 0;
      while (k < body.size() && hexval(body[k]) >= 0 && k - j < 9) v = v * 16 + hexval(body[k++]);
      if (k == j || (k < body.size() && body[k] != ' ' && body[k] != '\t' && body[k] != '\r' && body[k] != '\n')) {
        ok = false;
        break;
      }
      if (kind == "hex") {
        if (k - j > 2) { ok = false; break; }
        decoded += static_cast<char>(v);
      } else {
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
          error = "invalid unicode character in encoded string";
          return false;
        }
        util::append_utf8(decoded, static_cast<char32_t>(v));
      }
      j = k;
    }
    if (!ok) {
      out += s[i++];
      continue;
    }
    out += decoded;
    i = close + 1;
  }
  s = std::move(out);
  return true;
}

bool valid_variable_name(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  if (!(std::isalpha(uc(n[0])) || n[0] == '_')) return false;
  for (char c : n)
    if (!(std::isalnum(uc(c)) || c == '_')) return false;
  return true;
}

bool valid_header_name(std::string_view n) {
  if (n.empty() || n.size() > 998) return false;
  for (char c : n)
    if (uc(c) < 33 || uc(c) > 126 || c == ':') return false;
  return true;
}

bool valid_address(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) return false;
  for (char c : a)
    if (uc(c) <= 32 || c == '<' || c == '>' || c == ',' || c == '(' || c == ')') return false;
  return true;
}

bool valid_address_field(std::string_view s) {
  auto lt = s.find('<');
  if (lt != std::string_view::npos) {
    auto gt = s.find('>', lt);
    if (gt == std::string_view::npos) return false;
    return valid_address(s.substr(lt + 1, gt - lt - 1));
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return valid_address(s);
}

bool valid_notify_uri(std::string_view uri, std::string& why) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    why = "invalid notification URI '" + std::string(uri) + "'";
    return false;
  }
  std::string scheme = lower(uri.substr(0, colon));
  std::string_view rest = uri.substr(colon + 1);
  if (scheme == "mailto") {
    std::string_view to = rest.substr(0, rest.find('?'));
    if (to.empty() && rest.find("to=") == std::string_view::npos) {
      why = "mailto: URI without a recipient";
      return false;
    }
    return true;
  }
  if (scheme == "xmpp") {
    std::string_view jid = rest.substr(0, rest.find('?'));
    if (jid.size() >= 2 && jid.substr(0, 2) == "//") jid.remove_prefix(2);
    if (jid.empty() || jid.find('@') == 0) {
      why = "xmpp: URI without a JID";
      return false;
    }
    return true;
  }
  why = "unsupported notification method '" + scheme + "'";
  return false;
}

bool address_header_allowed(std::string_view name) {
  for (std::string_view h : {"subject", "comments", "keywords", "date", "resent-date", "message-id", "resent-message-id",
                             "in-reply-to", "references", "received", "mime-version", "content-type",
                             "content-transfer-encoding", "content-disposition", "content-id", "content-description"})
    if (iequals(name, h)) return false;
  return true;
}

std::string bare_address(std::string_view s) {
  auto lt = s.find('<');
  if (lt != std::string_view::npos) {
    auto gt = s.find('>', lt);
    if (gt != std::string_view::npos) return std::string(s.substr(lt + 1, gt - lt - 1));
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

bool valid_date_part(std::string_view p) {
  for (std::string_view k : {"year", "month", "day", "date", "julian", "hour", "minute", "second", "time",
                             "iso8601", "std11", "zone", "weekday"})
    if (p == k) return true;
  return false;
}

std::optional<int> parse_zone(std::string_view z) {
  if (z.size() != 5 || (z[0] != '+' && z[0] != '-')) return std::nullopt;
  for (std::size_t i = 1; i < 5; ++i)
    if (!std::isdigit(uc(z[i]))) return std::nullopt;
  int h = (z[1] - '0') * 10 + (z[2] - '0');
  int m = (z[3] - '0') * 10 + (z[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  int v = h * 60 + m;
  return z[0] == '-' ? -v : v;
}

}  // namespace hearth::mail::sieve::detail
