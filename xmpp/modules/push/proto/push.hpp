// The pure part of push notifications (XEP-0357): reading a client's <enable/> and
// <disable/>, and writing the notification published to its app server. No I/O; fuzzed by
// tests/fuzz/fuzz_xmpp_push.cpp.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp::push {

inline constexpr std::string_view ns_push = "urn:xmpp:push:0";
inline constexpr std::string_view ns_pubsub = "http://jabber.org/protocol/pubsub";
inline constexpr std::string_view ns_data = "jabber:x:data";
inline constexpr std::string_view publish_options_type = "http://jabber.org/protocol/pubsub#publish-options";

// Limits on what one client may make the server store and send for it.
inline constexpr std::size_t max_node = 1024;       // octets of the node name
inline constexpr std::size_t max_options = 8192;    // octets of the serialized publish-options form
inline constexpr std::size_t max_fields = 32;       // fields of that form

// One app server registration of one client.
struct registration {
  std::string jid;       // the app server (XEP-0357 §5: a JID, usually a domain)
  std::string node;      // the node on it that identifies the device
  std::string options;   // the publish-options form as the client gave it (serialized), or ""
  std::string resource;  // the resource of the session that enabled it
};

// A request read from the iq's payload: enable (jid, node, options) or disable (jid, and a
// node, "" meaning every node of that app server, XEP-0357 §6).
struct command {
  bool enable = false;
  registration reg;
};
struct parse_result {
  std::optional<command> req;
  std::string error;  // why it is a bad-request, when req is empty
};
parse_result parse(const element& payload);

// What the notification may say about the messages waiting (XEP-0357 §5 summary): nothing but
// the form type by default (privacy), the count and last sender only when the server is told.
struct summary {
  bool detailed = false;
  std::size_t message_count = 0;
  std::string last_sender;
};
// The <iq type='set'/> that publishes a notification (XEP-0357 §5, example 10) from the
// account's bare JID to the registration's app server. Never carries a message body.
element notification(std::string_view account, const registration& r, std::string_view id, const summary& s);

}  // namespace hearth::xmpp::push
