// CAPABILITY, NOOP/CHECK, LOGOUT, ID, ENABLE, NAMESPACE, STARTTLS, LOGIN, and the entry of the
// commands the session continues itself (AUTHENTICATE, IDLE, COMPRESS).
#include <algorithm>

#include "auth/authenticator.hpp"
#include "core/log/log.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

std::string capabilities(const session_state& st) {
  std::string c = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE";
  if (st.ph == phase::not_authenticated) {
    if (!st.tls) {
      // RFC 9051 §6.2.3: no credentials in the clear, not even on loopback.
      if (st.starttls_offered) c += " STARTTLS";
      c += " LOGINDISABLED";
    } else {
      auth::context ctx{"imap", st.remote_ip, true, st.channel_binding};
      for (const auto& m : st.env->authn->mechanisms(ctx)) c += " AUTH=" + m;
    }
    return c;
  }
  // RFC 5957 §4: SORT=DISPLAY announces the DISPLAYFROM and DISPLAYTO keys, which the
  // parser and op_sort accept; clients do not send them without it.
  c += " NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED"
       " LIST-STATUS CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE ESEARCH SEARCHRES"
       " SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND CATENATE UTF8=ACCEPT STATUS=SIZE"
       " OBJECTID SAVEDATE PREVIEW ESORT METADATA";
  c += " INPROGRESS";  // RFC 9585 §3 (progress.hpp)
  // RFC 4314 §2.1: "t", "e", "x" and "k" are rights of their own ("d" and "c" group them).
  if (st.env->acl) c += " ACL RIGHTS=texk LIST-MYRIGHTS";
  c += " NOTIFY";  // RFC 5465 (notify.hpp)
  c += " CONTEXT=SEARCH CONTEXT=SORT";  // RFC 5267 §4 (search_context.hpp)
  c += " APPENDLIMIT=" + std::to_string(st.env->append_limit);
  if (!st.compressed) c += " COMPRESS=DEFLATE";
  return c;
}

void op_capability(session_state& st, const command&, reply& r) {
  r.untagged("CAPABILITY " + capabilities(st));
  r.ok("CAPABILITY completed");
}

void op_noop(session_state&, const command& cmd, reply& r) { r.ok(cmd.name + " completed"); }

void op_logout(session_state& st, const command&, reply& r) {
  r.untagged("BYE Logging out");
  st.ph = phase::logout;
  r.act = action::logout;
  r.ok("LOGOUT completed");
}

void op_id(session_state&, const command&, reply& r) {
  // RFC 2971: the server may answer NIL; a name and version help client bug reports.
  r.untagged("ID (\"name\" \"Hearth\" \"vendor\" \"Hearth\")");
  r.ok("ID completed");
}

void op_enable(session_state& st, const command& cmd, reply& r) {
  const auto& e = std::get<cmd_enable>(cmd.args);
  std::string enabled;
  for (const auto& c : e.capabilities) {
    bool* flag = nullptr;
    if (c == "CONDSTORE") flag = &st.condstore;
    else if (c == "QRESYNC") flag = &st.qresync;
    else if (c == "UTF8=ACCEPT") flag = &st.utf8;
    else if (c == "IMAP4REV2") flag = &st.rev2;
    if (!flag) continue;  // RFC 5161 §3.1: unknown capabilities are ignored
    if (!*flag) enabled += " " + (c == "IMAP4REV2" ? std::string("IMAP4rev2") : c);
    *flag = true;
    if (c == "QRESYNC") st.condstore = true;  // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE
  }
  r.untagged("ENABLED" + enabled);
  r.ok("ENABLE completed");
}

void op_namespace(session_state& st, const command&, reply& r) {
  // One personal namespace, no prefix, "/" as the hierarchy delimiter (RFC 2342), and with
  // sharing the other users' namespace under Dovecot's prefix (acl.hpp).
  if (st.env->acl)
    r.untagged("NAMESPACE ((\"\" \"/\")) ((\"" + std::string(shared_prefix) + "\" \"/\")) NIL");
  else
    r.untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  r.ok("NAMESPACE completed");
}

void op_starttls(session_state& st, const command&, reply& r) {
  if (st.tls || !st.starttls_offered) return r.bad("TLS is already active");
  r.act = action::starttls;
  r.ok("Begin TLS negotiation now");
}

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

void op_authenticate(session_state& st, const command&, reply& r) {
  if (!st.tls) return r.no("[PRIVACYREQUIRED] Authentication is disabled without TLS, use STARTTLS");
  r.act = action::authenticate;
}

void op_idle(session_state&, const command&, reply& r) { r.act = action::idle; }

void op_compress(session_state& st, const command& cmd, reply& r) {
  const auto& c = std::get<cmd_compress>(cmd.args);
  if (c.mechanism != "DEFLATE") return r.bad("Unknown compression mechanism");
  if (st.compressed) return r.no("[COMPRESSIONACTIVE] DEFLATE is already active");
  r.act = action::compress;
  r.ok("DEFLATE active");
}

}  // namespace hearth::mail::imap
