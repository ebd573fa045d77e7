// authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]  (RFC 9051 §9, RFC 4959 SASL-IR)
#include <cctype>

#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_authenticate(lexer& lx, std::string_view, const parse_options&) {
  cmd_authenticate a;
  lx.sp();
  a.mechanism = lx.upper_atom();
  if (lx.eat(' ')) {
    if (lx.eat('=')) {
      a.initial.emplace(1, '=');
    } else {
      std::string b = lx.atom();  // base64 chars are atom chars
      for (char c : b)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
          lx.fail("initial response is not base64");
      a.initial = std::move(b);
    }
  }
  return a;
}

}  // namespace hearth::mail::imap
