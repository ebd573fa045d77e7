// One delivery attempt of one message to the recipients of one domain (RFC 5321 §5): MX look-up
// by preference (fallback to the domain's A/AAAA, null MX of RFC 7505 is a permanent failure),
// then for each host and address until one answers: EHLO (HELO as a fallback), opportunistic
// STARTTLS (RFC 3207; the certificate is not verified, as Postfix's `may` level; a failed
// handshake is retried once in plaintext), MAIL FROM with SIZE/RET/ENVID/BODY when advertised,
// RCPT TO with NOTIFY/ORCPT when DSN is advertised, then BDAT (CHUNKING) or DATA, QUIT.
// One connection serves every recipient of the domain. Every read has a deadline.
//
// Routes (route.hpp): a route matching the domain, or else one of its MX hosts, with a `relay`
// sends the attempt to that smarthost instead (AUTH PLAIN or LOGIN when the route has
// credentials, only once STARTTLS succeeded: a password never crosses in plaintext, so a relay
// without STARTTLS defers the message). `via` forces a relay: the queue's fallback after a
// blocklist refusal.
//
// MTA-STS (RFC 8461 §4-5): with an `enforce` policy only the MX hosts it lists are tried, and
// each only over STARTTLS with a certificate valid for its name (checked against the trust
// store of `tls`); a host that fails is skipped, and when none is left the attempt defers with
// 4.7.5 and the reason. A `testing` policy changes nothing but logs what enforce would refuse.
//
// DANE (RFC 7672, dane_policy.hpp): when the MX answer was DNSSEC-secure, each MX host whose
// address answers were secure has its TLSA records at _PORT._tcp.HOST looked up; a secure,
// usable TLSA RRset makes STARTTLS mandatory for that host and the chain must match a record
// (dane_check), or the host is skipped with the reason; a failed or bogus TLSA look-up skips
// the host; when no host is left the attempt defers with 4.7.5. A domain with DANE on any
// of its MX hosts is not subject to its MTA-STS policy (RFC 8461 §2: DANE wins); its hosts
// without TLSA records get opportunistic TLS.
//
// REQUIRETLS (RFC 8689 §4.2.1): the host must be authenticated, by DANE, or else by an MTA-STS
// policy (whatever its mode) that lists the MX host and a certificate valid for its name; it
// must advertise REQUIRETLS, and MAIL FROM carries REQUIRETLS on. A relay route's relay must
// pass the MTA-STS checks. When no host qualifies the recipients fail permanently with 5.7.30.
//
// Each connection's policy and its outcome (tls_policy.hpp) is logged as one line,
// `smtp.out.tls_policy id= domain= host= relay= policy=none|sts|dane result=ok|fail
// [type= reason=]`, and kept in attempt_result::policies.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mail/queue/dane_policy.hpp"
#include "mail/queue/queue.hpp"
#include "mail/queue/mta_sts.hpp"
#include "mail/queue/route.hpp"
#include "mail/queue/store.hpp"
#include "mail/queue/tls_policy.hpp"

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::queue {

// The message an attempt sends, read from the queue in pieces and CRLF-normalised as it goes
// out (reply.hpp's wire_encoder), so an attempt holds about one piece of it however large it
// is. `size` and `eight_bit` describe the normalised message (SIZE=, BDAT's count,
// BODY=8BITMIME), measured by the caller before the attempt.
struct outbound_message {
  std::uint64_t size = 0;
  bool eight_bit = false;
  // A reader of the queued octets from the start; called once per transaction, and the
  // reader's next() on the blocking pool. Blocking.
  std::function<result<std::unique_ptr<message_reader>>()> open;
};

struct attempt_request {
  std::string queue_id;  // for trace logs
  std::string domain;
  std::string from;
  std::vector<recipient> rcpts;
  std::string ret, envid;
  std::shared_ptr<const outbound_message> message;
  std::string helo;
  std::uint16_t port = 25;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  boost::asio::ip::address bind_v4, bind_v6;  // source addresses; unspecified: the system's choice
  dns::resolver* resolver = nullptr;
  boost::asio::ssl::context* tls = nullptr;
  const std::vector<route>* routes = nullptr;  // [[smtp.route]], first match wins; null: none
  const relay_address* via = nullptr;          // go to this relay, routes and MX aside
  std::string username, password;              // AUTH at `via`
  const sts_policy* sts = nullptr;             // the domain's MTA-STS policy, null if none
  bool requiretls = false;                     // RFC 8689 (see above)
  // DANE state of an MX host (dane_policy.hpp), asked only when the MX answer was secure and
  // the resolver validates; empty: dane_lookup() each time. The queue answers from its memory
  // of recent decisions (queue.cpp).
  std::function<boost::asio::awaitable<dane_host>(const std::string& host, std::uint16_t port)> dane_for;
};

struct rcpt_result {
  enum class kind { delivered, temporary, permanent };
  kind k = kind::temporary;
  std::string reply;   // "550 5.1.1 no such user" or our own sentence
  std::string status;  // enhanced status code: "5.1.1"
};

struct attempt_result {
  std::vector<rcpt_result> rcpts;  // one per request rcpt, same order
  std::string relay;               // "host[ip]:port" of the host that answered, "" if none
  std::string remote_host;         // the MX host name, "" if none
  bool tls = false;                // the transaction ran over TLS
  bool remote_dsn = false;         // the server that took it offered DSN (RFC 3461)
  const route* matched = nullptr;  // the route that matched (in request.routes), null if none
  bool via_relay = false;          // the attempt went to a relay, not to the MX hosts
  std::string local_ip;            // our source address on the last connection, "" if none
  bool verified = false;           // the transaction ran over TLS with a certificate valid for the host
                                   // (MTA-STS, WebPKI) or matching its TLSA records (DANE)
  std::vector<tls_session_policy> policies;  // one per MX host tried, in order (TLS-RPT)
  // TLS-RPT: one per session with an MX host that got as far as EHLO (and per MX host an
  // MTA-STS policy excludes), with result_type, receiving_mx/ip and sending_ip filled in; the
  // queue adds the policy. Empty for relays.
  std::vector<tls_outcome> tls_sessions;
};

boost::asio::awaitable<attempt_result> deliver_remote(const attempt_request& req);

}  // namespace hearth::mail::queue
