// ENABLE (RFC 5161) of CONDSTORE, QRESYNC, UTF8=ACCEPT and IMAP4rev2.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

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

}  // namespace hearth::mail::imap
