// DNS lists (see dnsbl.hpp).
#include "mail/filter/dnsbl.hpp"

#include <arpa/inet.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/util/strings.hpp"

namespace hearth::mail::filter {
namespace {

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (auto l : util::split(s, '.')) {
    if (l.empty() || l.size() > 63) return false;
    for (char c : l)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return false;
  }
  return true;
}

std::string strip_dot(std::string_view s) {
  std::string out = util::to_lower(util::trim(s));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

std::optional<double> parse_score(std::string_view t) {
  t = util::trim(t);
  if (t.empty() || t.size() > 16) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (t[i] == '-' || t[i] == '+') neg = t[i++] == '-';
  double v = 0, scale = 0;
  bool digits = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      digits = true;
      if (scale == 0) v = v * 10 + (c - '0');
      else {
        v += (c - '0') * scale;
        scale /= 10;
      }
    } else if (c == '.' && scale == 0) {
      scale = 0.1;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  return neg ? -v : v;
}

std::optional<list_spec> parse_list_spec(std::string_view text, double default_weight) {
  list_spec s;
  auto colon = text.find(':');
  s.zone = strip_dot(text.substr(0, colon));
  if (!valid_name(s.zone)) return std::nullopt;
  s.weight = default_weight;
  if (colon != std::string_view::npos) {
    auto w = util::to_lower(util::trim(text.substr(colon + 1)));
    if (w == "reject") {
      s.reject = true;
    } else if (auto v = parse_score(w)) {
      s.weight = *v;
    } else {
      return std::nullopt;
    }
  }
  return s;
}

std::string ip_query_name(std::string_view ip, std::string_view zone) {
  std::string s(ip);
  if (s.size() > 45) return {};
  unsigned char b[16];
  std::string out;
  in6_addr a6;
  if (inet_pton(AF_INET, s.c_str(), b) == 1) {
    // falls through to the v4 form below
  } else if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const auto* p = reinterpret_cast<const unsigned char*>(&a6);
    if (std::memcmp(p, mapped, 12) == 0) {
      std::memcpy(b, p + 12, 4);
    } else {
      static const char hex[] = "0123456789abcdef";
      for (int i = 15; i >= 0; --i) {
        out += hex[p[i] & 15];
        out += '.';
        out += hex[p[i] >> 4];
        out += '.';
      }
      return out + strip_dot(zone);
    }
  } else {
    return {};
  }
  for (int i = 3; i >= 0; --i) out += std::to_string(b[i]) + ".";
  return out + strip_dot(zone);
}

std::string domain_query_name(std::string_view domain, std::string_view zone) {
  std::string d = strip_dot(domain);
  std::string z = strip_dot(zone);
  if (!valid_name(d) || !valid_name(z)) return {};
  std::string q = d + "." + z;
  if (q.size() > 253) return {};
  return q;
}

bool is_listing(std::string_view a) {
  std::string s(a);
  unsigned char b[4];
  if (s.size() > 15 || inet_pton(AF_INET, s.c_str(), b) != 1) return false;
  if (b[0] != 127) return false;
  if (b[1] == 255 && b[2] == 255) return false;
  return true;
}

std::string format_score(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::round(v * 100) / 100);
  std::string s = buf;
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  if (s == "-0") s = "0";
  return s;
}

}  // namespace hearth::mail::filter
