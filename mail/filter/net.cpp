// Address helpers (see net.hpp).
#include "mail/filter/net.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/util/strings.hpp"

namespace hearth::mail::filter {
namespace {

// Parses an IPv4 or IPv6 literal; v4-mapped v6 becomes v4. Returns false when neither.
bool parse_ip(std::string_view text, bool& v6, unsigned char out[16]) {
  std::string s(text);
  if (s.size() > 45) return false;
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    v6 = false;
    std::memcpy(out, &a4, 4);
    return true;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(&a6, mapped, 12) == 0) {
      v6 = false;
      std::memcpy(out, reinterpret_cast<const unsigned char*>(&a6) + 12, 4);
      return true;
    }
    v6 = true;
    std::memcpy(out, &a6, 16);
    return true;
  }
  return false;
}

bool is_ldh_label(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  for (char c : l)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (auto l : util::split(s, '.'))
    if (!is_ldh_label(l)) return false;
  return true;
}

}  // namespace

std::string network_key(std::string_view ip) {
  bool v6 = false;
  unsigned char b[16];
  if (!parse_ip(ip, v6, b)) return std::string(ip);
  char buf[INET6_ADDRSTRLEN];
  if (!v6) {
    b[3] = 0;
    inet_ntop(AF_INET, b, buf, sizeof buf);
    return std::string(buf) + "/24";
  }
  std::memset(b + 8, 0, 8);
  inet_ntop(AF_INET6, b, buf, sizeof buf);
  return std::string(buf) + "/64";
}

std::optional<address_list> address_list::parse(const std::vector<std::string>& entries, std::string* bad) {
  address_list out;
  for (const auto& e0 : entries) {
    std::string e = util::to_lower(util::trim(e0));
    if (!e.empty() && e.back() == '.') e.pop_back();
    net n;
    auto slash = e.find('/');
    if (parse_ip(std::string_view(e).substr(0, slash), n.v6, n.bytes)) {
      unsigned max = n.v6 ? 128 : 32;
      n.prefix = max;
      if (slash != std::string::npos) {
        std::string_view p = std::string_view(e).substr(slash + 1);
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || v > max) {
          if (bad) *bad = e0;
          return std::nullopt;
        }
        // A v4-mapped v6 network ("::ffff:192.0.2.0/120") was turned into v4.
        if (!n.v6 && e.find(':') != std::string::npos) v = v >= 96 ? v - 96 : 0;
        n.prefix = v;
      }
      out.nets_.push_back(n);
    } else if (slash == std::string::npos && is_domain(e)) {
      out.domains_.push_back(e);
    } else {
      if (bad) *bad = e0;
      return std::nullopt;
    }
  }
  return out;
}

bool address_list::contains_ip(std::string_view ip) const {
  bool v6 = false;
  unsigned char b[16];
  if (!parse_ip(ip, v6, b)) return false;
  for (const auto& n : nets_) {
    if (n.v6 != v6) continue;
    unsigned full = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(n.bytes, b, full) != 0) continue;
    if (rest) {
      unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((n.bytes[full] & mask) != (b[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

bool address_list::contains_domain(std::string_view domain) const {
  if (domain.empty()) return false;
  for (const auto& d : domains_) {
    if (domain == d) return true;
    if (domain.size() > d.size() && domain.substr(domain.size() - d.size()) == d &&
        domain[domain.size() - d.size() - 1] == '.')
      return true;
  }
  return false;
}

bool helo_is_fqdn(std::string_view helo) {
  if (helo.size() > 2 && helo.front() == '[' && helo.back() == ']') return true;  // address literal
  if (!helo.empty() && helo.back() == '.') helo.remove_suffix(1);
  if (helo.find('.') == std::string_view::npos || !is_domain(helo)) return false;
  bool v6 = false;
  unsigned char b[16];
  if (parse_ip(helo, v6, b)) return false;  // a bare address is not a name
  // The top-level label of a FQDN is not all digits.
  auto tld = helo.substr(helo.rfind('.') + 1);
  for (char c : tld)
    if (!(c >= '0' && c <= '9')) return true;
  return false;
}

std::string pool_of(std::string_view host) {
  std::string h = util::to_lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  auto dot = h.find('.');
  if (dot == std::string::npos) return h;
  std::string rest = h.substr(dot + 1);
  if (rest.find('.') == std::string::npos) return h;
  return rest;
}

bool is_private_ip(std::string_view ip) {
  bool v6 = false;
  unsigned char b[16];
  if (!parse_ip(ip, v6, b)) return false;
  if (!v6)
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 169 && b[1] == 254);
  static const unsigned char loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(b, loop, 16) == 0 || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

}  // namespace hearth::mail::filter
