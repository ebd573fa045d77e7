// ARC, the Authenticated Received Chain (RFC 8617): each intermediary that handles a message
// adds a set of three fields with its instance number i=: ARC-Authentication-Results (what it
// saw when the message came in), ARC-Message-Signature (a DKIM signature of the message as it
// leaves) and ARC-Seal (a signature over all the sets so far, with cv= the state of the chain
// it received). A receiver that trusts the sealer can then rely on the authentication results
// recorded before a forwarder changed the envelope or the message.
//
// Sans-I/O like dkim.hpp: arc_key_names() says which key records verification needs, the
// caller fetches them, verify_arc() decides. Pure and thread-safe.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::mailauth {

inline constexpr int max_arc_instances = 50;  // RFC 8617 §4.2.1: i= is 1..50

// The key names ("SELECTOR._domainkey.DOMAIN") of every ARC-Seal and ARC-Message-Signature of
// the message: all that verify_arc() may need. Empty when there is no ARC field.
std::set<std::string> arc_key_names(const header_section& h);

struct arc_verification {
  std::string result = "none";  // "none" | "pass" | "fail" (RFC 8617 §4.4 cv values)
  int instances = 0;            // N, the highest i=
  int oldest_pass = 0;          // §5.2 step 5: lowest instance whose AMS and all later ones
                                // still verify; 0 when all do
  std::string domain;           // d= of the newest ARC-Seal
  std::string reason;           // why it failed, for A-R comments and logs
};

// RFC 8617 §5.2 over `message` (header `h` parsed from it). `keys` holds the answers for the
// names arc_key_names() gave (a missing one counts as "no key": the chain fails). With `body`
// set, `message` is the header section only and the body hashes read the body through it.
arc_verification verify_arc(std::string_view message, const header_section& h,
                            const std::map<std::string, key_answer>& keys, const body_pieces& body = {});

// The ARC set a sealer adds (RFC 8617 §5.1) to `message`, as the three fields in the order
// to put on top (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results), each ending in
// CRLF. `authserv_id` names our Authentication-Results field in the message: its results go
// into the ARC-Authentication-Results, and its arc= result becomes cv= (none without an
// earlier chain). Only rsa-sha256 keys (§4.1.3 names no other algorithm).
// A chain we found failed gets one more set with cv=fail, which tells later handlers to stop.
// Errors: "arc.limit" (the chain already has 50 sets), "arc.chain_failed" (its newest seal
// already says cv=fail: no further set, §5.1.2), "arc.unverified" (a chain exists but our
// results hold no arc=), "dkim.key", "dkim.sign".
// With `body` set, `message` is the header section only and the AMS body hash reads the body
// through it ("dkim.sign" when it cannot be read).
result<std::string> arc_seal(std::string_view message, const signing_key& key, std::string_view authserv_id,
                             std::int64_t now, const body_pieces& body = {});

}  // namespace hearth::mail::mailauth
