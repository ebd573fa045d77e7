// BOSH (XEP-0124) carrying XMPP (XEP-0206), without I/O: the request <body/> parsed into its
// attributes and payload elements, the response bodies, and the request-id window. The HTTP
// side and the session that joins requests to a c2s link are in bosh_session.cpp.
//
// The request body goes through the same expat stream parser as TCP (restricted XML, depth and
// attribute limits); its size is bounded by the caller (the HTTP body limit and max_body).
// Payload elements written without a namespace (inheriting the body's httpbind namespace) are
// taken as jabber:client, which is what they mean (XEP-0206 §9). Pure; thread-compatible.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::web {

inline constexpr std::string_view ns_httpbind = "http://jabber.org/protocol/httpbind";
inline constexpr std::string_view ns_xbosh = "urn:xmpp:xbosh";

struct bosh_request {
  std::string error;  // not empty: the body was not a BOSH body ("bad-request")
  std::optional<std::uint64_t> rid;
  std::string sid;   // empty: a session creation request
  std::string to;
  std::string type;  // "terminate" or ""
  unsigned wait = 0;
  unsigned hold = 0;
  bool restart = false;  // xmpp:restart='true' (XEP-0206 §5)
  std::vector<element> payloads;
};

bosh_request parse_bosh(std::string_view body, parser_limits limits);

struct bosh_params {
  std::string sid;
  std::string from;    // the domain
  std::string authid;  // the stream id
  unsigned wait = 60;
  unsigned hold = 1;
  unsigned requests = 2;
  unsigned inactivity = 60;
  unsigned polling = 2;
};
// XEP-0124 §7.1 / XEP-0206 §5: the session creation response around `payloads`.
std::string bosh_created(const bosh_params& p, const std::vector<std::string>& payloads);
// A response body around payloads (serialized as for a stream: see ws_framing::element).
std::string bosh_body(const std::vector<std::string>& payloads);
// XEP-0124 §17: the session ends; `condition` empty for a normal end.
std::string bosh_terminate(std::string_view condition, const std::vector<std::string>& payloads = {});

// XEP-0124 §11 (overactivity): an empty new request (no payload, no restart, no terminate)
// that follows an empty one by less than `polling` seconds, when the answer to that one was
// empty too, is a client polling faster than allowed: the session ends with policy-violation.
bool polling_too_frequent(bool empty, bool prev_empty, bool prev_answered_empty, double seconds_since_prev,
                          unsigned polling);

// XEP-0124 §14: where a request stands against the last one processed.
enum class rid_verdict {
  process,  // the next one
  wait,     // ahead of the next one, within the window: wait for the ones before it
  resend,   // already answered and still remembered: the same answer again
  reject,   // outside the window: the session ends with item-not-found
};
rid_verdict check_rid(std::uint64_t rid, std::uint64_t last, unsigned window);

}  // namespace hearth::xmpp::web
