// The signed-in user's own account: GET /api/v1/account.
#include "directory/directory.hpp"
#include "web/endpoints.hpp"

namespace hearth::web {

void add_account_endpoints(api& a, const services& s, const options&) {
  a.add({"GET", "/api/v1/account", access::user, [s](call& c) {
           auto acc = s.dir.find_account(c.who.address);
           if (!acc) return fail_with(404, "not_found", "the account no longer exists");
           json::object o;
           o.set("address", acc->address);
           o.set("display_name", acc->display_name);
           o.set("domain", acc->address.substr(acc->address.find('@') + 1));
           o.set("admin", acc->admin);
           o.set("quota_bytes", acc->quota_bytes);
           o.set("created", acc->created);
           auto used = s.mail_usage ? s.mail_usage(acc->address) : std::nullopt;
           o.set("used_bytes", used ? json::value(*used) : json::value());
           auto trained = s.spam_trained ? s.spam_trained(acc->address) : std::nullopt;
           if (trained) {
             json::object t;
             t.set("spam", trained->first).set("ham", trained->second);
             o.set("spam_trained", json::value(std::move(t)));
           } else {
             o.set("spam_trained", json::value());
           }
           return ok(json::value(std::move(o)));
         }});

  // The login history the throttle keeps (directory): where the account signed in from, and
  // failed logins and blocks, so the user can see an attack.
  a.add({"GET", "/api/v1/account/logins", access::user, [s](call& c) {
           json::array known, events;
           for (const auto& l : s.dir.login_addresses(c.who.address)) {
             json::object o;
             o.set("ip", l.ip).set("first_seen", l.first_seen).set("last_seen", l.last_seen);
             known.push_back(json::value(std::move(o)));
           }
           for (const auto& e : s.dir.login_events(c.who.address, 50)) {
             json::object o;
             o.set("at", e.at).set("ip", e.ip).set("proto", e.proto).set("event", e.event);
             events.push_back(json::value(std::move(o)));
           }
           json::object o;
           o.set("addresses", json::value(std::move(known))).set("events", json::value(std::move(events)));
           return ok(json::value(std::move(o)));
         }});
}

}  // namespace hearth::web
