// THREAD / UID THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES (thread.hpp).
#include <algorithm>

#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/progress.hpp"
#include "mail/imap/server/sort.hpp"
#include "mail/imap/server/thread.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

std::uint32_t number(const sort_item& i, bool uid) { return uid ? i.hit.info.uid : i.hit.seq; }

std::string references(const std::vector<sort_item>& items, bool uid) {
  std::vector<thread_input> in;
  in.reserve(items.size());
  for (const auto& it : items)
    in.push_back({number(it, uid), it.sent, it.message_id, it.refs, it.subject, it.reply});
  return thread_references(in);
}

std::string thread_ordered_subject(std::vector<sort_item>& items, bool uid) {
  std::stable_sort(items.begin(), items.end(), [](const sort_item& a, const sort_item& b) {
    if (a.subject != b.subject) return casemap_compare(a.subject, b.subject) < 0;
    return a.sent < b.sent;
  });
  std::vector<std::vector<const sort_item*>> threads;
  for (const auto& it : items) {
    if (threads.empty() || threads.back().front()->subject != it.subject) threads.emplace_back();
    threads.back().push_back(&it);
  }
  // RFC 5256 §3 ORDEREDSUBJECT: threads go by the sent date of their first message. Two first
  // messages sent at the same instant go by sequence number, as equal SORT keys do (§3),
  // not by the base-subject order the grouping above left them in.
  std::sort(threads.begin(), threads.end(), [](const auto& a, const auto& b) {
    if (a.front()->sent != b.front()->sent) return a.front()->sent < b.front()->sent;
    return a.front()->hit.seq < b.front()->hit.seq;
  });
  std::string out;
  for (const auto& t : threads) {
    out += "(" + std::to_string(number(*t[0], uid));
    if (t.size() == 2) out += " " + std::to_string(number(*t[1], uid));
    else
      for (std::size_t i = 1; i < t.size(); ++i) out += (i == 1 ? " (" : "(") + std::to_string(number(*t[i], uid)) + ")";
    out += ")";
  }
  return out;
}

}  // namespace

void op_thread(session_state& st, const command& cmd, reply& r) {
  const auto& t = std::get<cmd_thread>(cmd.args);
  const bool uid = cmd.name == "UID THREAD";
  if (t.algorithm != "REFERENCES" && t.algorithm != "ORDEREDSUBJECT") return r.bad("Unknown THREAD algorithm");
  if (!search_charset_ok(t.search.charset)) return r.no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  progress_meter progress(st, cmd.tag, st.sel->uids.size());
  auto items = gather(st, t.search.key, t.search.charset, &progress);
  if (!items) return fail(r, items.error());
  std::string body = t.algorithm == "REFERENCES" ? references(*items, uid) : thread_ordered_subject(*items, uid);
  r.untagged("THREAD " + body);
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
