// CAPABILITY (RFC 9051 §6.1.1), and the list it and LOGIN's response code announce.
#include "auth/authenticator.hpp"
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

}  // namespace hearth::mail::imap
