// Local delivery: what SMTP does with a message for one of our recipients, and what the queue
// calls for local recipients it holds (bounces to local senders, retried local deliveries).
//
// A recipient is resolved through the directory (aliases and catch-alls expand to accounts;
// remote alias targets come back as `forward`); each account gets its own copy with a
// Return-Path, Delivered-To and the caller's Received line on top (RFC 5321 §4.4), written
// with mail::store::deliver, which returns once the copy is durable.
//
// Thread-safety: the functions are stateless; call them from the blocking pool (they block on
// SQLite and fsync).
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/piece_source.hpp"

namespace hearth::directory {
class directory;
}
namespace hearth::mail {
class store;
}

namespace hearth::mail::smtp {

// "Return-Path: <from>\r\nDelivered-To: account\r\n" + received + message.
std::string with_trace(std::string_view from, std::string_view account, std::string_view received,
                       std::string_view message);

// A Received field (RFC 5321 §4.4, RFC 3848 protocol names), folded, ending in CRLF.
//   from_part: "helo (ip)" style text, or "" to leave the client out (submission's masked hop)
//   with:      "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTPS", ...
//   tls:       "" or the TLS version, written as a comment
//   for_rcpt:  the recipient when there is exactly one, else ""
std::string received_field(std::string_view from_part, std::string_view by_host, std::string_view with,
                           std::string_view tls, std::string_view id, std::string_view for_rcpt);

// RFC 5322 §3.3 date-time for now in UTC: "Sun, 22 Nov 2026 19:00:00 +0000".
std::string rfc5322_now();

// A new transaction / queue id: 12 characters of [0-9A-Z], random.
std::string new_id();

struct local_failure {
  std::string account;
  error why;  // "mail.quota", "mail.too_big", "db.*", "blob.*"
};

struct local_result {
  std::vector<std::string> delivered;  // accounts that got a copy (or whose script disposed of it)
  std::vector<std::string> rejected;   // accounts whose script rejected it at SMTP time
  std::string reject_reason;
  std::vector<std::string> forward;    // remote addresses that aliases point to
  std::vector<local_failure> failed;   // accounts whose copy could not be written
};

// A message too large to hold in memory (SMTP keeps one past 1 MiB on disk, the queue one
// past 256 KiB in its spool). The `message` given with it is the header section and a
// bounded start of the body, `body_start` octets, which is what Sieve's body tests see; a
// stored copy is the header section (trace fields on top, as edited) and then the whole
// body, written by `write_blob(head)` to the blob store (its id returned) in pieces, never
// whole in memory. `body` and `each_body` read the whole body in pieces (its first
// body_start octets are those the message ends with): `body` for a consumer that looks for a
// part past the start (a DMARC report's attachment, an ARC body hash), `each_body` for one
// that writes it on and may fail (a Sieve redirect into the queue). Thread-safe, blocking.
struct large_message {
  std::size_t body_start = 0;
  std::function<result<std::string>(std::string_view head)> write_blob;
  piece_source each_body;
  body_pieces body;
};

// One account's copy, handed to a copy_hook (Sieve at delivery, wired in app/) instead of being
// written straight into `folder`.
struct copy_request {
  std::string account;         // the account that gets the copy
  std::string envelope_from;   // reverse-path, "" for <>
  std::string envelope_to;     // the recipient as given in RCPT TO (before alias expansion)
  std::string copy;            // trace fields + message: what plain delivery would store
  std::string folder;          // where plain delivery would put it: "" (INBOX) or "Junk"
  // The SMTP session can still answer 550 for this copy alone (one recipient, one account).
  bool can_reject = false;
  // The account that sent it through authenticated submission ("" for mail from outside): the
  // sender is then known without Authentication-Results (iMIP between local users).
  std::string auth_user;
  // Set for a large message: `copy` is then trace fields + its bounded start (see above).
  const large_message* large = nullptr;
};

struct copy_outcome {
  bool rejected = false;  // refuse with 550 and `reason` (only when can_reject)
  std::string reason;
};

// Writes (or, as a script says, files, discards, redirects, rejects) one copy. Errors as
// store's: the copy is then retried like a failed plain delivery. Thread-safe, blocking.
using copy_hook = std::function<result<copy_outcome>(const copy_request&)>;

// Delivers `message` (without trace fields) to every final address of `rcpt`, one account at
// a time, so that a failure of one (quota) leaves the others delivered; the caller retries
// only what failed (each failed account resolves to itself). Errors: "smtp.unknown_user"
// (resolves to nothing deliverable). `folder`: "" = INBOX; another mailbox (the filters'
// "Junk") is used when the account has it, else INBOX. `hook`: when set, each copy goes
// through it (Sieve); `single_rcpt`: the SMTP transaction has only this recipient, so a hook may
// reject at SMTP time. `auth_user`: the authenticated sender, passed on in copy_request.
// `large`: `message` is a large message's start (see large_message); each copy is stored as
// a blob written from it.
result<local_result> deliver_local(directory::directory& dir, mail::store& store, std::string_view from,
                                   std::string_view rcpt, std::string_view received, std::string_view message,
                                   std::string_view folder = {}, const copy_hook* hook = nullptr,
                                   bool single_rcpt = false, std::string_view auth_user = {},
                                   const large_message* large = nullptr);

}  // namespace hearth::mail::smtp
