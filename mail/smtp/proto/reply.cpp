#include "mail/smtp/proto/reply.hpp"

namespace hearth::mail::smtp {

std::string reply::wire() const {
  std::string out;
  const std::string num = std::to_string(code);
  const std::size_t n = lines.empty() ? 1 : lines.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += num;
    out += (i + 1 < n) ? '-' : ' ';
    if (!enhanced.empty()) {
      out += enhanced;
      out += ' ';
    }
    if (!lines.empty()) {
      // A CR or LF inside a line would let text end the reply early: never emit one.
      for (char c : lines[i]) out += (c == '\r' || c == '\n') ? ' ' : c;
    }
    out += "\r\n";
  }
  return out;
}

reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  reply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.lines.emplace_back(text);
  return r;
}

}  // namespace hearth::mail::smtp
