// The SMTP listeners: MX (25), submission (587, STARTTLS before AUTH) and
// submissions (465, implicit TLS, RFC 8314), one session coroutine each around the sans-I/O
// engine in mail/smtp/proto.
//
// Policy, decided here:
//  - MX: mail for our domains only. Unknown local user 550 5.1.1; a non-local recipient from
//    an unauthenticated client 554 5.7.1 (never an open relay), logged as smtp.relay_refused.
//    Aliases and catch-alls expand; each account's copy gets Return-Path, Delivered-To and
//    Received, and 250 is sent only once every copy is durable (or queued for retry).
//  - Submission: AUTH through the shared authenticator, only under TLS; MAIL FROM and every
//    From: address must be the user's own address or an alias reaching the user (553 5.7.1);
//    local recipients are delivered directly, the rest go to the outbound queue before 250.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/net/server.hpp"
#include "mail/smtp/server/delivery.hpp"

namespace hearth::blob {
class store;
}
namespace hearth::auth {
class authenticator;
}
namespace hearth::directory {
class directory;
}
namespace hearth::mail {
class store;
}
namespace hearth::mail::queue {
class queue;
}

namespace hearth::mail::smtp {

class filter;                // filter.hpp: SPF/DKIM/DMARC, greylisting, DNSBL, verdict
class submission_transform;  // filter.hpp: header hygiene and DKIM signing on submission
class forwarding;            // filter.hpp: SRS and ARC for mail passed on, SRS bounces back
class decision_log;          // decision_log.hpp: what was decided about each incoming message

enum class listener_kind { mx, submission, submissions };

struct server_options {
  listener_kind kind = listener_kind::mx;
  std::string hostname;
  std::uint64_t max_message_size = 50ull * 1024 * 1024;
  std::size_t max_recipients = 100;
  int max_errors = 10;
  std::chrono::seconds command_timeout{300};  // RFC 5321 §4.5.3.2.7: server timeout 5 min
  std::chrono::seconds data_timeout{600};     // §4.5.3.2.6: 10 min for the DATA terminator
  std::chrono::seconds handshake_timeout{30};
  std::size_t max_connections_per_ip = 20;    // 0 = unlimited
  // Where a message past 1 MiB is kept while it arrives (DATA_DIR/tmp); empty: in memory.
  std::filesystem::path spill_dir;
};

// What the sessions use; every reference must outlive the handler. `queue` may be null (then
// non-local recipients are refused with 451 4.3.0 on submission).
struct server_services {
  directory::directory& dir;
  auth::authenticator& authn;
  mail::store& store;
  queue::queue* outbound = nullptr;
  std::vector<std::shared_ptr<filter>> filters;       // run in order at MAIL, RCPT and after DATA
  std::shared_ptr<submission_transform> submission;  // null: submitted mail is sent as is
  copy_hook local_copy;  // Sieve at delivery (app/serve_sieve.cpp); empty: plain delivery
  std::shared_ptr<forwarding> forwarder;  // null: forwarded mail keeps its sender, SRS unknown
  std::shared_ptr<decision_log> decisions;  // null: decisions about incoming mail are only logged
  // Where the local copies of a large message are written in pieces (the mail store's blob
  // store); null: such a message is read back into memory whole before delivery.
  const blob::store* blobs = nullptr;
};

// The handler for one listener. Sessions of one handler share the per-IP connection count.
net::handler make_handler(server_options opts, server_services svc);

}  // namespace hearth::mail::smtp
