#include "xmpp/web/proto/bosh.hpp"

#include <charconv>

#include "xmpp/web/proto/framing.hpp"

namespace hearth::xmpp::web {

namespace {
constexpr std::string_view primer = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

template <typename T>
std::optional<T> number(const std::string& s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// XEP-0206 §5: xmpp:restart='true', the prefix bound to urn:xmpp:xbosh. The stream parser keeps
// no namespaced attributes (stanzas never need them), so the start tag is read here: its
// attribute values hold no '>' (the body parsed as XML).
bool restart_requested(std::string_view body) {
  const std::string_view tag = body.substr(0, body.find('>'));
  for (std::size_t at = tag.find(":restart="); at != std::string_view::npos; at = tag.find(":restart=", at + 1)) {
    std::size_t start = at;
    while (start > 0 && tag[start - 1] != ' ' && tag[start - 1] != '\t' && tag[start - 1] != '\n' && tag[start - 1] != '\r')
      --start;
    const std::string prefix(tag.substr(start, at - start));
    const std::string_view value = tag.substr(at + 9, 6);
    if (value != "'true'" && value != "\"true\"") continue;
    for (std::string q : {"'", "\""})
      if (tag.find("xmlns:" + prefix + "=" + q + std::string(ns_xbosh) + q) != std::string_view::npos) return true;
  }
  return false;
}

void client_namespace(element& e) {
  if (e.ns == ns_httpbind) e.ns = std::string(ns_client);
  for (auto& c : e.children)
    if (!c.is_text()) client_namespace(c);
}
}  // namespace

bosh_request parse_bosh(std::string_view body, parser_limits limits) {
  bosh_request r;
  stream_parser p(limits);
  std::vector<stream_event> ev;
  p.feed(primer, ev);
  ev.clear();
  p.feed(body, ev);
  if (ev.size() != 1 || ev[0].kind != stream_event::stanza || !p.hibernate()) {
    r.error = "not one well-formed element";
    return r;
  }
  element& b = ev[0].el;
  if (b.name != "body" || b.ns != ns_httpbind) {
    r.error = "not a BOSH body";
    return r;
  }
  // XEP-0124 §14.1: rid is a positive integer below 2^53.
  r.rid = number<std::uint64_t>(b.get("rid"));
  if (!r.rid || *r.rid >= (1ull << 53)) {
    r.error = "no valid rid";
    return r;
  }
  r.sid = b.get("sid");
  r.to = b.get("to");
  r.type = b.get("type");
  r.wait = number<unsigned>(b.get("wait")).value_or(0);
  // XEP-0124 §7.1 requires hold on creation; a client that leaves it out gets the usual 1.
  r.hold = number<unsigned>(b.get("hold")).value_or(1);
  r.restart = restart_requested(body);
  for (auto& c : b.children) {
    if (c.is_text()) continue;
    client_namespace(c);
    r.payloads.push_back(std::move(c));
  }
  return r;
}

namespace {
std::string payload_text(const std::vector<std::string>& payloads) {
  std::string out;
  for (const auto& p : payloads) out += ws_framing::element(p);
  return out;
}
constexpr std::string_view body_ns =
    "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmlns:stream='http://etherx.jabber.org/streams'";
}  // namespace

std::string bosh_created(const bosh_params& p, const std::vector<std::string>& payloads) {
  std::string b = "<body " + std::string(body_ns) + " sid='" + escape(p.sid) + "' wait='" + std::to_string(p.wait) +
                  "' hold='" + std::to_string(p.hold) + "' requests='" + std::to_string(p.requests) +
                  "' inactivity='" + std::to_string(p.inactivity) + "' polling='" + std::to_string(p.polling) +
                  "' ver='1.11' from='" + escape(p.from) + "' authid='" + escape(p.authid) +
                  "' secure='true' xmpp:version='1.0' xmpp:restartlogic='true'";
  if (payloads.empty()) return b + "/>";
  return b + ">" + payload_text(payloads) + "</body>";
}

std::string bosh_body(const std::vector<std::string>& payloads) {
  if (payloads.empty()) return "<body " + std::string(body_ns) + "/>";
  return "<body " + std::string(body_ns) + ">" + payload_text(payloads) + "</body>";
}

std::string bosh_terminate(std::string_view condition, const std::vector<std::string>& payloads) {
  std::string b = "<body " + std::string(body_ns) + " type='terminate'";
  if (!condition.empty()) b += " condition='" + escape(condition) + "'";
  if (payloads.empty()) return b + "/>";
  return b + ">" + payload_text(payloads) + "</body>";
}

bool polling_too_frequent(bool empty, bool prev_empty, bool prev_answered_empty, double seconds_since_prev,
                          unsigned polling) {
  return empty && prev_empty && prev_answered_empty && seconds_since_prev < polling;
}

rid_verdict check_rid(std::uint64_t rid, std::uint64_t last, unsigned window) {
  if (rid == last + 1) return rid_verdict::process;
  if (rid > last + 1 && rid <= last + window) return rid_verdict::wait;
  if (rid <= last && last - rid < window) return rid_verdict::resend;
  return rid_verdict::reject;
}

}  // namespace hearth::xmpp::web
