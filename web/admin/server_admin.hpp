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
};

}  // namespace hearth::web::admin
