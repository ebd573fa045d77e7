// LIST (RFC 9051 §6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE,
// RFC 3348 CHILDREN) and LSUB.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/util/strings.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/store/acl.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {
namespace {

// RFC 9051 §6.3.9: "*" matches anything, "%" anything but the delimiter. INBOX is
// case-insensitive, so the name's INBOX prefix is compared in upper case.
bool match(std::string_view pat, std::string_view name) {
  if (pat.empty()) return name.empty();
  if (pat[0] == '*' || pat[0] == '%') {
    for (std::size_t i = 0; i <= name.size(); ++i) {
      if (match(pat.substr(1), name.substr(i))) return true;
      if (i < name.size() && pat[0] == '%' && name[i] == '/') return false;
    }
    return false;
  }
  if (name.empty() || pat[0] != name[0]) return false;
  return match(pat.substr(1), name.substr(1));
}

std::string normalize_inbox(std::string s) {
  if (util::istarts_with(s, "INBOX") && (s.size() == 5 || s[5] == '/')) s.replace(0, 5, "INBOX");
  return s;
}

bool matches_any(const std::vector<std::string>& pats, const std::string& ref, const std::string& name) {
  for (const auto& p : pats) {
    std::string full = normalize_inbox(ref + p);
    // Patterns are bounded by the line limit; cap the backtracking work on "*%*%..." patterns.
    if (std::count(full.begin(), full.end(), '*') + std::count(full.begin(), full.end(), '%') > 8) continue;
    if (match(full, name)) return true;
  }
  return false;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// What LSUB and LIST (SUBSCRIBED) show beyond the subscribed mailboxes: subscribed names
// without a mailbox, and LSUB's unsubscribed parents.
// RFC 5258 §3.5 (RECURSIVEMATCH): a name gets CHILDINFO ("SUBSCRIBED") when a subscribed
// descendant is not itself returned because it does not match the pattern; "servers SHOULD
// suppress redundant CHILDINFO responses", so descendants that match do not count.
bool has_unlisted_subscribed_child(const cmd_list& l, const std::set<std::string>& subscribed, const std::string& name) {
  const std::string prefix = name + "/";
  for (auto it = subscribed.lower_bound(prefix); it != subscribed.end() && it->starts_with(prefix); ++it)
    if (!matches_any(l.patterns, l.reference, *it)) return true;
  return false;
}

constexpr std::string_view childinfo = " (\"CHILDINFO\" (\"SUBSCRIBED\"))";

void list_subscribed_only(const session_state& st, const cmd_list& l, bool lsub,
                          const std::vector<mail::mailbox_info>& boxes, const std::vector<std::string>& absent,
                          reply& r) {
  const std::string verb = lsub ? "LSUB" : "LIST";
  const bool recursive = !lsub && has(l.selection, "RECURSIVEMATCH");
  std::set<std::string> subscribed(absent.begin(), absent.end());
  for (const auto& b : boxes)
    if (b.subscribed) subscribed.insert(b.name);
  // RFC 5258 §3: a subscribed name with no mailbox is listed with \NonExistent (LSUB, from
  // RFC 3501, has no such attribute and lists the name plainly).
  for (const auto& name : absent) {
    if (!matches_any(l.patterns, l.reference, name)) continue;
    std::string line = verb + (lsub ? " () \"/\" " : " (\\NonExistent \\Subscribed) \"/\" ");
    write_mailbox(line, name, st.utf8);
    if (recursive && has_unlisted_subscribed_child(l, subscribed, name)) line += childinfo;
    r.untagged(line);
  }
  if (recursive) {
    // Names that do not meet the selection themselves (an unsubscribed mailbox, or a parent
    // with no mailbox) but match the pattern and hide a subscribed descendant.
    std::set<std::string> existing;
    for (const auto& b : boxes) existing.insert(b.name);
    std::set<std::string> candidates;
    for (const auto& name : subscribed)
      for (auto p = name.find('/'); p != std::string::npos; p = name.find('/', p + 1))
        if (auto parent = name.substr(0, p); !subscribed.count(parent)) candidates.insert(parent);
    for (const auto& c : candidates) {
      if (!matches_any(l.patterns, l.reference, c) || !has_unlisted_subscribed_child(l, subscribed, c)) continue;
      std::string line = existing.count(c) ? "LIST (\\HasChildren) \"/\" " : "LIST (\\NonExistent \\HasChildren) \"/\" ";
      write_mailbox(line, c, st.utf8);
      r.untagged(line + std::string(childinfo));
    }
  }
  if (!lsub) return;  // RFC 5258 §3: without RECURSIVEMATCH, no parents
  // RFC 3501 §6.3.9: with "foo/bar" subscribed and "foo" not, LSUB "%" returns "foo" with
  // \Noselect: a parent that matches while its subscribed inferior does not.
  std::set<std::string> parents;
  for (const auto& name : subscribed) {
    if (matches_any(l.patterns, l.reference, name)) continue;
    for (auto p = name.find('/'); p != std::string::npos; p = name.find('/', p + 1)) {
      std::string parent = name.substr(0, p);
      if (!subscribed.count(parent) && matches_any(l.patterns, l.reference, parent)) parents.insert(parent);
    }
  }
  for (const auto& p : parents) {
    std::string line = "LSUB (\\Noselect) \"/\" ";
    write_mailbox(line, p, st.utf8);
    r.untagged(line);
  }
}

// The other users' namespace (acl.hpp): "shared" and "shared/OWNER" as \Noselect parents, then
// each mailbox granted to the user with the "l" right (RFC 4314 §4: LIST shows what "l" allows).
// RFC 8440 MYRIGHTS after each selectable one when asked.
result<void> list_shared(const session_state& st, const cmd_list& l, bool ret_status, bool ret_myrights,
                         bool ret_subscribed, reply& r) {
  auto grants = st.env->acl->for_user(st.account);
  if (!grants) return grants.error();
  std::set<std::string> subscribed;  // the user's subscriptions to shared mailboxes
  if (ret_subscribed) {
    auto absent = st.env->store->absent_subscriptions(st.account);
    if (!absent) return absent.error();
    subscribed.insert(absent->begin(), absent->end());
  }
  std::map<std::string, std::pair<mail::acl_grant, std::string>> boxes;  // display -> (grant, rights)
  for (const auto& g : *grants) {
    auto& [grant, rights] = boxes[std::string(shared_prefix) + g.owner + "/" + g.mailbox];
    grant = g;
    rights = union_rights(rights, g.rights);
  }
  std::erase_if(boxes, [](const auto& b) { return !has_right(b.second.second, 'l'); });
  std::set<std::string> parents;
  for (const auto& [name, v] : boxes)
    for (auto p = name.find('/'); p != std::string::npos; p = name.find('/', p + 1)) parents.insert(name.substr(0, p));
  for (const auto& p : parents) {
    if (boxes.count(p) || !matches_any(l.patterns, l.reference, p)) continue;
    std::string line = "LIST (\\Noselect \\HasChildren) \"/\" ";
    write_mailbox(line, p, st.utf8);
    r.untagged(line);
  }
  for (const auto& [name, v] : boxes) {
    if (!matches_any(l.patterns, l.reference, name)) continue;
    const auto& [grant, rights] = v;
    std::string line = std::string("LIST (") + (parents.count(name) ? "\\HasChildren" : "\\HasNoChildren") +
                       (subscribed.count(name) ? " \\Subscribed" : "") + ") \"/\" ";
    write_mailbox(line, name, st.utf8);
    r.untagged(line);
    if (ret_status && has_right(rights, 'r')) {
      if (auto mb = status_as_user(st, grant.owner, grant.mailbox)) {
        std::string s = "STATUS ";
        write_mailbox(s, name, st.utf8);
        r.untagged(s + " " + status_items(st, *mb, l.status_items));
      }
    }
    if (ret_myrights) {
      std::string s = "MYRIGHTS ";
      write_mailbox(s, name, st.utf8);
      r.untagged(s + " " + rights);
    }
  }
  return {};
}

}  // namespace

void op_list(session_state& st, const command& cmd, reply& r) {
  const auto& l = std::get<cmd_list>(cmd.args);
  const bool lsub = cmd.name == "LSUB";
  // RFC 5258 §3: unknown selection or return options are BAD.
  for (const auto& o : l.selection)
    if (o != "SUBSCRIBED" && o != "REMOTE" && o != "RECURSIVEMATCH" && o != "SPECIAL-USE")
      return r.bad("Unknown LIST selection option " + o);
  // RFC 5258 §3: RECURSIVEMATCH alone (or with REMOTE only) "MUST" get BAD.
  if (has(l.selection, "RECURSIVEMATCH") &&
      std::all_of(l.selection.begin(), l.selection.end(),
                  [](const std::string& o) { return o == "RECURSIVEMATCH" || o == "REMOTE"; }))
    return r.bad("RECURSIVEMATCH needs another selection option");
  for (const auto& o : l.returns)
    if (o != "SUBSCRIBED" && o != "CHILDREN" && o != "SPECIAL-USE" && o != "STATUS" && o != "MYRIGHTS")
      return r.bad("Unknown LIST return option " + o);
  for (const auto& it : l.status_items)
    if (it != "MESSAGES" && it != "UIDNEXT" && it != "UIDVALIDITY" && it != "UNSEEN" && it != "RECENT" &&
        it != "SIZE" && it != "DELETED" && it != "HIGHESTMODSEQ" && it != "MAILBOXID")
      return r.bad("Unknown STATUS item " + it);
  // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root.
  if (l.patterns.size() == 1 && l.patterns[0].empty()) {
    r.untagged(lsub ? "LSUB (\\Noselect) \"/\" \"\"" : "LIST (\\Noselect) \"/\" \"\"");
    return r.ok(cmd.name + " completed");
  }
  auto boxes = st.env->store->list(st.account);
  if (!boxes) return fail(r, boxes.error());
  const bool sel_subscribed = has(l.selection, "SUBSCRIBED") || lsub;
  const bool sel_special = has(l.selection, "SPECIAL-USE");
  const bool ret_subscribed = has(l.returns, "SUBSCRIBED") || sel_subscribed;
  const bool ret_special = !lsub;  // RFC 6154 §2: returned whenever known
  const bool ret_status = has(l.returns, "STATUS");
  const bool ret_myrights = has(l.returns, "MYRIGHTS");  // RFC 8440

  std::set<std::string> names, parents;
  for (const auto& b : *boxes) {
    names.insert(b.name);
    for (auto p = b.name.find('/'); p != std::string::npos; p = b.name.find('/', p + 1))
      parents.insert(b.name.substr(0, p));
  }
  auto has_children = [&](const std::string& n) { return parents.count(n) > 0; };
  const bool recursive = !lsub && sel_subscribed && has(l.selection, "RECURSIVEMATCH");
  std::set<std::string> subscribed_names;
  if (recursive) {
    for (const auto& b : *boxes)
      if (b.subscribed) subscribed_names.insert(b.name);
    auto absent = st.env->store->absent_subscriptions(st.account);
    if (!absent) return fail(r, absent.error());
    subscribed_names.insert(absent->begin(), absent->end());
  }

  for (const auto& b : *boxes) {
    if (!matches_any(l.patterns, l.reference, b.name)) continue;
    if (sel_subscribed && !b.subscribed) continue;
    if (sel_special && b.special_use.empty()) continue;
    std::string attrs;
    auto add = [&](std::string_view a) {
      if (!attrs.empty()) attrs += ' ';
      attrs += a;
    };
    if (!lsub) add(has_children(b.name) ? "\\HasChildren" : "\\HasNoChildren");
    if (ret_subscribed && b.subscribed && !lsub) add("\\Subscribed");
    if (ret_special && !b.special_use.empty()) add(b.special_use);
    std::string line = std::string(lsub ? "LSUB" : "LIST") + " (" + attrs + ") \"/\" ";
    write_mailbox(line, b.name, st.utf8);
    if (recursive && has_unlisted_subscribed_child(l, subscribed_names, b.name)) line += childinfo;
    r.untagged(line);
    if (ret_status) {
      std::string s = "STATUS ";
      write_mailbox(s, b.name, st.utf8);
      // The store's list() does not count \Recent (store.hpp); status() does, for the rare
      // LIST-STATUS that asks for it.
      std::optional<mail::mailbox_info> counted;
      if (has(l.status_items, "RECENT"))
        if (auto one = st.env->store->status(st.account, b.name)) counted = std::move(*one);
      r.untagged(s + " " + status_items(st, counted ? *counted : b, l.status_items));
    }
    if (ret_myrights) {
      std::string s = "MYRIGHTS ";
      write_mailbox(s, b.name, st.utf8);
      r.untagged(s + " " + std::string(all_rights));
    }
  }
  if (sel_subscribed && !sel_special) {
    auto absent = st.env->store->absent_subscriptions(st.account);
    if (!absent) return fail(r, absent.error());
    // Subscriptions to shared mailbox the user can still see are listed as existing ones;
    // the others (a grant taken back) fall to \NonExistent with the rest.
    std::vector<std::string> others, shared_subs;
    for (const auto& name : *absent) {
      if (st.env->acl && name.starts_with(shared_prefix)) {
        auto ref = resolve_mailbox(st, name);
        if (ref && has_right(ref->rights, 'l')) {
          shared_subs.push_back(ref->display);
          continue;
        }
      }
      others.push_back(name);
    }
    list_subscribed_only(st, l, lsub, *boxes, others, r);
    for (const auto& name : shared_subs) {
      if (!matches_any(l.patterns, l.reference, name)) continue;
      std::string line = lsub ? "LSUB () \"/\" " : "LIST (\\Subscribed) \"/\" ";
      write_mailbox(line, name, st.utf8);
      r.untagged(line);
    }
  }
  // Parents that are not mailboxes themselves (RFC 9051 §6.3.9: \NonExistent; LSUB \Noselect).
  if (!sel_subscribed && !sel_special) {
    for (const auto& p : parents) {
      if (names.count(p) || !matches_any(l.patterns, l.reference, p)) continue;
      std::string line = "LIST (\\Noselect \\HasChildren) \"/\" ";
      write_mailbox(line, p, st.utf8);
      r.untagged(line);
    }
  }
  if (!lsub && !sel_subscribed && !sel_special && st.env->acl)
    if (auto res = list_shared(st, l, ret_status, ret_myrights, ret_subscribed, r); !res) return fail(r, res.error());
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
