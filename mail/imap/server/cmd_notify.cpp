// NOTIFY (RFC 5465 §3.1): which events the client wants for which mailboxes. The reports
// themselves are notify.cpp's; the session sends them between commands (session.cpp).
#include <algorithm>
#include <set>

#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/notify.hpp"

namespace hearth::mail::imap {
namespace {

bool has_event(const notify_group& g, std::string_view e) {
  return std::find(g.events.begin(), g.events.end(), e) != g.events.end();
}

bool supported(std::string_view e) {
  return e == "MessageNew" || e == "MessageExpunge" || e == "FlagChange" || e == "MailboxName" ||
         e == "SubscriptionChange" || e == "MailboxMetadataChange" || e == "ServerMetadataChange";
}

bool message_event(std::string_view e) {
  return e == "MessageNew" || e == "MessageExpunge" || e == "FlagChange" || e == "AnnotationChange";
}

}  // namespace

void op_notify(session_state& st, const command& cmd, reply& r) {
  const auto& n = std::get<cmd_notify>(cmd.args);
  if (n.none) {
    st.notify.reset();
    return r.ok("NOTIFY completed");
  }
  bool selected_seen = false;
  std::string unsupported;
  for (const auto& g : n.groups) {
    const bool sel = g.filter == "SELECTED" || g.filter == "SELECTED-DELAYED";
    // §6.1: "It is an error" to give SELECTED or SELECTED-DELAYED more than once, or both.
    if (sel && selected_seen) return r.bad("SELECTED and SELECTED-DELAYED may be given once");
    selected_seen |= sel;
    // §5: "If one of MessageNew or MessageExpunge is specified, then both events MUST be
    // specified. Otherwise, the server MUST respond with the tagged BAD response."
    if (has_event(g, "MessageNew") != has_event(g, "MessageExpunge"))
      return r.bad("MessageNew and MessageExpunge go together");
    // §5: "If the FlagChange and/or AnnotationChange events are specified, MessageNew and
    // MessageExpunge MUST also be specified by the client."
    if ((has_event(g, "FlagChange") || has_event(g, "AnnotationChange")) && !has_event(g, "MessageNew"))
      return r.bad("FlagChange needs MessageNew and MessageExpunge");
    for (const auto& e : g.events) {
      // §6.1: only message events are about the selected mailbox.
      if (sel && !message_event(e)) return r.bad(e + " is not a message event");
      if (!supported(e) && unsupported.empty()) unsupported = e;
    }
  }
  // §3.1: an unsupported event is NO (not BAD), with BADEVENT listing those supported.
  if (!unsupported.empty())
    return r.no(std::string("[BADEVENT (") + supported_events + ")] Unsupported event " + unsupported.substr(0, 64));
  st.notify = notify_state{n, {}};
  notify_begin(st, r);
  // §3.1: NOTIFY SET is an implicit NOOP; execute() sends the selected mailbox's changes.
  r.ok("NOTIFY completed");
}

}  // namespace hearth::mail::imap
