#include "xmpp/router/handover.hpp"

#include <charconv>

#include "xmpp/stream/jid.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp {

namespace {

// Node ids, nonces and resumption ids: printable, no space, bounded (they also name log lines).
bool valid_token(std::string_view t) {
  if (t.empty() || t.size() > 256) return false;
  for (unsigned char c : t)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

template <class T>
std::optional<T> number(const element& e, std::string_view name) {
  auto v = e.attr(name);
  if (!v || v->empty() || v->size() > 11) return std::nullopt;
  T out{};
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) return std::nullopt;
  return out;
}

// Flags are written as '1' or left out; anything else is not ours.
std::optional<bool> flag(const element& e, std::string_view name) {
  auto v = e.attr(name);
  if (!v) return false;
  if (*v == "1") return true;
  return std::nullopt;
}

bool full_jid(std::string_view s) {
  auto j = jid::parse(s);
  return j && !j->local.empty() && !j->resource.empty() && j->full() == s;
}

bool stanza_name(std::string_view n) { return n == "message" || n == "presence" || n == "iq"; }

}  // namespace

element encode_handover_request(const handover_request& r) {
  element e("resume", std::string(ns_handover));
  e.set("user", r.user).set("node", r.node).set("ask", r.ask).set("hops", std::to_string(r.hops));
  return e;
}

std::optional<handover_request> decode_handover_request(const element& e) {
  if (e.name != "resume" || e.ns != ns_handover || !e.children.empty()) return std::nullopt;
  handover_request r;
  r.user = e.get("user");
  r.node = e.get("node");
  r.ask = e.get("ask");
  auto hops = number<unsigned>(e, "hops");
  if (!hops || *hops > handover_limits::max_hops) return std::nullopt;
  r.hops = *hops;
  auto user = jid::parse(r.user);
  if (!user || user->local.empty() || !user->is_bare() || user->bare() != r.user) return std::nullopt;
  if (!valid_token(r.node) || !valid_token(r.ask)) return std::nullopt;
  return r;
}

std::optional<element> encode_handover(const handover_state& s, std::string_view ask, const handover_limits& lim) {
  if (!full_jid(s.full) || !valid_token(s.sm_id) || !valid_token(ask)) return std::nullopt;
  if (s.unacked.size() > lim.max_stanzas || s.directed.size() > lim.max_directed || s.held.size() > lim.max_held)
    return std::nullopt;
  std::size_t bytes = 0;
  for (const auto& q : s.unacked) bytes += q.xml.size();
  for (const auto& p : s.held) {
    if (p.name != "presence" || p.ns != ns_client || !p.attr("from")) return std::nullopt;
    bytes += serialize(p).size();
  }
  if (bytes > lim.max_bytes) return std::nullopt;
  element e("handover", std::string(ns_handover));
  e.set("ask", ask).set("jid", s.full).set("id", s.sm_id);
  e.set("in", std::to_string(s.in_count)).set("out", std::to_string(s.out_seq));
  e.set("priority", std::to_string(s.priority));
  if (s.available) e.set("available", "1");
  if (s.interested) e.set("interested", "1");
  if (s.carbons) e.set("carbons", "1");
  if (s.inactive) e.set("inactive", "1");
  if (s.presence) e.add("last", std::string(ns_handover)).add(*s.presence);
  for (const auto& d : s.directed) {
    if (!jid::parse(d)) return std::nullopt;
    e.add("directed", std::string(ns_handover)).set("jid", d);
  }
  for (const auto& p : s.held) e.add("held", std::string(ns_handover)).add(p);
  for (const auto& q : s.unacked) {
    auto& c = e.add("q", std::string(ns_handover));
    c.set("seq", std::to_string(q.seq));
    c.add_text(q.xml);
  }
  return e;
}

element encode_handover_failed(std::string_view ask, std::string_view condition) {
  element e("handover", std::string(ns_handover));
  e.set("ask", ask).set("failed", condition);
  return e;
}

std::optional<handover_answer> decode_handover(const element& e, const handover_limits& lim) {
  if (e.name != "handover" || e.ns != ns_handover) return std::nullopt;
  handover_answer a;
  a.ask = e.get("ask");
  if (!valid_token(a.ask)) return std::nullopt;
  if (auto f = e.attr("failed")) {
    if (!valid_token(*f) || !e.children.empty() || e.attrs.size() != 2) return std::nullopt;
    a.failed = *f;
    return a;
  }
  handover_state s;
  s.full = e.get("jid");
  s.sm_id = e.get("id");
  if (!full_jid(s.full) || !valid_token(s.sm_id)) return std::nullopt;
  auto in = number<std::uint32_t>(e, "in");
  auto out = number<std::uint32_t>(e, "out");
  auto prio = number<int>(e, "priority");
  // RFC 6121 §4.7.2.3: a priority is between -128 and +127.
  if (!in || !out || !prio || *prio < -128 || *prio > 127) return std::nullopt;
  s.in_count = *in;
  s.out_seq = *out;
  s.priority = *prio;
  auto available = flag(e, "available"), interested = flag(e, "interested"), carbons = flag(e, "carbons"),
       inactive = flag(e, "inactive");
  if (!available || !interested || !carbons || !inactive) return std::nullopt;
  s.available = *available;
  s.interested = *interested;
  s.carbons = *carbons;
  s.inactive = *inactive;
  std::size_t bytes = 0;
  for (const auto& c : e.children) {
    if (c.is_text()) {
      // Only whitespace may sit between the parts.
      if (c.text.find_first_not_of(" \t\r\n") != std::string::npos) return std::nullopt;
      continue;
    }
    if (c.ns != ns_handover) return std::nullopt;
    if (c.name == "last") {
      const element* p = c.first_child();
      if (s.presence || !p || p->name != "presence" || p->ns != ns_client) return std::nullopt;
      s.presence = *p;
    } else if (c.name == "held") {
      const element* p = c.first_child();
      if (!p || p->name != "presence" || p->ns != ns_client || !p->attr("from") || s.held.size() >= lim.max_held)
        return std::nullopt;
      bytes += serialize(*p).size();
      if (bytes > lim.max_bytes) return std::nullopt;
      s.held.push_back(*p);
    } else if (c.name == "directed") {
      auto d = c.attr("jid");
      if (!d || !jid::parse(*d) || s.directed.size() >= lim.max_directed) return std::nullopt;
      s.directed.push_back(*d);
    } else if (c.name == "q") {
      auto seq = number<std::uint32_t>(c, "seq");
      if (!seq || s.unacked.size() >= lim.max_stanzas) return std::nullopt;
      std::string xml = c.body();
      bytes += xml.size();
      if (bytes > lim.max_bytes) return std::nullopt;
      // Sent to the client as it is: it must be one stanza and nothing else.
      auto st = parse_fragment(xml);
      if (!st || !stanza_name(st->name) || st->ns != ns_client) return std::nullopt;
      s.unacked.push_back({*seq, std::move(xml)});
    } else {
      return std::nullopt;
    }
  }
  a.state = std::move(s);
  return a;
}

}  // namespace hearth::xmpp
