#include "mail/queue/route.hpp"

#include <charconv>

#include "core/util/strings.hpp"

namespace hearth::mail::queue {

namespace {

std::string_view no_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// `word` (lower case) in `text` (already lower case) as a whole word.
bool has_word(std::string_view text, std::string_view word) {
  for (std::size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !word_char(text[at - 1]);
    const std::size_t end = at + word.size();
    const bool right = end >= text.size() || !word_char(text[end]);
    if (left && right) return true;
  }
  return false;
}

// The first http(s) URL of the reply: the lists put their removal page there.
std::string url_in(std::string_view text) {
  for (std::string_view scheme : {"https://", "http://"}) {
    std::string lower = util::to_lower(text);
    auto at = lower.find(scheme);
    if (at == std::string::npos) continue;
    std::size_t end = at;
    while (end < text.size() && text[end] != ' ' && text[end] != ')' && text[end] != '>' && text[end] != '"' &&
           text[end] != ';' && text[end] != ',')
      ++end;
    while (end > at && text[end - 1] == '.') --end;
    return std::string(text.substr(at, end - at));
  }
  return {};
}

// "5.7.606" -> 606 when the class and subject are 5.7, else -1.
int microsoft_detail(std::string_view status) {
  if (status.size() < 5 || status.substr(0, 4) != "5.7.") return -1;
  int n = 0;
  auto d = status.substr(4);
  auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
  if (ec != std::errc{} || p != d.data() + d.size()) return -1;
  return n;
}

}  // namespace

std::optional<relay_address> parse_relay(std::string_view text) {
  relay_address out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (out.host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  for (char c : out.host)
    if (c == ' ' || c == '/' || c == '@' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return std::nullopt;
  unsigned n = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc{} || p != port.data() + port.size() || n == 0 || n > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(n);
  return out;
}

bool name_matches(std::string_view pattern, std::string_view name) {
  pattern = no_dot(pattern);
  name = no_dot(name);
  if (pattern == "*") return !name.empty();
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
    const auto suffix = pattern.substr(1);  // ".example.org"
    return name.size() > suffix.size() && util::iequals(name.substr(name.size() - suffix.size()), suffix);
  }
  return !pattern.empty() && util::iequals(pattern, name);
}

const route* route_for_domain(const std::vector<route>& routes, std::string_view domain) {
  for (const auto& r : routes)
    for (const auto& p : r.domains)
      if (name_matches(p, domain)) return &r;
  return nullptr;
}

const route* route_for_mx(const std::vector<route>& routes, const std::vector<std::string>& hosts) {
  for (const auto& r : routes)
    for (const auto& p : r.mx)
      for (const auto& h : hosts)
        if (name_matches(p, h)) return &r;
  return nullptr;
}

std::optional<block_info> block_of(std::string_view reply, std::string_view status) {
  const std::string text = util::to_lower(reply);
  // Only a refusal is a block; a 2xx/3xx that happens to say "listed" is not.
  if (reply.empty() || (reply[0] != '4' && reply[0] != '5')) return std::nullopt;
  const std::string url = url_in(reply);
  auto found = [&](std::string list, std::string known) {
    return block_info{std::move(list), url.empty() ? std::move(known) : url};
  };
  // Microsoft documents its IP-reputation refusals as 5.7.606-5.7.705 and "S3140" (a
  // network range on its block list); both may come as 550 5.7.1 or 4xx, so any class counts.
  const int ms = microsoft_detail(status);
  if (text.find("s3140") != std::string::npos || (ms >= 606 && ms <= 705))
    return found("microsoft", "https://sender.office.com");
  if (reply[0] != '5') return std::nullopt;  // others: only a permanent refusal would bounce
  if (text.find("spamhaus") != std::string::npos) return found("spamhaus", "https://check.spamhaus.org");
  if (text.find("spamcop") != std::string::npos) return found("spamcop", "https://www.spamcop.net/bl.shtml");
  if (text.find("barracuda") != std::string::npos)
    return found("barracuda", "https://www.barracudacentral.org/rbl/removal-request");
  for (std::string_view w : {"blocklist", "blacklist", "block list", "black list", "blocklisted", "blacklisted", "dnsbl",
                             "rbl", "listed at", "listed on", "listed in"})
    if (has_word(text, w)) return found("blocklist", "the list named in the reply");
  return std::nullopt;
}

}  // namespace hearth::mail::queue
