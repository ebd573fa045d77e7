// The outbound queue: messages for other domains, delivered by MX with retries and
// DSN bounces. Interface agreed between the SMTP session (mail/smtp/server, which enqueues)
// and the queue implementation (this folder).
//
//   auto q = mail::queue::queue::open(opts).value();   // at start, on the main thread
//   q->start(io);                                        // delivery agent on the server's io_context
//   auto id = q->enqueue(env, bytes);                    // from the blocking pool, before 250
//   auto id = q->enqueue(env, source);                   // the same, the message read in pieces
//   q->stop();                                           // at shutdown (serve's on_stop)
//
// Durability (ARCHITECTURE.md principle 3): enqueue returns only once the message and its
// envelope survive a kill -9; after a restart, open()+start() resume every entry.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/piece_source.hpp"
#include "mail/queue/route.hpp"

namespace boost::asio {
class io_context;
}
namespace hearth::dns {
class resolver;
}
namespace hearth::tls {
class context_set;
}

namespace hearth::mail::queue {

// A message handed over in pieces rather than as one string (a large message kept on disk):
// mail/message/piece_source.hpp.
using mail::piece_sink;
using mail::piece_source;

// One recipient with its RFC 3461 parameters.
struct recipient {
  std::string address;        // forward-path without <>
  std::string notify;         // "" (default: FAILURE,DELAY), or "NEVER", or a list of SUCCESS,FAILURE,DELAY
  std::string orcpt;          // ORCPT value as received ("rfc822;addr"), "" if none
};

struct envelope {
  std::string from;           // reverse-path without <>; "" = null sender (a bounce: never bounced)
  std::vector<recipient> rcpts;
  std::string ret;            // RFC 3461 RET: "", "FULL" or "HDRS"
  std::string envid;          // RFC 3461 ENVID, "" if none
  std::string auth_user;      // the submitting account ("" for mail the server itself makes)
  std::string client;         // "[ip]" or "helo [ip]" of the submitting client, for logs
  // RFC 8689: only over TLS verified by MTA-STS or DANE, to servers that take REQUIRETLS on;
  // otherwise returned with 5.7.30.
  bool requiretls = false;
};

// The TLS outcome of one outbound session to a recipient domain's MX host, for TLS-RPT
// (RFC 8460 §4): a success, or one of §4.3's result types. Sessions to a relay route are not
// reported (the relay, not us, meets the destination).
struct tls_outcome {
  std::string policy_domain;               // the recipient domain
  std::string policy_type;                 // "sts" | "tlsa" | "no-policy-found"
  std::vector<std::string> policy_string;  // the policy as lines (sts: the MTA-STS policy)
  std::vector<std::string> mx_host;        // sts: the policy's mx patterns
  std::string result_type;                 // "" = success, else "starttls-not-supported", ...
  std::string sending_ip, receiving_mx, receiving_ip;
  std::string reason;                      // failures: what happened, in our words
};

struct options {
  std::filesystem::path data_dir;       // the queue keeps its own files under DATA_DIR/queue
  std::string db_target;                // DATA_DIR/hearth.db or a PostgreSQL URL (the queue's tables, own migrations)
  // Several nodes on one database (store.hpp): the id this node claims recipients under ("":
  // DATA_DIR/node-id) and how long a claim lasts unless renewed.
  std::string node_id;
  std::chrono::seconds claim_lease{120};
  std::string hostname;                 // our EHLO name and the DSN Reporting-MTA
  std::uint16_t remote_port = 25;       // smtp.outbound.port (tests point it elsewhere)
  std::chrono::seconds first_retry{300};
  std::chrono::seconds max_retry{4 * 3600};
  std::chrono::seconds give_up{5 * 24 * 3600};
  std::chrono::seconds delay_warning{4 * 3600};
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  // Source address of outgoing connections per family (smtp.queue.bind_addresses); an
  // unspecified address: the system chooses.
  boost::asio::ip::address bind_v4, bind_v6;
  dns::resolver* resolver = nullptr;    // MX/A/AAAA look-ups; must outlive the queue
  tls::context_set* tls = nullptr;      // not used for client TLS; reserved for client certificates
  // Domains that are ours: a recipient there is handed to deliver_local instead of an MX.
  std::function<bool(std::string_view domain)> is_local_domain;
  // Local delivery (DSNs to local senders, and any local recipient that reaches the queue).
  // `message` is the whole message with CRLF line ends and `whole` null; or, for a message
  // larger than the queue keeps in memory (256 KiB), its first octets as they are in the
  // message, and `whole` reads all of it, from its first octet, in pieces (CRLF line ends,
  // one spool part at a time in memory), as often as asked.
  // Blocking; returns an error code like "mail.quota" (temporary) or "smtp.unknown_user"
  // (permanent) on failure.
  std::function<result<void>(const std::string& from, const std::string& rcpt, std::string_view message,
                             const piece_source* whole)>
      deliver_local;
  // Backup MX: a recipient domain with its own retention instead of give_up (mail we
  // keep for a primary MX). Nullopt, or no function: give_up. Thread-safe.
  std::function<std::optional<std::chrono::seconds>(std::string_view domain)> give_up_for;
  // [[smtp.route]] (route.hpp), passwords already read. A recipient refused with a blocklist
  // reply (block_of) on the way to its MX goes again, at once, through its route's
  // fallback_relay; each such refusal is logged (smtp.out.blocked), and once a day (and at
  // stop) one smtp.out.block_summary line per destination and source address says who blocks
  // us and where to ask for delisting.
  std::vector<route> routes;
  std::chrono::seconds block_summary_every{24 * 3600};
  // MTA-STS (RFC 8461, mta_sts.hpp): look up and apply recipient domains' policies; policies
  // are cached in the database (sts_cache.hpp). The HTTPS port is 443 but for tests; ca_file
  // adds trusted CAs (PEM) to the system's for policy fetches and MX certificates.
  bool mta_sts = true;
  std::uint16_t sts_port = 443;
  std::filesystem::path ca_file;
  // TLS-RPT: called on the delivery strand after each attempt with the outcomes of its
  // sessions (and of a failed MTA-STS policy fetch). It must not block: the caller buffers
  // and writes them in batches. Empty: nothing is recorded.
  std::function<void(std::vector<tls_outcome>)> on_tls;
};

class queue {
 public:
  virtual ~queue() = default;
  // Opens (and migrates) the queue's tables and files. Errors: "db.*", "queue.io".
  static result<std::shared_ptr<queue>> open(const options& opts);
  // Starts delivering (coroutines on io); resumes entries left by a previous run.
  virtual void start(boost::asio::io_context& io) = 0;
  // Stops starting new deliveries; in-flight attempts are abandoned (they stay queued), and
  // this node's claims are released so that another node may take them at once. Blocking
  // (one database write).
  virtual void stop() = 0;
  // Persists the message for every recipient in env.rcpts and returns the queue id (also in
  // logs). Blocking: call from the blocking pool. Errors: "queue.io", "db.*", "queue.invalid".
  // The message is read once, in order, and written to the spool as it comes: the queue never
  // holds it whole. A source error ends the enqueue with that error and nothing queued.
  virtual result<std::string> enqueue(const envelope& env, const piece_source& message) = 0;
  result<std::string> enqueue(const envelope& env, std::string_view message) {
    return enqueue(env, [message](const piece_sink& out) { return out(message); });
  }
  // True when no delivery coroutine runs: before start(), or once stop() has taken effect (the
  // agent has left its loop and every in-flight attempt has returned). Tests wait for it before
  // stopping the io_context, so that no blocking-pool task completes into a destroyed one.
  virtual bool idle() const = 0;
};

}  // namespace hearth::mail::queue
