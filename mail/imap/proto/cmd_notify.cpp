// RFC 5465 §8 (NOTIFY):
//   notify           = "NOTIFY" SP (notify-set / notify-none)
//   notify-none      = "NONE"
//   notify-set       = "SET" [status-indicator] SP event-groups
//   status-indicator = SP "STATUS"
//   event-groups     = event-group *(SP event-group)
//   event-group      = "(" filter-mailboxes SP events ")"
//   filter-mailboxes = "selected" / "selected-delayed" / "inboxes" / "personal" / "subscribed" /
//                      ("subtree" SP one-or-more-mailbox) / ("mailboxes" SP one-or-more-mailbox)
//   one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
//   events           = ("(" event *(SP event) ")") / "NONE"
//   event            = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) / "MessageExpunge" /
//                      "FlagChange" / "AnnotationChange" / "MailboxName" / "SubscriptionChange" /
//                      "MailboxMetadataChange" / "ServerMetadataChange" / event-ext (an atom)
// Which combinations make sense is the handler's business (cmd_notify.cpp): this is syntax.
#include <array>

#include "core/util/strings.hpp"
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {
namespace {

constexpr std::size_t max_groups = 16, max_mailboxes = 100, max_events = 16;

constexpr std::array<std::string_view, 8> known_events{
    "MessageNew",  "MessageExpunge",     "FlagChange",           "AnnotationChange",
    "MailboxName", "SubscriptionChange", "MailboxMetadataChange", "ServerMetadataChange"};

std::string event_name(std::string atom) {
  for (auto k : known_events)
    if (util::iequals(atom, k)) return std::string(k);
  return atom;
}

void parse_mailboxes(lexer& lx, std::vector<std::string>& out) {
  if (!lx.eat('(')) {
    out.push_back(lx.mailbox());
    return;
  }
  for (;;) {
    if (out.size() >= max_mailboxes) lx.fail("too many mailboxes", "imap.limit");
    out.push_back(lx.mailbox());
    if (lx.eat(')')) break;
    lx.sp();
  }
}

notify_group parse_group(lexer& lx) {
  notify_group g;
  lx.expect('(', "( of an event group");
  g.filter = lx.upper_atom();
  const auto& f = g.filter;
  if (f == "SUBTREE" || f == "MAILBOXES") {
    lx.sp();
    parse_mailboxes(lx, g.mailboxes);
  } else if (f != "SELECTED" && f != "SELECTED-DELAYED" && f != "INBOXES" && f != "PERSONAL" && f != "SUBSCRIBED") {
    lx.fail("unknown mailbox filter " + f.substr(0, 40));
  }
  lx.sp();
  if (lx.eat_word("NONE")) {
    lx.expect(')', ") of an event group");
    return g;
  }
  lx.expect('(', "( of events");
  for (;;) {
    if (g.events.size() >= max_events) lx.fail("too many events", "imap.limit");
    g.events.push_back(event_name(lx.atom()));
    if (g.events.back() == "MessageNew" && lx.rest().starts_with(" (")) {
      lx.sp();
      detail::parse_fetch_att_list(lx, g.fetch, 32);
    }
    if (lx.eat(')')) break;
    lx.sp();
  }
  lx.expect(')', ") of an event group");
  return g;
}

}  // namespace

command_args syntax_notify(lexer& lx, std::string_view, const parse_options&) {
  cmd_notify n;
  lx.sp();
  if (lx.eat_word("NONE")) {
    n.none = true;
    return n;
  }
  if (!lx.eat_word("SET")) lx.fail("expected SET or NONE");
  lx.sp();
  if (lx.eat_word("STATUS")) {
    n.status = true;
    lx.sp();
  }
  for (;;) {
    if (n.groups.size() >= max_groups) lx.fail("too many event groups", "imap.limit");
    n.groups.push_back(parse_group(lx));
    if (!lx.eat(' ')) break;
  }
  return n;
}

}  // namespace hearth::mail::imap
