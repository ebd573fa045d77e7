// The status-att list of one mailbox, shared by STATUS, LIST-STATUS (RFC 5819) and NOTIFY.
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

// status-att list for one mailbox: "(MESSAGES 3 UIDNEXT 4 ...)".
std::string status_items(const session_state& st, const mail::mailbox_info& mb, const std::vector<std::string>& items) {
  std::string out = "(";
  for (const auto& it : items) {
    std::string v;
    if (it == "MESSAGES") v = std::to_string(mb.messages);
    else if (it == "UIDNEXT") v = std::to_string(mb.uidnext);
    else if (it == "UIDVALIDITY") v = std::to_string(mb.uidvalidity);
    else if (it == "UNSEEN") v = std::to_string(mb.unseen);
    else if (it == "RECENT") v = std::to_string(mb.recent);  // RFC 3501 §6.3.10
    else if (it == "SIZE") v = std::to_string(mb.bytes);
    else if (it == "DELETED") v = std::to_string(mb.deleted);
    else if (it == "HIGHESTMODSEQ") v = std::to_string(mb.highestmodseq);
    else if (it == "APPENDLIMIT") v = std::to_string(st.env->append_limit);
    else if (it == "MAILBOXID") v = "(" + mailbox_id(mb.uidvalidity) + ")";  // RFC 8474 §4.3
    else continue;
    if (out.size() > 1) out += ' ';
    out += it + ' ' + v;
  }
  return out + ")";
}

}  // namespace hearth::mail::imap
