// AUTHENTICATE (RFC 9051 §6.2.2): the SASL exchange runs in the session; this only checks
// that it may start.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_authenticate(session_state& st, const command&, reply& r) {
  if (!st.tls) return r.no("[PRIVACYREQUIRED] Authentication is disabled without TLS, use STARTTLS");
  r.act = action::authenticate;
}

}  // namespace hearth::mail::imap
