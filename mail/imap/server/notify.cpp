#include "mail/imap/server/notify.hpp"

#include <algorithm>

#include "core/util/strings.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

bool has_event(const notify_group& g, std::string_view e) {
  return std::find(g.events.begin(), g.events.end(), e) != g.events.end();
}

bool is_selected_filter(const notify_group& g) { return g.filter == "SELECTED" || g.filter == "SELECTED-DELAYED"; }

bool same_name(std::string_view a, std::string_view b) {
  // RFC 9051 §5.1: INBOX is case-insensitive; every other name is compared as is.
  return a == b || (util::iequals(a, "INBOX") && util::iequals(b, "INBOX"));
}

// RFC 5465 §6: the first group whose filter names the mailbox (SELECTED ones aside).
const notify_group* group_for(const notify_state& n, const std::string& name, bool subscribed) {
  for (const auto& g : n.spec.groups) {
    const auto& f = g.filter;
    if (is_selected_filter(g)) continue;
    if (f == "PERSONAL") return &g;
    if (f == "INBOXES" && name == "INBOX") return &g;  // §6.3: mail is delivered to INBOX only
    if (f == "SUBSCRIBED" && subscribed) return &g;
    for (const auto& m : g.mailboxes) {
      if (same_name(m, name)) return &g;
      // §6.5: SUBTREE names the mailbox and all of its inferiors.
      if (f == "SUBTREE" && name.size() > m.size() && name.starts_with(m) && name[m.size()] == '/') return &g;
    }
  }
  return nullptr;
}

const notify_group* selected_group(const notify_state& n) {
  for (const auto& g : n.spec.groups)
    if (is_selected_filter(g)) return &g;
  return nullptr;
}

bool is_selected(const session_state& st, const std::string& name) {
  return st.selected() && st.sel->owner == st.account && same_name(st.sel->name, name);
}

bool is_own(const std::vector<std::string>& own, const std::string& name) {
  for (const auto& o : own)
    if (same_name(o, name) || (name.size() > o.size() && name.starts_with(o) && name[o.size()] == '/')) return true;
  return false;
}

std::string status_line(const session_state& st, const mail::mailbox_info& mb, bool messages) {
  std::vector<std::string> items;
  if (messages) items = {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"};
  else items = {"UIDVALIDITY", "UNSEEN"};
  // §5.2: HIGHESTMODSEQ once CONDSTORE is on; §5.1: always for a flag change.
  if (st.condstore || !messages) items.push_back("HIGHESTMODSEQ");
  std::string line = "STATUS ";
  write_mailbox(line, mb.name, st.utf8);
  return line + " " + status_items(st, mb, items);
}

std::string list_line(const session_state& st, const std::string& attrs, const std::string& name) {
  std::string line = "LIST (" + attrs + ") \"/\" ";
  write_mailbox(line, name, st.utf8);
  return line;
}

// The selected mailbox's changes, with MessageNew's fetch-atts for the new messages.
void selected_updates(session_state& st, const notify_group& g, bool allow_expunge, reply& r) {
  if (!has_event(g, "MessageNew")) return;
  const std::uint32_t last = st.sel->uids.empty() ? 0 : st.sel->uids.back();
  refresh(st, r, allow_expunge && g.filter == "SELECTED");
  if (g.fetch.empty() || st.sel->uids.empty() || st.sel->uids.back() <= last) return;
  command fetch;
  fetch.tag = "*";
  fetch.name = "UID FETCH";
  cmd_fetch f;
  f.set.ranges.push_back({last + 1, seq_range::star});
  f.atts = g.fetch;
  fetch.args = std::move(f);
  reply inner;
  op_fetch(st, fetch, inner);
  r.raw(inner.out);
}

bool wants_anywhere(const notify_state& n, std::string_view e) {
  for (const auto& g : n.spec.groups)
    if (has_event(g, e)) return true;
  return false;
}

// The annotations to watch now: each mailbox whose group asks for MailboxMetadataChange, and
// the server's ("") when any group asks for ServerMetadataChange.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> read_metadata(
    const session_state& st, const std::map<std::string, mail::mailbox_info>& boxes) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  const auto& n = *st.notify;
  for (const auto& [name, b] : boxes) {
    const auto* g = group_for(n, name, b.subscribed);
    if (!g || !has_event(*g, "MailboxMetadataChange")) continue;
    if (auto md = st.env->store->metadata(st.account, name)) out[name] = std::move(*md);
  }
  if (wants_anywhere(n, "ServerMetadataChange"))
    if (auto md = st.env->store->metadata(st.account, "")) out[""] = std::move(*md);
  return out;
}

// Entry names added, changed or removed between two sorted lists.
std::vector<std::string> changed_entries(const std::vector<std::pair<std::string, std::string>>& a,
                                         const std::vector<std::pair<std::string, std::string>>& b) {
  std::map<std::string, std::string> before(a.begin(), a.end()), after(b.begin(), b.end());
  std::vector<std::string> out;
  for (const auto& [k, v] : after)
    if (auto it = before.find(k); it == before.end() || it->second != v) out.push_back(k);
  for (const auto& [k, v] : before)
    if (!after.count(k)) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

void metadata_updates(session_state& st, const std::map<std::string, mail::mailbox_info>& now,
                      const std::vector<std::string>& own, reply& r) {
  auto& n = *st.notify;
  auto fresh = read_metadata(st, now);
  for (const auto& [name, entries] : fresh) {
    auto was = n.metadata.find(name);
    if (was == n.metadata.end() || is_own(own, name)) continue;
    auto changed = changed_entries(was->second, entries);
    if (changed.empty()) continue;
    std::string line = "METADATA ";
    if (name.empty()) line += "\"\"";
    else write_mailbox(line, name, st.utf8);
    line += " (";
    for (std::size_t i = 0; i < changed.size(); ++i) {
      if (i) line += ' ';
      write_string(line, changed[i], st.utf8);
    }
    r.untagged(line + ")");
  }
  n.metadata = std::move(fresh);
}

}  // namespace

void notify_begin(session_state& st, reply& r) {
  auto& n = *st.notify;
  auto boxes = st.env->store->list(st.account);
  if (!boxes) return;
  n.known.clear();
  for (const auto& b : *boxes) n.known[b.name] = b;
  n.metadata = read_metadata(st, n.known);
  if (!n.spec.status) return;
  for (const auto& b : *boxes) {
    if (is_selected(st, b.name)) continue;
    const auto* g = group_for(n, b.name, b.subscribed);
    if (g && (has_event(*g, "MessageNew") || has_event(*g, "FlagChange"))) r.untagged(status_line(st, b, true));
  }
}

void notify_updates(session_state& st, reply& r, bool selected_too, bool allow_expunge,
                    const std::vector<std::string>& own) {
  if (!st.notify) return;
  auto& n = *st.notify;
  if (selected_too && st.selected())
    if (const auto* g = selected_group(n)) selected_updates(st, *g, allow_expunge, r);
  auto boxes = st.env->store->list(st.account);
  if (!boxes) return;
  std::map<std::string, mail::mailbox_info> now;
  for (const auto& b : *boxes) now[b.name] = b;

  // MailboxName (§5.4): a name that went away is a rename when a new name has its UIDVALIDITY
  // (RENAME keeps it; a new mailbox never reuses one), else a deletion.
  std::map<std::uint32_t, std::string> appeared;  // uidvalidity -> new name
  for (const auto& [name, b] : now)
    if (!n.known.count(name)) appeared[b.uidvalidity] = name;
  for (const auto& [old, b] : n.known) {
    if (now.count(old)) continue;
    auto renamed = appeared.find(b.uidvalidity);
    const std::string* to = renamed != appeared.end() ? &renamed->second : nullptr;
    const auto* g = group_for(n, to ? *to : old, b.subscribed);
    const bool wanted = g && has_event(*g, "MailboxName") && !is_own(own, old) && !(to && is_own(own, *to));
    if (to) {
      if (wanted) {
        std::string line = list_line(st, now[*to].subscribed ? "\\Subscribed" : "", *to) + " (\"OLDNAME\" (";
        write_mailbox(line, old, st.utf8);
        r.untagged(line + "))");
      }
      appeared.erase(renamed);
    } else if (wanted) {
      r.untagged(list_line(st, "\\NonExistent", old));
    }
  }
  for (const auto& [uv, name] : appeared) {
    const auto& b = now[name];
    const auto* g = group_for(n, name, b.subscribed);
    if (g && has_event(*g, "MailboxName") && !is_own(own, name))
      r.untagged(list_line(st, b.subscribed ? "\\Subscribed" : "", name));
  }

  for (const auto& [name, b] : now) {
    auto was = n.known.find(name);
    if (was == n.known.end() || is_own(own, name)) continue;
    const auto& a = was->second;
    const auto* g = group_for(n, name, a.subscribed || b.subscribed);
    if (!g) continue;
    // SubscriptionChange (§5.5).
    if (a.subscribed != b.subscribed && has_event(*g, "SubscriptionChange"))
      r.untagged(list_line(st, b.subscribed ? "\\Subscribed" : "", name));
    if (is_selected(st, name) || a.uidvalidity != b.uidvalidity) continue;
    // MessageNew / MessageExpunge (§5.2, §5.3), then FlagChange (§5.1).
    if ((a.messages != b.messages || a.uidnext != b.uidnext) && has_event(*g, "MessageNew"))
      r.untagged(status_line(st, b, true));
    else if ((a.unseen != b.unseen || a.highestmodseq != b.highestmodseq) && has_event(*g, "FlagChange"))
      r.untagged(status_line(st, b, false));
  }
  n.known = std::move(now);
  if (wants_anywhere(n, "MailboxMetadataChange") || wants_anywhere(n, "ServerMetadataChange"))
    metadata_updates(st, n.known, own, r);
}

std::vector<std::string> changed_by(const command& cmd) {
  if (const auto* a = std::get_if<cmd_append>(&cmd.args)) return {a->mailbox};
  if (const auto* m = std::get_if<cmd_mailbox>(&cmd.args)) return {m->mailbox};
  if (const auto* rn = std::get_if<cmd_rename>(&cmd.args)) return {rn->from, rn->to};
  if (const auto* c = std::get_if<cmd_copy>(&cmd.args)) return {c->mailbox};
  if (const auto* md = std::get_if<cmd_setmetadata>(&cmd.args)) return {md->mailbox};
  return {};
}

}  // namespace hearth::mail::imap
