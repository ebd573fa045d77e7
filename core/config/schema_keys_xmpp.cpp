// The schema keys of XMPP: [xmpp] and [[xmpp.component]].
#include "core/config/schema_build.hpp"

namespace hearth::config::detail {

void add_xmpp_keys(std::vector<key_def>& k) {
  // [xmpp]
  k.push_back(str("xmpp.s2s_ca_file", "", "PEM CA bundle trusted for other XMPP servers' certificates, besides the system's",
                  bind<&config::xmpp_s2s_ca_file>(), syntax::path));
  k.push_back(integer("xmpp.s2s_give_up", 600, 1, day,
                      "seconds of failed outgoing federation attempts (1 s apart, doubling to 2 min) before waiting stanzas bounce",
                      bind<&config::xmpp_s2s_give_up>()));
  k.push_back(str("xmpp.muc_subdomain", "conference",
                  "group chat (XEP-0045) is served on SUBDOMAIN.DOMAIN of every domain (\"\" = no group chat)",
                  bind<&config::xmpp_muc_subdomain>()));
  k.push_back(integer("xmpp.muc_max_rooms_per_user", 100, 0, 1000000, "group chat rooms one account may own (0 = none)",
                      bind<&config::xmpp_muc_max_rooms_per_user>()));
  k.push_back(integer("xmpp.muc_max_occupants", 10000, 2, 1000000,
                      "occupants one room may hold, whatever its owner configures",
                      bind<&config::xmpp_muc_max_occupants>()));
  k.push_back(integer("xmpp.muc_messages_per_second", 10, 0, 1000000,
                      "group chat messages per second one occupant may send, bursts of 4x (0 = no limit)",
                      bind<&config::xmpp_muc_messages_per_second>()));
  k.push_back(str("xmpp.upload_subdomain", "upload",
                  "HTTP File Upload (XEP-0363) is served on SUBDOMAIN.DOMAIN of every domain, files over HTTPS at https://SUBDOMAIN.DOMAIN/upload/ (\"\" = no uploads)",
                  bind<&config::xmpp_upload_subdomain>()));
  k.push_back(integer("xmpp.upload_max_file_mb", 100, 1, 1024 * 1024, "largest file one upload may carry, in MiB",
                      bind<&config::xmpp_upload_max_file_mb>()));
  k.push_back(integer("xmpp.upload_quota_mb", 1024, 0, 1024 * 1024 * 1024,
                      "MiB of uploaded files one user may keep at once (0 = no quota)",
                      bind<&config::xmpp_upload_quota_mb>()));
  k.push_back(integer("xmpp.upload_slot_seconds", 300, 1, day,
                      "seconds an upload slot stays valid: its PUT must start before",
                      bind<&config::xmpp_upload_slot_seconds>()));
  k.push_back(integer("xmpp.upload_expire_days", 0, 0, 100000,
                      "uploaded files older than this many days are deleted (0 = kept until deleted by hand)",
                      bind<&config::xmpp_upload_expire_days>()));
  k.push_back(str("xmpp.turn_host", "",
                  "STUN/TURN server (name or address) announced to clients for calls, XEP-0215 (\"\" = none)",
                  bind<&config::xmpp_turn_host>()));
  k.push_back(integer("xmpp.turn_port", 3478, 1, 65535, "port of the STUN/TURN server (UDP and TCP)",
                      bind<&config::xmpp_turn_port>()));
  k.push_back(str("xmpp.turn_secret", "",
                  "the TURN server's shared secret (coturn: use-auth-secret, static-auth-secret); \"\" = announce STUN only",
                  bind<&config::xmpp_turn_secret>()));
  k.push_back(integer("xmpp.turn_credential_hours", 24, 1, 24 * 365, "hours the TURN credentials handed to a client stay valid",
                      bind<&config::xmpp_turn_credential_hours>()));
  k.push_back(integer("xmpp.max_stanza_size", 256ll << 10, 4ll << 10, 64ll << 20,
                      "largest stanza, in octets (stream error policy-violation above)",
                      bind<&config::xmpp_max_stanza_size>()));
  k.push_back(integer("xmpp.max_depth", 64, 8, 1024, "deepest element nesting inside a stanza",
                      bind<&config::xmpp_max_depth>()));
  k.push_back(integer("xmpp.stanzas_per_second", 50, 0, 1000000,
                      "stanzas per second one client connection may send, bursts of 4x (0 = no limit)",
                      bind<&config::xmpp_stanzas_per_second>()));
  k.push_back(integer("xmpp.max_resources", 10, 1, 100000, "resources one account may have connected at once",
                      bind<&config::xmpp_max_resources>()));
  k.push_back(integer("xmpp.max_queue", 10000, 16, 10000000,
                      "stanzas waiting for a client that does not read; beyond, its session ends (the others are served)",
                      bind<&config::xmpp_max_queue>()));
  k.push_back(integer("xmpp.offline_queue", 1000, 0, 1000000,
                      "messages stored per account while it is offline (XEP-0160); beyond, senders get an error",
                      bind<&config::xmpp_offline_queue>()));
  k.push_back(integer("xmpp.max_unauthenticated_bytes", 64ll << 10, 4ll << 10, 16ll << 20,
                      "octets a client may send before it has authenticated",
                      bind<&config::xmpp_max_unauthenticated_bytes>()));
  k.push_back(list("xmpp.web_origins", {},
                   "origins (\"https://chat.example.org\") whose pages may use XMPP over WebSocket and BOSH; empty = this server's own https origins; \"*\" = any",
                   bind<&config::xmpp_web_origins>()));
  k.push_back(integer("xmpp.component_port", 5347, 1, 65535,
                      "port of external components (XEP-0114, plain TCP: keep it on loopback); opened only when a [[xmpp.component]] is configured",
                      bind<&config::xmpp_component_port>()));
  k.push_back(list("xmpp.component_addresses", {"127.0.0.1", "::1"}, "addresses the component port binds to",
                   bind<&config::xmpp_component_addresses>(), syntax::ip).not_empty());
  k.push_back(boolean("xmpp.push_summary", false,
                      "push notifications (XEP-0357) carry the message count and the last sender; off = nothing about the message leaves the server",
                      bind<&config::xmpp_push_summary>()));
  k.push_back(integer("xmpp.push_max_per_account", 10, 0, 1000, "push registrations (devices) one account may have; 0 = push off",
                      bind<&config::xmpp_push_max_per_account>()));
  k.push_back(integer("xmpp.push_interval", 60, 0, 86400,
                      "seconds between two push notifications to one device while its messages wait unread (the first goes at once); 0 = one per message",
                      bind<&config::xmpp_push_interval>()));
  k.push_back(integer("xmpp.node_lease", 90, 4, day,
                      "several nodes on PostgreSQL: seconds a node's sessions and group chat rooms still count after its last heartbeat (a node whose database connection closed counts as gone at once)",
                      bind<&config::xmpp_node_lease>()));
  k.push_back(integer("xmpp.node_heartbeat", 5, 1, 3600,
                      "several nodes on PostgreSQL: seconds between a node's heartbeats; must be under a third of xmpp.node_lease",
                      bind<&config::xmpp_node_heartbeat>()));
  // [[xmpp.component]]: external components (XEP-0114)
  k.push_back(str("xmpp.component.domain", "", "the component's domain, e.g. \"push.example.org\"",
                  bind<&xmpp_component::domain>(), syntax::dns_name).needed());
  k.push_back(str("xmpp.component.name", "", "its name in the server's service discovery; \"\" = the domain",
                  bind<&xmpp_component::name>()));
  k.push_back(str("xmpp.component.secret_file", "", "file holding the handshake secret (first line); must be readable by the server only",
                  bind<&xmpp_component::secret_file>(), syntax::path).needed());
}

}  // namespace hearth::config::detail
