// parse_https_uri (https_post.hpp): pure, apart from the I/O in https_post.cpp, so the fuzz
// target links no sockets.
#include <algorithm>
#include <cctype>

#include "mail/reports/https_post.hpp"

namespace hearth::mail::reports {

std::optional<https_target> parse_https_uri(std::string_view uri) {
  if (uri.size() > 2048 || uri.size() < 9) return std::nullopt;
  std::string scheme(uri.substr(0, 8));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "https://") return std::nullopt;
  if (std::any_of(uri.begin(), uri.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f || c == '#' || c == '"' || c == '<' || c == '>' || c == '\\';
      }))
    return std::nullopt;
  uri.remove_prefix(8);
  const auto end = uri.find_first_of("/?");
  std::string_view authority = uri.substr(0, end);
  https_target t;
  t.target = end == std::string_view::npos ? "/" : std::string(uri.substr(end));
  if (t.target.front() == '?') t.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // userinfo: never sent
  if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    auto digits = authority.substr(colon + 1);
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    unsigned port = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    t.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  // RFC 1035 host names: letters, digits, hyphens and dots, labels of 1..63, 253 in all.
  if (authority.empty() || authority.size() > 253 || authority.front() == '.' || authority.back() == '.') return std::nullopt;
  std::size_t label = 0;
  bool all_digits = true;
  for (char c : authority) {
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return std::nullopt;
    if (!std::isdigit(static_cast<unsigned char>(c))) all_digits = false;
    if (++label > 63) return std::nullopt;
  }
  if (all_digits) return std::nullopt;  // an IPv4 literal: no name for the certificate to match
  for (char c : authority) t.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

}  // namespace hearth::mail::reports
