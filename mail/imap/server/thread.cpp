// RFC 5256 §2.2 REFERENCES. Containers live in a deque (stable addresses); a container without
// a message is a "dummy".
#include "mail/imap/server/thread.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>

namespace hearth::mail::imap {
namespace {

struct node {
  const thread_input* msg = nullptr;
  std::size_t order = 0;  // mailbox position of msg, for ties
  node* parent = nullptr;
  std::vector<node*> children;
};

bool reachable(const node* from, const node* to) {  // `to` is `from` or one of its ancestors
  for (const node* p = from; p; p = p->parent)
    if (p == to) return true;
  return false;
}

void unlink(node* n) {
  if (!n->parent) return;
  auto& sib = n->parent->children;
  sib.erase(std::remove(sib.begin(), sib.end(), n), sib.end());
  n->parent = nullptr;
}

void adopt(node* parent, node* child) {
  child->parent = parent;
  parent->children.push_back(child);
}

// Step 4 on the children of `n` (the root set is handled by the caller).
void prune_children(node* n) {
  std::vector<node*> kept;
  for (node* c : n->children) {
    prune_children(c);
    if (c->msg) {
      kept.push_back(c);
    } else {
      // 4.A: an empty dummy goes; 4.B: a dummy's children move up to this level.
      for (node* g : c->children) {
        g->parent = n;
        kept.push_back(g);
      }
    }
  }
  n->children = std::move(kept);
}

const node* first_message(const node* n) {
  return n->msg || n->children.empty() ? n : first_message(n->children.front());
}

bool earlier(const node* a, const node* b) {
  // Step 6: by sent date, a dummy by its first child; ties keep mailbox order.
  const node* x = first_message(a);
  const node* y = first_message(b);
  std::int64_t dx = x->msg ? x->msg->sent : 0, dy = y->msg ? y->msg->sent : 0;
  if (dx != dy) return dx < dy;
  return x->order < y->order;
}

void sort_tree(node* n) {
  for (node* c : n->children) sort_tree(c);
  std::stable_sort(n->children.begin(), n->children.end(), earlier);
}

void render(const node* n, std::string& out) {
  if (n->msg) {
    out += std::to_string(n->msg->number);
    if (n->children.size() == 1) {
      out += ' ';
      render(n->children[0], out);
      return;
    }
    if (!n->children.empty()) out += ' ';
  }
  if (n->children.size() == 1 && !n->msg) return render(n->children[0], out);
  for (const node* c : n->children) {
    out += '(';
    render(c, out);
    out += ')';
  }
}

}  // namespace

std::string thread_references(const std::vector<thread_input>& msgs) {
  std::deque<node> pool;
  std::unordered_map<std::string, node*> by_id;
  auto container = [&](const std::string& id) {
    auto [it, fresh] = by_id.try_emplace(id, nullptr);
    if (fresh) {
      pool.emplace_back();
      it->second = &pool.back();
    }
    return it->second;
  };

  // Step 1.
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const auto& m = msgs[i];
    // 1.B (done first so references naming the message itself find it): a duplicate or
    // missing Message-ID gets a container of its own.
    node* self;
    auto it = m.message_id.empty() ? by_id.end() : by_id.find(m.message_id);
    if (!m.message_id.empty() && (it == by_id.end() || !it->second->msg)) {
      self = container(m.message_id);
    } else {
      pool.emplace_back();
      self = &pool.back();
    }
    self->msg = &m;
    self->order = i;
    // 1.A: link the references in order; existing links stay; no loops.
    node* prev = nullptr;
    for (const auto& r : m.refs) {
      node* n = container(r);
      if (prev && !n->parent && n != prev && !reachable(prev, n)) adopt(prev, n);
      prev = n;
    }
    // 1.C: the last reference is the parent, whatever was presumed before.
    unlink(self);
    if (prev && prev != self && !reachable(prev, self)) adopt(prev, self);
  }

  // Steps 2 and 4: the root set, pruned. A dummy at the root keeps its children unless it has
  // just one (4.B: promotion to the root only for a single child).
  std::vector<node*> roots;
  for (auto& n : pool) {
    if (n.parent) continue;
    prune_children(&n);
    if (n.msg) {
      roots.push_back(&n);
    } else if (n.children.size() == 1) {
      n.children[0]->parent = nullptr;
      roots.push_back(n.children[0]);
    } else if (!n.children.empty()) {
      roots.push_back(&n);
    }
  }

  // Step 5: threads whose top messages share a base subject are gathered.
  auto subject_of = [](const node* n) -> const thread_input* {
    // 5.B: a dummy's subject is its first child's (first by step 6 order).
    if (n->msg) return n->msg;
    const node* first = *std::min_element(n->children.begin(), n->children.end(), earlier);
    return first->msg;
  };
  std::unordered_map<std::string, node*> table;
  for (node* r : roots) {
    const thread_input* s = subject_of(r);
    if (!s || s->base_subject.empty()) continue;
    auto [it, fresh] = table.try_emplace(s->base_subject, r);
    if (fresh) continue;
    // 5.C: prefer a dummy, then a thread whose subject is not a reply/forward.
    node* old = it->second;
    if ((!r->msg && old->msg) || (old->msg && r->msg && old->msg->reply && !r->msg->reply)) it->second = r;
  }
  std::vector<node*> merged_roots;
  for (node* r : roots) {
    const thread_input* s = subject_of(r);
    if (!s || s->base_subject.empty()) {
      merged_roots.push_back(r);
      continue;
    }
    node*& t = table[s->base_subject];
    if (t == r) {
      merged_roots.push_back(r);
      continue;
    }
    if (!t->msg && !r->msg) {
      // 5.D: both dummies: r's children join the table's.
      for (node* c : r->children) adopt(t, c);
      r->children.clear();
    } else if (!t->msg) {
      adopt(t, r);  // the dummy takes the message
    } else if (!r->msg) {
      // The table's message joins this dummy, which takes its place.
      pool.emplace_back();
      node* d = &pool.back();  // keep r where it is in the root order by swapping roles
      *d = *t;
      for (node* c : d->children) c->parent = d;
      t->msg = nullptr;
      t->children.clear();
      for (node* c : r->children) adopt(t, c);
      r->children.clear();
      adopt(t, d);
    } else if (!t->msg->reply && r->msg->reply) {
      adopt(t, r);  // a reply goes under the original
    } else {
      // Neither is clearly the original: both under a new dummy in the table's place.
      pool.emplace_back();
      node* d = &pool.back();
      *d = *t;
      for (node* c : d->children) c->parent = d;
      t->msg = nullptr;
      t->children.clear();
      adopt(t, d);
      adopt(t, r);
    }
  }

  // Step 6 and 7.
  std::vector<node*> top;
  for (node* r : merged_roots)
    if (!r->parent && (r->msg || !r->children.empty())) top.push_back(r);
  for (node* r : top) sort_tree(r);
  std::stable_sort(top.begin(), top.end(), earlier);
  std::string out;
  for (const node* r : top) {
    out += '(';
    render(r, out);
    out += ')';
  }
  return out;
}

}  // namespace hearth::mail::imap
