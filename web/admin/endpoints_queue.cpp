// /api/v1/admin/queue: every queued message with each recipient's last remote reply; retry
// now, bounce, delete (the same store calls as `hearth queue flush|bounce|delete`).
#include "core/log/log.hpp"
#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

http::response list(const services& s, call&) {
  auto q = s.server.queue();
  if (!q) return store_error(q.error());
  json::array out;
  for (const auto& m : *q) {
    json::array rcpts;
    for (const auto& r : m.rcpts) {
      json::object o;
      o.set("address", r.address)
          .set("status", r.status)
          .set("attempts", r.attempts)
          .set("next_attempt", r.next_attempt)
          .set("last_attempt", r.last_attempt)
          .set("last_reply", r.last_reply)
          .set("last_status", r.last_status)
          .set("relay", r.relay);
      rcpts.push_back(json::value(std::move(o)));
    }
    json::object o;
    o.set("id", m.id)
        .set("from", m.from)
        .set("auth_user", m.auth_user)
        .set("size", m.size)
        .set("created", m.created)
        .set("recipients", json::value(std::move(rcpts)));
    out.push_back(json::value(std::move(o)));
  }
  json::object o;
  o.set("messages", json::value(std::move(out)));
  return ok(json::value(std::move(o)));
}

http::response act(const services& s, call& c, queue_action a, const char* event, const char* counted) {
  std::string id = c.param("id");
  auto r = s.server.queue_act(id, a);
  if (!r) return store_error(r.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", event}, {"id", id}});
  json::object o;
  o.set("id", id).set(counted, *r);
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_queue_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/queue", access::admin, [s](call& c) { return list(*s, c); }});
  a.add({"POST", "/api/v1/admin/queue/{id}/retry", access::admin,
         [s](call& c) { return act(*s, c, queue_action::retry, "queue_retry", "recipients_due"); }});
  a.add({"POST", "/api/v1/admin/queue/{id}/bounce", access::admin,
         [s](call& c) { return act(*s, c, queue_action::bounce, "queue_bounce", "recipients_bounced"); }});
  a.add({"DELETE", "/api/v1/admin/queue/{id}", access::admin,
         [s](call& c) { return act(*s, c, queue_action::remove, "queue_delete", "recipients_removed"); }});
}

}  // namespace hearth::web::admin
