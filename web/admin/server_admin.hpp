// What the admin console needs from the protocol areas (the zone plan and DNS check of
// rfc6764/, the outbound queue of mail/queue/, DKIM keys): web/ may not include another
// protocol folder (ARCHITECTURE.md), so it asks through this interface, which app/ implements
// with those areas' own code (app/web_admin_server.cpp). Plain values only.
//
// Thread-safety: implementations must allow calls from any thread at once. Calls block
// (DNS questions, disk): they run off the I/O threads, as every HTTP handler does.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::web::admin {

struct dns_record {
  std::string name, type, value, comment, group;  // as rfc6764::zone_record
};

struct dns_finding {
  std::string level;  // "ok", "warn", "fail"
  std::string what, detail, fix;
};

struct dns_report {
  std::string domain;
  unsigned ttl = 3600;
  std::vector<dns_record> records;       // what to publish, in print order
  std::string zone_text;                 // the same as a BIND master file (copyable)
  std::vector<std::string> notes;
  std::vector<dns_finding> checks;       // what the world sees, in `hearth dns check` order
};

struct queue_recipient {
  std::string address, status;
  int attempts = 0;
  std::int64_t next_attempt = 0, last_attempt = 0;
  std::string last_reply, last_status, relay;
};

struct queue_message {
  std::string id, from, auth_user;
  std::int64_t size = 0, created = 0;
  std::vector<queue_recipient> rcpts;
};

enum class queue_action { retry, remove, bounce };

// A greylisting decision remembered (mail/filter/greylist.hpp): a grey triplet waits for the
// sender's retry; a passed (white) one goes through until it expires.
struct greylist_entry {
  std::string network, sender, rcpt;
  std::int64_t first_seen = 0, expires = 0;
  bool passed = false;
};

struct dkim_entry {
  std::string selector, algorithm;
  std::int64_t created = 0;
  std::string record_name, record_value;  // SELECTOR._domainkey.DOMAIN and its TXT value
};

// DMARC aggregate and TLS-RPT reports received about our domains (mail/reports/), grouped as
// `hearth reports dmarc|tls` groups them. Days are "YYYY-MM-DD" (UTC) of a report's start.
struct dmarc_day_source {
  std::string domain, day, source_ip;
  std::uint64_t messages = 0, dkim_pass = 0, spf_pass = 0, dmarc_fail = 0;
  std::vector<std::string> reporters, dispositions;
};

// One sending IP over the whole period. verdict: "ok" (DKIM passes), "forgotten" (DKIM
// fails, SPF passes: a service sending for us without our key), "spoofing" (fails both).
struct dmarc_source_verdict {
  std::string domain, source_ip, verdict;
  std::uint64_t messages = 0, dkim_pass = 0, spf_pass = 0, dmarc_fail = 0;
};

struct tls_failure_line {
  std::string result_type, sending_ip, receiving_mx, receiving_ip;
  std::uint64_t count = 0;
};

struct tls_day {
  std::string domain, day;
  std::uint64_t success = 0, failure = 0;
  std::vector<std::string> reporters;
  std::vector<tls_failure_line> failures;
};

struct reports_view {
  std::size_t dmarc_reports = 0, tls_reports = 0;  // distinct (org, report id)
  std::vector<dmarc_day_source> dmarc;             // by domain, day, source IP
  std::vector<dmarc_source_verdict> sources;       // by domain, source IP
  std::vector<tls_day> tls;                        // by domain, day
};

// What was decided about one incoming message or attempt on the MX port (mail/filter's
// decision store): blocklist hits, greylisting, the spam score and verdict, the answer.
struct mail_decision {
  std::int64_t seq = 0, time = 0;
  std::string session, id, ip, helo, from;
  std::vector<std::string> rcpts;
  std::string stage, outcome, filter, reply;  // as smtp::inbound_decision
  double score = 0;
  std::string symbols, dnsbl, greylist, spam;
};

class server_admin {
 public:
  virtual ~server_admin() = default;
  // The zone plan of a local domain next to the live check. Errors: "zone.not_ours",
  // "zone.invalid", "dns.*" (resolver setup).
  virtual result<dns_report> dns(std::string_view domain) = 0;
  // Every queued message with its pending recipients, oldest first.
  virtual result<std::vector<queue_message>> queue() = 0;
  // The recipients touched. Errors: "queue.not_found".
  virtual result<int> queue_act(std::string_view id, queue_action a) = 0;
  // The remembered greylisting triplets, most recently first seen first, at most `limit`.
  virtual result<std::vector<greylist_entry>> greylist(std::size_t limit) = 0;
  // The domain's DKIM keys with the records to publish.
  virtual result<std::vector<dkim_entry>> dkim(std::string_view domain) = 0;
  // New keys for the domain (an RSA and an Ed25519 key under a new selector when it has keys
  // already: receivers still verify mail signed with the old ones). Errors: "directory.*".
  virtual result<std::vector<dkim_entry>> dkim_generate(std::string_view domain) = 0;
  // The reports received about `domain` ("" = every domain) whose period ends at or after
  // `since` (Unix seconds). Errors: "db.*".
  virtual result<reports_view> reports(std::string_view domain, std::int64_t since) = 0;
  // The decisions about incoming mail, newest first: those about `address` (sender or
  // recipient; "" = any) from `ip` ("" = any), older than `before` (0 = any), at most `limit`.
  // An empty list when they are not kept (filter.decisions.days = 0). Errors: "db.*".
  virtual result<std::vector<mail_decision>> decisions(std::string_view address, std::string_view ip,
                                                       std::int64_t before, std::size_t limit) = 0;
};

}  // namespace hearth::web::admin
