// SORT and THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES; ESORT and CONTEXT=SORT
// (RFC 5267: RETURN options, PARTIAL in sort order, UPDATE contexts).
#include <algorithm>
#include <type_traits>
#include <map>

#include "core/util/strings.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/search_context.hpp"
#include "mail/imap/server/sort.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/imap/server/thread.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/message/address.hpp"

namespace hearth::mail::imap {
namespace {

struct sort_item {
  search_hit hit;
  std::int64_t sent = 0;  // RFC 5256 §2.2 sent date (Date:, else internal date)
  std::string subject;    // base subject
  bool reply = false;     // the subject was a reply or forward (RFC 5256 §2.1)
  std::string from, to, cc, dfrom, dto;
  std::string message_id;
  std::vector<std::string> refs;
};

std::string first_mailbox(const header_section& h, std::string_view field, bool display) {
  const header_field* f = h.find(field);
  if (!f) return {};
  auto list = parse_address_list(f->value);
  // RFC 5256 §3: FROM, TO and CC sort by the [IMAP] addr-mailbox of the first address. When
  // the list opens with a group, that first address is the start-of-group marker, whose
  // addr-mailbox is the group name (RFC 3501 §7.4.2), not the group's first member.
  if (!display) {
    if (list.entries.empty()) return {};
    const auto& e = list.entries.front();
    return fold_case(e.is_group ? e.group_name : e.mailbox.local_part);
  }
  auto boxes = list.mailboxes();
  if (boxes.empty()) return {};
  // RFC 5957 §3: the display name when there is one, else the addr-spec.
  if (!boxes[0].display_name.empty()) return fold_case(boxes[0].display_name);
  return fold_case(boxes[0].addr_spec());
}

// Message-IDs "<...>" found in a field, in order.
std::vector<std::string> msg_ids(std::string_view v) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = v.find('<', i)) != std::string_view::npos) {
    auto e = v.find('>', i);
    if (e == std::string_view::npos) break;
    std::string id(v.substr(i + 1, e - i - 1));
    std::erase_if(id, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
    if (!id.empty() && out.size() < 100) out.push_back(id);
    i = e + 1;
  }
  return out;
}

result<std::vector<sort_item>> gather(session_state& st, const search_key& key, const std::optional<std::string>& charset,
                                      progress_meter* progress) {
  auto hits = run_search(st, key, charset, true, progress);
  if (!hits) return hits.error();
  std::vector<mail::message_info> infos;
  infos.reserve(hits->size());
  for (auto& h : *hits) infos.push_back(h.info);
  auto sums = load_summaries(st, infos);  // the header sections, from the store
  if (!sums) return sums.error();
  std::vector<sort_item> items;
  items.reserve(hits->size());
  for (std::size_t i = 0; i < hits->size(); ++i) {
    const auto& h = (*hits)[i];
    sort_item it;
    it.hit = h;
    auto pm = header_only(*(*sums)[i]);
    (*sums)[i].reset();  // keep only what sorting needs
    const auto& hd = pm->structure.root.header;
    const header_field* d = hd.find("Date");
    auto t = d ? parse_mail_date(unfold(d->value)) : std::nullopt;
    it.sent = t ? *t : h.info.internal_date;
    it.subject = base_subject(decoded_field(hd, "Subject"), &it.reply);
    it.from = first_mailbox(hd, "From", false);
    it.to = first_mailbox(hd, "To", false);
    it.cc = first_mailbox(hd, "Cc", false);
    it.dfrom = first_mailbox(hd, "From", true);
    it.dto = first_mailbox(hd, "To", true);
    if (auto* m = hd.find("Message-ID")) {
      auto ids = msg_ids(m->value);
      if (!ids.empty()) it.message_id = ids[0];
    }
    if (auto* f = hd.find("References")) it.refs = msg_ids(f->value);
    if (it.refs.empty())
      if (auto* f = hd.find("In-Reply-To")) {
        auto ids = msg_ids(f->value);
        if (!ids.empty()) it.refs.push_back(ids[0]);
      }
    items.push_back(std::move(it));
  }
  return items;
}

// RFC 5256 §2.2: strings sort under i;ascii-casemap (RFC 4790 §9.2), which maps a-z to A-Z.
// The keys are stored case-folded to lower case, and "_" or "[" sort before letters in upper
// case but after them in lower case, so the comparison maps letters back up.
int casemap_compare(std::string_view x, std::string_view y) {
  auto up = [](char c) { return static_cast<unsigned char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c); };
  const std::size_t n = std::min(x.size(), y.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto a = up(x[i]), b = up(y[i]);
    if (a != b) return a < b ? -1 : 1;
  }
  return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
}

int compare_key(const sort_item& a, const sort_item& b, std::string_view k) {
  auto cmp = [](const auto& x, const auto& y) {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) return casemap_compare(x, y);
    else return x < y ? -1 : y < x ? 1 : 0;
  };
  if (k == "ARRIVAL") return cmp(a.hit.info.internal_date, b.hit.info.internal_date);
  if (k == "DATE") return cmp(a.sent, b.sent);
  if (k == "SIZE") return cmp(a.hit.info.size, b.hit.info.size);
  if (k == "SUBJECT") return cmp(a.subject, b.subject);
  if (k == "FROM") return cmp(a.from, b.from);
  if (k == "TO") return cmp(a.to, b.to);
  if (k == "CC") return cmp(a.cc, b.cc);
  if (k == "DISPLAYFROM") return cmp(a.dfrom, b.dfrom);
  if (k == "DISPLAYTO") return cmp(a.dto, b.dto);
  return 0;
}

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

result<std::vector<search_hit>> sorted_hits(session_state& st, const std::vector<std::string>& criteria,
                                            const search_key& key, const std::optional<std::string>& charset,
                                            progress_meter* progress) {
  auto items = gather(st, key, charset, progress);
  if (!items) return items.error();
  std::stable_sort(items->begin(), items->end(), [&](const sort_item& a, const sort_item& b) {
    for (std::size_t i = 0; i < criteria.size(); ++i) {
      bool rev = criteria[i] == "REVERSE";
      if (rev) ++i;
      int c = compare_key(a, b, criteria[i]);
      if (c) return rev ? c > 0 : c < 0;
    }
    return a.hit.seq < b.hit.seq;  // RFC 5256 §3: ties by sequence number
  });
  std::vector<search_hit> out;
  out.reserve(items->size());
  for (auto& it : *items) out.push_back(std::move(it.hit));
  return out;
}

void op_sort(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_sort>(cmd.args);
  const bool uid = cmd.name == "UID SORT";
  if (!search_charset_ok(s.search.charset)) return r.no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  auto has = [&](std::string_view o) {
    return std::find(s.search.returns.begin(), s.search.returns.end(), o) != s.search.returns.end();
  };
  const bool update = has("UPDATE");
  // RFC 5267 §4.3: "An attempt to use UPDATE where a tag is already in use with a previous
  // searching command that itself used UPDATE SHALL result in ... a BAD response."
  if (update)
    for (const auto& c : st.sel->contexts)
      if (c.tag == cmd.tag) return r.bad("Tag reuse");
  progress_meter progress(st, cmd.tag, st.sel->uids.size());
  auto hits = sorted_hits(st, s.criteria, s.search.key, s.search.charset, &progress);
  if (!hits) return fail(r, hits.error());
  std::vector<std::uint32_t> nums;
  nums.reserve(hits->size());
  for (const auto& h : *hits) nums.push_back(uid ? h.info.uid : h.seq);
  if (!s.search.has_return) {
    std::string line = "SORT";
    for (auto n : nums) line += " " + std::to_string(n);
    r.untagged(line);
    return r.ok(cmd.name + " completed");
  }
  if (update) {
    if (st.sel->contexts.size() >= max_search_contexts) {
      // RFC 5267 §4.3.1: refused with NOUPDATE; the other return options still apply.
      std::string line = "NO [NOUPDATE ";
      write_string(line, cmd.tag);
      r.untagged(line + "] Too many search contexts");
    } else {
      // RFC 5267 §4.3.2: a SORT context's updates carry positions in the sort order, so
      // the context keeps its result in that order (search_context.hpp).
      search_context c{cmd.tag, uid, s.search.key, s.search.charset, {}, s.criteria};
      for (const auto& h : *hits) c.uids.push_back(h.info.uid);
      st.sel->contexts.push_back(std::move(c));
    }
  }
  // RFC 5267 §3 ESORT: the answer is an ESEARCH whose MIN and MAX are the first and last
  // message in sort order and whose ALL keeps that order (ranges only where it allows).
  if (has("SAVE")) {
    // RFC 5182 §2.1 with RFC 5267: "$" holds the matches (kept ascending, by uid).
    std::vector<std::uint32_t> saved;
    if (!hits->empty() && !has("ALL") && !has("COUNT") && (has("MIN") || has("MAX"))) {
      if (has("MIN")) saved.push_back(hits->front().info.uid);
      if (has("MAX")) saved.push_back(hits->back().info.uid);
    } else {
      for (const auto& h : *hits) saved.push_back(h.info.uid);
    }
    std::sort(saved.begin(), saved.end());
    saved.erase(std::unique(saved.begin(), saved.end()), saved.end());
    st.sel->saved = std::move(saved);
  }
  // UPDATE and CONTEXT (a hint, RFC 5267 §4.2) ask for no data of their own.
  std::size_t data_options = 0;
  for (const auto& o : s.search.returns)
    if (o != "SAVE" && o != "UPDATE" && o != "CONTEXT") ++data_options;
  if (has("SAVE") && data_options == 0) return r.ok(cmd.name + " completed");
  const bool all = data_options == 0 || has("ALL");  // RFC 4731 §3.1: RETURN () is ALL
  std::string line = "ESEARCH (TAG ";
  write_string(line, cmd.tag);
  line += ")";
  if (uid) line += " UID";
  if (!nums.empty()) {
    if (has("MIN")) line += " MIN " + std::to_string(nums.front());
    if (has("MAX")) line += " MAX " + std::to_string(nums.back());
  }
  if (has("COUNT")) line += " COUNT " + std::to_string(nums.size());
  if (!nums.empty() && all) line += " ALL " + compress_set(nums, true);
  if (has("PARTIAL")) {
    // RFC 5267 §4.4: the results at positions lo..hi "in the requested order" (the sort
    // order here), NIL when there are none there.
    const auto [lo, hi] = s.search.partial;
    std::vector<std::uint32_t> part;
    for (std::size_t i = lo - 1; i < nums.size() && i < hi; ++i) part.push_back(nums[i]);
    line += " PARTIAL (" + std::to_string(lo) + ":" + std::to_string(hi) + " " +
            (part.empty() ? std::string("NIL") : compress_set(part, true)) + ")";
  }
  r.untagged(line);
  r.ok(cmd.name + " completed");
}

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
