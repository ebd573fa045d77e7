// NAMESPACE (RFC 2342, RFC 9051 §6.3.10).
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_namespace(session_state& st, const command&, reply& r) {
  // One personal namespace, no prefix, "/" as the hierarchy delimiter (RFC 2342), and with
  // sharing the other users' namespace under Dovecot's prefix (acl.hpp).
  if (st.env->acl)
    r.untagged("NAMESPACE ((\"\" \"/\")) ((\"" + std::string(shared_prefix) + "\" \"/\")) NIL");
  else
    r.untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  r.ok("NAMESPACE completed");
}

}  // namespace hearth::mail::imap
