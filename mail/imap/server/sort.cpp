#include "mail/imap/server/sort.hpp"

#include <algorithm>
#include <type_traits>

#include "core/util/strings.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/message/address.hpp"

namespace hearth::mail::imap {
namespace {

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

}  // namespace

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

namespace {

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

}  // namespace hearth::mail::imap
