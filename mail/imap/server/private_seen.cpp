#include "mail/imap/server/private_seen.hpp"

#include <algorithm>

#include "core/util/strings.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/store/seen.hpp"

namespace hearth::mail::imap {
namespace {

bool is_seen(std::string_view flag) { return util::iequals(flag, "\\Seen"); }

// store.hpp: system flags come first, "\\Seen" the first of them.
void put_seen(std::vector<std::string>& flags, bool seen) {
  std::erase_if(flags, [](const std::string& f) { return is_seen(f); });
  if (seen) flags.insert(flags.begin(), "\\Seen");
}

// The user's entries laid over messages; both ascending by uid.
void overlay(std::vector<mail::message_info>& msgs, const std::vector<mail::seen_entry>& entries) {
  auto e = entries.begin();
  for (auto& m : msgs) {
    while (e != entries.end() && e->uid < m.uid) ++e;
    const bool mine = e != entries.end() && e->uid == m.uid;
    put_seen(m.flags, mine && e->seen);
    if (mine) m.modseq = std::max(m.modseq, e->modseq);
  }
}

result<std::vector<mail::seen_entry>> entries(const session_state& st, std::string_view owner,
                                              std::string_view mailbox, std::uint64_t since = 0,
                                              mail::uid_range range = {}) {
  return st.env->seen->entries(owner, mailbox, st.account, since, range);
}

// The range that holds every message of `msgs` (ascending): what fetch needs of the entries.
mail::uid_range span_of(const std::vector<mail::message_info>& msgs) {
  if (msgs.empty()) return {1, 0};
  return {msgs.front().uid, msgs.back().uid};
}

std::vector<std::uint32_t> uids_of(const std::vector<mail::message_info>& msgs) {
  std::vector<std::uint32_t> out;
  out.reserve(msgs.size());
  for (const auto& m : msgs) out.push_back(m.uid);
  return out;
}

}  // namespace

bool private_seen(const session_state& st, std::string_view owner) { return st.env->seen && owner != st.account; }

result<std::vector<mail::message_info>> fetch_as_user(const session_state& st, std::string_view owner,
                                                      std::string_view mailbox, const mail::uid_set& uids) {
  auto msgs = st.env->store->fetch(owner, mailbox, uids);
  if (!msgs || !private_seen(st, owner) || msgs->empty()) return msgs;
  auto es = entries(st, owner, mailbox, 0, span_of(*msgs));
  if (!es) return es.error();
  overlay(*msgs, *es);
  return msgs;
}

result<std::vector<mail::message_info>> fetch_flags_as_user(const session_state& st, std::string_view owner,
                                                            std::string_view mailbox) {
  auto msgs = st.env->store->fetch_flags(owner, mailbox);
  if (!msgs || !private_seen(st, owner)) return msgs;
  auto es = entries(st, owner, mailbox);
  if (!es) return es.error();
  overlay(*msgs, *es);
  return msgs;
}

result<mail::mailbox_view> view_as_user(const session_state& st, std::string_view owner, std::string_view mailbox) {
  auto v = st.env->store->view(owner, mailbox);
  if (!v || !private_seen(st, owner)) return v;
  auto es = entries(st, owner, mailbox);
  if (!es) return es.error();
  auto e = es->begin();
  for (auto& m : v->messages) {
    while (e != es->end() && e->uid < m.uid) ++e;
    if (e != es->end() && e->uid == m.uid) m.modseq = std::max(m.modseq, e->modseq);
  }
  return v;
}

result<mail::changes> changes_as_user(const session_state& st, std::string_view owner, std::string_view mailbox,
                                      std::uint64_t since) {
  auto ch = st.env->store->changes_since(owner, mailbox, since);
  if (!ch || !private_seen(st, owner)) return ch;
  auto es = entries(st, owner, mailbox);
  if (!es) return es.error();
  // Messages whose only change since then is the user's \Seen are changes too.
  const auto have = uids_of(ch->changed);
  std::vector<std::uint32_t> more;
  for (const auto& e : *es)
    if (e.modseq > since && !std::binary_search(have.begin(), have.end(), e.uid)) more.push_back(e.uid);
  if (!more.empty()) {
    auto extra = st.env->store->fetch(owner, mailbox, to_uid_set(more));
    if (!extra) return extra.error();
    for (auto& m : *extra) {
      m.blob_id.clear();  // changes carry flags only, as the store's
      ch->changed.push_back(std::move(m));
    }
    std::sort(ch->changed.begin(), ch->changed.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
  }
  overlay(ch->changed, *es);
  return ch;
}

result<mail::mailbox_info> status_as_user(const session_state& st, std::string_view owner, std::string_view mailbox) {
  auto mb = st.env->store->status(owner, mailbox);
  if (!mb || !private_seen(st, owner)) return mb;
  auto n = st.env->seen->count_seen(owner, mb->name, st.account);
  if (!n) return n.error();
  mb->unseen = mb->messages - std::min(*n, mb->messages);
  return mb;
}

result<mail::flags_result> store_flags_as_user(const session_state& st, std::string_view owner,
                                               std::string_view mailbox, const std::vector<std::uint32_t>& uids_in,
                                               mail::flag_mode mode, const std::vector<std::string>& flags,
                                               std::optional<std::uint64_t> unchanged_since) {
  auto& store = *st.env->store;
  if (!private_seen(st, owner)) return store.store_flags(owner, mailbox, to_uid_set(uids_in), mode, flags, unchanged_since);
  std::vector<std::string> others;
  bool seen = false;
  for (const auto& f : flags) {
    if (is_seen(f)) seen = true;
    else others.push_back(f);
  }
  mail::flags_result out;
  std::vector<std::uint32_t> uids = uids_in;
  // RFC 7162 §3.1.3: UNCHANGEDSINCE against the modseq the user sees.
  if (unchanged_since) {
    auto now = fetch_as_user(st, owner, mailbox, to_uid_set(uids));
    if (!now) return now.error();
    for (const auto& m : *now)
      if (m.modseq > *unchanged_since) out.modified.push_back(m.uid);
    std::erase_if(uids, [&](std::uint32_t u) { return std::binary_search(out.modified.begin(), out.modified.end(), u); });
  }
  if (uids.empty()) return out;
  std::vector<std::uint32_t> changed;
  auto add_changed = [&](const mail::flags_result& r) {
    for (const auto& m : r.updated) changed.push_back(m.uid);
  };
  if (mode != mail::flag_mode::set) {
    if (!others.empty()) {
      auto r = store.store_flags(owner, mailbox, to_uid_set(uids), mode, others);
      if (!r) return r.error();
      add_changed(*r);
    }
  } else {
    // FLAGS replaces the message's flags but the owner's \Seen is not the user's to change.
    auto raw = store.fetch(owner, mailbox, to_uid_set(uids));
    if (!raw) return raw.error();
    std::vector<std::uint32_t> owner_seen, owner_unseen;
    for (const auto& m : *raw)
      (std::any_of(m.flags.begin(), m.flags.end(), [](const std::string& f) { return is_seen(f); }) ? owner_seen
                                                                                                      : owner_unseen)
          .push_back(m.uid);
    for (auto* group : {&owner_seen, &owner_unseen}) {
      if (group->empty()) continue;
      auto keep = others;
      if (group == &owner_seen) keep.insert(keep.begin(), "\\Seen");
      auto r = store.store_flags(owner, mailbox, to_uid_set(*group), mode, keep);
      if (!r) return r.error();
      add_changed(*r);
    }
  }
  if (seen || mode == mail::flag_mode::set) {
    auto r = st.env->seen->set(owner, mailbox, st.account, uids, mode == mail::flag_mode::remove ? false : seen);
    if (!r) return r.error();
    for (const auto& e : *r) changed.push_back(e.uid);
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  if (changed.empty()) return out;
  auto now = fetch_as_user(st, owner, mailbox, to_uid_set(changed));
  if (!now) return now.error();
  out.updated = std::move(*now);
  for (auto& m : out.updated) m.blob_id.clear();
  return out;
}

bool take_seen(const session_state& st, std::string_view owner, std::vector<std::string>& flags) {
  if (!private_seen(st, owner)) return false;
  return std::erase_if(flags, [](const std::string& f) { return is_seen(f); }) > 0;
}

result<void> mark_seen_as_user(const session_state& st, std::string_view owner, std::string_view mailbox,
                               const std::vector<std::uint32_t>& uids) {
  if (uids.empty() || !private_seen(st, owner)) return {};
  std::vector<std::uint32_t> sorted = uids;
  std::sort(sorted.begin(), sorted.end());
  auto r = st.env->seen->set(owner, mailbox, st.account, sorted, true);
  if (!r) return r.error();
  return {};
}

}  // namespace hearth::mail::imap
