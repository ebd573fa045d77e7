// XEP-0012: Last Activity. To the server: its uptime; to an account: seconds since its last
// session ended (0 while online), only for the account itself and its presence subscribers.
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

void install_last(hub& h) {
  static const std::int64_t started = now_us();
  h.on_iq("get", "jabber:iq:last", static_cast<int>(target::server) | static_cast<int>(target::other_account) |
                                      static_cast<int>(target::own_account),
          [](hub& h, request& r, const element&) {
            element q("query", "jabber:iq:last");
            if (r.to.is_domain()) {
              q.set("seconds", std::to_string((now_us() - started) / 1000000));
              return iq_reply::ok(std::move(q));
            }
            const std::string owner = r.to.bare();
            const std::string asker = r.from.full.bare();
            if (owner != asker) {
              auto item = h.db().roster_get(owner, asker);
              // XEP-0012 §5: only to entities subscribed to the account's presence.
              if (!item || !item->sub_from) return iq_reply::error("auth", "forbidden");
            }
            std::int64_t secs = 0;
            bool online = false;
            for (const auto& s : h.sessions_of(owner)) {
              std::lock_guard lk(s->mu);
              online = online || s->available;
            }
            if (!online) {
              auto last = h.db().doc_get(owner, "last");
              if (!last) return iq_reply::error("cancel", "service-unavailable");
              secs = now_us() / 1000000 - std::stoll(*last);
            }
            q.set("seconds", std::to_string(std::max<std::int64_t>(0, secs)));
            return iq_reply::ok(std::move(q));
          });
  h.add_feature("jabber:iq:last");
}

}  // namespace hearth::xmpp::modules
