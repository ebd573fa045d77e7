// Delivery status notifications (RFC 3464 multipart/report with message/delivery-status, RFC
// 3462/6522 report type): what the queue sends to the envelope sender, from the null sender, on
// a permanent failure, on expiry (give_up), and once as a delay warning. Pure.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::queue {

struct dsn_recipient {
  std::string address;       // the final recipient
  std::string orcpt;         // ORCPT as received ("rfc822;a+2Bb@x"), "" if none
  std::string action;        // "failed", "delayed", "delivered" or "relayed" (RFC 3464 §2.3.3)
  std::string status;        // "5.1.1", "4.4.1"
  std::string remote_mta;    // host name of the remote MTA that answered, "" if none
  std::string diagnostic;    // the remote reply "550 5.1.1 no such user", "" if none
  std::string reason;        // a sentence for the person when there is no remote reply
  std::int64_t last_attempt = 0;  // Unix seconds, 0 if none
};

struct dsn_input {
  std::string reporting_mta;  // our host name
  std::string to;             // the envelope sender of the original message
  std::string queue_id;       // for the Message-ID and the human text
  std::string envid;          // ENVID (xtext as received), "" if none
  std::int64_t arrival = 0;   // when the original entered the queue
  std::int64_t now = 0;
  std::int64_t retry_until = 0;  // delay warnings: when the queue gives up
  bool delayed = false;       // a delay warning rather than a failure report
  bool success = false;       // a success report (NOTIFY=SUCCESS): delivered or relayed
  bool full = false;          // return the whole message (RET=FULL) rather than its headers
  std::vector<dsn_recipient> rcpts;
  std::string_view original;  // the original message
};

// The complete DSN message (CRLF line endings). From: MAILER-DAEMON@reporting_mta.
std::string build_dsn(const dsn_input& in);

// A DSN returning the whole original (RET=FULL) without holding it: build_dsn() is `before`,
// then the original with CRLF line ends (crlf_normalise, which the caller applies as it
// streams the message), then `after`. in.full is taken as set; in.original is not read.
struct dsn_frame {
  std::string before;  // the reports and part 3's header, through its empty line
  std::string after;   // the closing boundary
};
dsn_frame build_dsn_frame(const dsn_input& in);

// "Sun, 22 Nov 2026 19:40:00 +0000" (RFC 5322 §3.3).
std::string rfc5322_date(std::int64_t unix_seconds);

// The header section of a message (up to and including the blank line, or all of it).
std::string_view header_section(std::string_view message);

}  // namespace hearth::mail::queue
