// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, registry RFC 5248).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::smtp {

struct reply {
  int code = 0;          // 250, 354, 501, ...
  std::string enhanced;  // "2.1.0"; empty for 220/221/354/334 and EHLO lines
  std::vector<std::string> lines;  // one entry per reply line (multi-line: RFC 5321 §4.2.1)

  // "code[-| ]enhanced text\r\n" for every line; an empty `lines` gives one line. CR and LF
  // inside a line become spaces.
  std::string wire() const;
};

// A one-line reply.
reply make_reply(int code, std::string_view enhanced, std::string_view text);

}  // namespace hearth::mail::smtp
