// Link extraction (see uri.hpp).
#include "mail/filter/uri.hpp"

#include <algorithm>

#include "core/util/strings.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/mime.hpp"

namespace hearth::mail::filter {
namespace {

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// A valid host name with a dot and a non-numeric top label.
bool plausible_host(std::string_view h) {
  if (h.size() < 3 || h.size() > 253 || h.find('.') == std::string_view::npos) return false;
  for (auto l : util::split(h, '.'))
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  auto tld = h.substr(h.rfind('.') + 1);
  return std::any_of(tld.begin(), tld.end(), [](char c) { return !(c >= '0' && c <= '9'); });
}

void add_host(std::string h, std::vector<std::string>& out, std::size_t max_hosts) {
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (!plausible_host(h)) return;
  if (out.size() >= max_hosts) return;
  if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(std::move(h));
}

// The host starting at `p` of `t`, after "scheme://" (userinfo skipped).
std::string host_at(std::string_view t, std::size_t p) {
  // The authority ends at / ? # or anything that cannot be in a URI.
  std::size_t end = p;
  while (end < t.size() && end - p < 512) {
    char c = t[end];
    if (c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' || c == ' ' ||
        c == '\t' || c == '\r' || c == '\n' || c == ')' || c == ']' || c == '\\')
      break;
    ++end;
  }
  std::string_view auth = t.substr(p, end - p);
  if (auto at = auth.rfind('@'); at != std::string_view::npos) auth = auth.substr(at + 1);
  std::size_t n = 0;
  while (n < auth.size() && host_char(auth[n])) ++n;
  return util::to_lower(auth.substr(0, n));
}

void scan_leaf(std::string_view msg, const body_part& part, std::vector<std::string>& out, const uri_limits& lim,
               std::size_t& text_budget, std::size_t& parts) {
  if (!part.children.empty()) {
    for (const auto& c : part.children) scan_leaf(msg, c, out, lim, text_budget, parts);
    return;
  }
  if (part.type.type != "text" || (part.type.subtype != "plain" && part.type.subtype != "html")) return;
  if (text_budget == 0 || parts >= lim.max_parts || out.size() >= lim.max_hosts) return;
  ++parts;
  // Decode at most twice the budget of raw octets (base64 shrinks, QP keeps the size).
  std::string_view raw = msg.substr(part.body_begin, std::min(part.size(), text_budget * 2));
  std::string text = decode_transfer_encoding(raw, part.encoding);
  if (text.size() > text_budget) text.resize(text_budget);
  text_budget -= text.size();
  extract_hosts(text, out, lim.max_hosts);
}

}  // namespace

void extract_hosts(std::string_view t, std::vector<std::string>& out, std::size_t max_hosts) {
  std::size_t i = 0;
  while (i < t.size() && out.size() < max_hosts) {
    std::size_t best = std::string_view::npos, skip = 0;
    // The next "http://", "https://" or "www." (case-insensitive), whichever comes first.
    for (std::size_t j = i; j < t.size(); ++j) {
      char c = util::ascii_lower(t[j]);
      if (c == 'h') {
        auto rest = t.substr(j);
        if (util::istarts_with(rest, "http://")) { best = j; skip = 7; break; }
        if (util::istarts_with(rest, "https://")) { best = j; skip = 8; break; }
      } else if (c == 'w' && (j == 0 || !host_char(t[j - 1])) && util::istarts_with(t.substr(j), "www.")) {
        best = j;
        skip = 0;
        break;
      }
    }
    if (best == std::string_view::npos) return;
    std::string h = host_at(t, best + skip);
    add_host(h, out, max_hosts);
    i = best + skip + std::max<std::size_t>(h.size(), 1);
  }
}

std::vector<std::string> message_hosts(std::string_view message, const uri_limits& lim) {
  std::vector<std::string> out;
  structure_limits sl;
  sl.max_parts = 500;
  auto s = parse_message(message, sl);
  std::size_t budget = lim.max_text, parts = 0;
  scan_leaf(message, s.root, out, lim, budget, parts);
  return out;
}

std::vector<std::string> uribl_names(std::string_view host, const registered_domain_fn& registered) {
  std::vector<std::string> out{std::string(host)};
  if (registered) {
    std::string r = registered(host);
    if (!r.empty() && r != host) out.push_back(std::move(r));
    return out;
  }
  auto last = host.rfind('.');
  if (last == std::string_view::npos || last == 0) return out;
  auto prev = host.rfind('.', last - 1);
  if (prev != std::string_view::npos) out.emplace_back(host.substr(prev + 1));
  return out;
}

}  // namespace hearth::mail::filter
