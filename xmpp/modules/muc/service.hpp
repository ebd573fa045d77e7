// Group chat (XEP-0045) as a component of the hub on SUBDOMAIN.DOMAIN for each local domain:
// it owns the rooms (room.hpp), their locks and their persistence (store.hpp), answers the
// service's own discovery, the rooms' archives (XEP-0313 on the room JID), self-pings
// (XEP-0410) and room vCards, and sends what the rooms produce through the hub.
//
// Thread-safety: the hub may call in from any thread; one lock per room orders its stanzas,
// so every occupant sees a room's messages in the same order.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "xmpp/modules/muc/room.hpp"
#include "xmpp/modules/muc/store.hpp"

namespace hearth::xmpp {
class hub;
}

namespace hearth::xmpp::muc {

struct service_options {
  std::string subdomain = "conference";
  std::string secret;                 // keys occupant ids (XEP-0421); the server's secret
  unsigned max_rooms_per_user = 100;  // rooms one account may create and own
  limits room_limits;
};

class service;
// Registers SUBDOMAIN.D as a hub component for every D in `domains`, loads their stored
// rooms, and adds the features. Call before the listeners start; keep the result alive as
// long as the hub.
std::shared_ptr<service> install(hub& h, muc_store& st, service_options o, const std::vector<std::string>& domains);

}  // namespace hearth::xmpp::muc
