// LOGIN (RFC 9051 §6.2.3), through the one authenticator every protocol uses.
#include "auth/authenticator.hpp"
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_login(session_state& st, const command& cmd, reply& r) {
  const auto& l = std::get<cmd_login>(cmd.args);
  if (!st.tls) return r.no("[PRIVACYREQUIRED] LOGIN is disabled without TLS, use STARTTLS");
  auth::context ctx{"imap", st.remote_ip, true, std::nullopt};
  auth::auth_result res;
  try {
    res = st.env->authn->check_password(ctx, l.user, l.password);
  } catch (const std::exception&) {
    return r.no("[UNAVAILABLE] Authentication is unavailable, try later");
  }
  r.delay = res.delay;
  if (res.result != auth::outcome::ok) {
    if (res.result == auth::outcome::blocked) return r.no("[UNAVAILABLE] Too many failures, try later");
    return r.no("[AUTHENTICATIONFAILED] Invalid credentials");
  }
  st.account = res.address;
  st.ph = phase::authenticated;
  r.ok("[CAPABILITY " + capabilities(st) + "] Logged in");
}

}  // namespace hearth::mail::imap
