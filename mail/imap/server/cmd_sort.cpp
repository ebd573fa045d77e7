// SORT and THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>

#include "core/util/strings.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/message/address.hpp"

namespace hearth::mail::imap {
namespace {

struct sort_item {
  search_hit hit;
  std::int64_t sent = 0;  // RFC 5256 §2.2 sent date (Date:, else internal date)
  std::string subject;    // base subject
  std::string from, to, cc, dfrom, dto;
  std::string message_id;
  std::vector<std::string> refs;
};

std::string first_mailbox(const header_section& h, std::string_view field, bool display) {
  const header_field* f = h.find(field);
  if (!f) return {};
  auto list = parse_address_list(f->value);
  auto boxes = list.mailboxes();
  if (boxes.empty()) return {};
  if (display && !boxes[0].display_name.empty()) return fold_case(boxes[0].display_name);
  return fold_case(display ? boxes[0].addr_spec() : boxes[0].local_part);
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

result<std::vector<sort_item>> gather(session_state& st, const cmd_search& s) {
  auto hits = run_search(st, s.key);
  if (!hits) return hits.error();
  std::vector<sort_item> items;
  items.reserve(hits->size());
  for (auto& h : *hits) {
    sort_item it;
    it.hit = h;
    auto pm = load_message(st, h.info);
    if (!pm) return pm.error();
    const auto& hd = (*pm)->structure.root.header;
    const header_field* d = hd.find("Date");
    auto t = d ? parse_mail_date(unfold(d->value)) : std::nullopt;
    it.sent = t ? *t : h.info.internal_date;
    it.subject = base_subject(decoded_field(hd, "Subject"));
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

int compare_key(const sort_item& a, const sort_item& b, std::string_view k) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : y < x ? 1 : 0; };
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

// ---- THREAD=REFERENCES (RFC 5256 §2.2, steps 1-4 and 6; subject merging left out) ----
struct node {
  const sort_item* msg = nullptr;
  node* parent = nullptr;
  std::vector<node*> children;
};

bool is_ancestor(const node* maybe, const node* n) {
  for (const node* p = n; p; p = p->parent)
    if (p == maybe) return true;
  return false;
}

std::int64_t node_date(const node* n) {
  if (n->msg) return n->msg->sent;
  return n->children.empty() ? 0 : node_date(n->children.front());
}

std::string render(const node* n, bool uid) {
  std::string s = n->msg ? std::to_string(number(*n->msg, uid)) : "";
  if (n->children.size() == 1) return s + (s.empty() ? "" : " ") + render(n->children[0], uid);
  if (!n->children.empty()) {
    if (!s.empty()) s += ' ';
    for (const auto* c : n->children) s += "(" + render(c, uid) + ")";
  }
  return s;
}

std::string thread_references(std::vector<sort_item>& items, bool uid) {
  std::deque<node> pool;
  std::unordered_map<std::string, node*> by_id;
  auto get = [&](const std::string& id) {
    auto it = by_id.find(id);
    if (it != by_id.end()) return it->second;
    pool.emplace_back();
    return by_id[id] = &pool.back();
  };
  auto link = [&](node* parent, node* child) {
    if (child->parent || parent == child || is_ancestor(child, parent)) return;
    child->parent = parent;
    parent->children.push_back(child);
  };
  for (auto& it : items) {
    node* self;
    if (!it.message_id.empty() && !by_id.count(it.message_id)) self = get(it.message_id);
    else if (!it.message_id.empty() && !by_id[it.message_id]->msg) self = by_id[it.message_id];
    else {
      pool.emplace_back();
      self = &pool.back();
    }
    self->msg = &it;
    node* prev = nullptr;
    for (const auto& r : it.refs) {
      node* n = get(r);
      if (prev) link(prev, n);
      prev = n;
    }
    if (prev && prev != self && !is_ancestor(self, prev)) {
      if (self->parent) {  // the message's own references win (RFC 5256 step 1C)
        auto& sib = self->parent->children;
        sib.erase(std::remove(sib.begin(), sib.end(), self), sib.end());
        self->parent = nullptr;
      }
      link(prev, self);
    }
  }
  // Prune empty containers (step 4): promote their children.
  std::function<std::vector<node*>(node*)> prune = [&](node* n) -> std::vector<node*> {
    std::vector<node*> kids;
    for (auto* c : n->children)
      for (auto* k : prune(c)) kids.push_back(k);
    n->children = kids;
    for (auto* k : kids) k->parent = n;
    if (n->msg) return {n};
    if (n->parent && true) return kids;  // non-root empty: children move up
    return {n};
  };
  std::vector<node*> roots;
  for (auto& n : pool)
    if (!n.parent) {
      for (auto* r : prune(&n)) {
        if (!r->msg && r->children.empty()) continue;
        if (!r->msg && r->children.size() == 1) {  // an empty root with one child: the child is the root
          r = r->children[0];
          r->parent = nullptr;
        }
        roots.push_back(r);
      }
    }
  // Step 6: siblings by sent date, ties by number.
  std::function<void(node*)> sort_kids = [&](node* n) {
    for (auto* c : n->children) sort_kids(c);
    std::stable_sort(n->children.begin(), n->children.end(), [](const node* a, const node* b) {
      return node_date(a) < node_date(b);
    });
  };
  for (auto* r : roots) sort_kids(r);
  std::stable_sort(roots.begin(), roots.end(), [](const node* a, const node* b) { return node_date(a) < node_date(b); });
  std::string out;
  for (auto* r : roots) out += "(" + render(r, uid) + ")";
  return out;
}

std::string thread_ordered_subject(std::vector<sort_item>& items, bool uid) {
  std::stable_sort(items.begin(), items.end(), [](const sort_item& a, const sort_item& b) {
    if (a.subject != b.subject) return a.subject < b.subject;
    return a.sent < b.sent;
  });
  std::vector<std::vector<const sort_item*>> threads;
  for (const auto& it : items) {
    if (threads.empty() || threads.back().front()->subject != it.subject) threads.emplace_back();
    threads.back().push_back(&it);
  }
  std::stable_sort(threads.begin(), threads.end(),
                   [](const auto& a, const auto& b) { return a.front()->sent < b.front()->sent; });
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

void op_sort(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_sort>(cmd.args);
  const bool uid = cmd.name == "UID SORT";
  if (!search_charset_ok(s.search.charset)) return r.no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  auto items = gather(st, s.search);
  if (!items) return fail(r, items.error());
  std::stable_sort(items->begin(), items->end(), [&](const sort_item& a, const sort_item& b) {
    for (std::size_t i = 0; i < s.criteria.size(); ++i) {
      bool rev = s.criteria[i] == "REVERSE";
      if (rev) ++i;
      int c = compare_key(a, b, s.criteria[i]);
      if (c) return rev ? c > 0 : c < 0;
    }
    return a.hit.seq < b.hit.seq;  // RFC 5256 §3: ties by sequence number
  });
  std::string line = "SORT";
  for (const auto& it : *items) line += " " + std::to_string(number(it, uid));
  r.untagged(line);
  r.ok(cmd.name + " completed");
}

void op_thread(session_state& st, const command& cmd, reply& r) {
  const auto& t = std::get<cmd_thread>(cmd.args);
  const bool uid = cmd.name == "UID THREAD";
  if (t.algorithm != "REFERENCES" && t.algorithm != "ORDEREDSUBJECT") return r.bad("Unknown THREAD algorithm");
  if (!search_charset_ok(t.search.charset)) return r.no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  auto items = gather(st, t.search);
  if (!items) return fail(r, items.error());
  std::string body = t.algorithm == "REFERENCES" ? thread_references(*items, uid) : thread_ordered_subject(*items, uid);
  r.untagged("THREAD " + body);
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
