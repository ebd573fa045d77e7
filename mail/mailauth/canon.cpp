#include "mail/mailauth/canon.hpp"

#include "core/util/strings.hpp"

namespace hearth::mail::mailauth {
namespace {
bool is_wsp(char c) { return c == ' ' || c == '\t'; }
}  // namespace

std::string canon_header(std::string_view raw, bool relaxed) {
  // Strip the final line ending; it is written back as CRLF.
  std::string_view f = raw;
  if (f.ends_with("\r\n")) f.remove_suffix(2);
  else if (f.ends_with("\n")) f.remove_suffix(1);
  if (!relaxed) return std::string(f) + "\r\n";
  auto colon = f.find(':');
  std::string_view name = colon == std::string_view::npos ? f : f.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : f.substr(colon + 1);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string out = util::to_lower(name);
  out += ':';
  bool pending_space = false;
  bool started = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;  // unfold
    if (is_wsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && started) out += ' ';
    pending_space = false;
    started = true;
    out += c;
  }
  out += "\r\n";
  return out;
}

std::string canon_body(std::string_view body, bool relaxed) {
  std::string out;
  out.reserve(body.size() + 2);
  std::size_t pending_empty = 0;  // empty lines seen but not yet written (may be trailing)
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line;
    if (nl == std::string_view::npos) {
      line = body.substr(pos);
      pos = body.size();
    } else {
      line = body.substr(pos, nl - pos);
      pos = nl + 1;
    }
    if (line.ends_with('\r')) line.remove_suffix(1);
    std::string l;
    if (relaxed) {
      bool space = false;
      for (char c : line) {
        if (is_wsp(c)) {
          space = true;
          continue;
        }
        if (space) l += ' ';
        space = false;
        l += c;
      }
      // WSP at the line end is dropped (space pending at the end is never written).
    } else {
      l.assign(line);
    }
    if (l.empty()) {
      ++pending_empty;
      continue;
    }
    for (; pending_empty > 0; --pending_empty) out += "\r\n";
    out += l;
    out += "\r\n";
  }
  if (!relaxed && out.empty()) out = "\r\n";
  return out;
}

}  // namespace hearth::mail::mailauth
