// GET /api/v1/admin/decisions?q=ADDRESS|IP&limit=N&before=T: what was decided about incoming
// mail (blocklist hits, greylisting, spam score and verdict, accepted or refused and why),
// newest first, for "what happened to the mail from X?".
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

constexpr std::size_t default_limit = 100, max_limit = 1000;

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::optional<std::int64_t> number(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

http::response decisions(const services& s, call& c) {
  std::string q = http::query_param(c.req.query, "q").value_or("");
  if (q.size() > 320) return fail_with(400, "invalid", "q is too long");
  std::string address, ip;
  // One search box: an address (sender or recipient) or a client IP.
  if (q.find('@') != std::string::npos) address = q;
  else if (is_ip(q)) ip = q;
  else if (!q.empty()) return fail_with(400, "invalid", "q must be an email address or an IP address");
  std::size_t limit = default_limit;
  if (auto l = http::query_param(c.req.query, "limit"); l && !l->empty()) {
    auto n = number(*l);
    if (!n || *n < 1) return fail_with(400, "invalid", "limit must be a positive number");
    limit = std::min<std::size_t>(static_cast<std::size_t>(*n), max_limit);
  }
  std::int64_t before = 0;
  if (auto b = http::query_param(c.req.query, "before"); b && !b->empty()) {
    auto n = number(*b);
    if (!n) return fail_with(400, "invalid", "before must be Unix seconds");
    before = *n;
  }
  auto found = s.server.decisions(address, ip, before, limit);
  if (!found) return store_error(found.error());
  json::array out;
  for (const auto& d : *found) {
    json::array rcpts;
    for (const auto& r : d.rcpts) rcpts.push_back(r);
    json::object o;
    o.set("seq", d.seq).set("time", d.time).set("session", d.session).set("id", d.id).set("ip", d.ip)
        .set("helo", d.helo).set("from", d.from).set("rcpts", json::value(std::move(rcpts))).set("stage", d.stage)
        .set("outcome", d.outcome).set("filter", d.filter).set("reply", d.reply).set("score", d.score)
        .set("symbols", d.symbols).set("dnsbl", d.dnsbl).set("greylist", d.greylist).set("spam", d.spam);
    out.push_back(json::value(std::move(o)));
  }
  json::object o;
  o.set("kept", s.cfg.filter_decisions_days > 0)
      .set("days", static_cast<std::uint64_t>(s.cfg.filter_decisions_days))
      .set("decisions", json::value(std::move(out)));
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_decision_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/decisions", access::admin, [s](call& c) { return decisions(*s, c); }});
}

}  // namespace hearth::web::admin
