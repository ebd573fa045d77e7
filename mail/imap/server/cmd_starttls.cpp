// STARTTLS (RFC 9051 §6.2.1): the session does the handshake after the tagged OK.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_starttls(session_state& st, const command&, reply& r) {
  if (st.tls || !st.starttls_offered) return r.bad("TLS is already active");
  r.act = action::starttls;
  r.ok("Begin TLS negotiation now");
}

}  // namespace hearth::mail::imap
