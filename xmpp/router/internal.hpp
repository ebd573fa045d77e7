// Functions shared by the router's own files (not part of its interface).
#pragma once
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp {

iq_reply roster_get(hub& h, request& r, const element& query);  // roster.cpp
iq_reply roster_set(hub& h, request& r, const element& query);

}  // namespace hearth::xmpp
