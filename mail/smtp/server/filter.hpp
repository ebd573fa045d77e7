// The checks that plug into the SMTP sessions, and the transform that prepares mail
// from our own users before it leaves (header hygiene, DKIM signing).
//
// install_mail builds an ordered chain of `filter`s and hands it to every session in
// server_services:
//   1. mail/filter, early:  client checks (rDNS, HELO, DNSBL), backup-MX relay acceptance,
//                           greylisting (RCPT stage)
//   2. mail/mailauth:       SPF, DKIM, DMARC, Authentication-Results (message stage)
//   3. mail/filter, late:   RHSBL/URIBL, the spam verdict (X-Spam-Status, Junk, reject)
// Each hook returns `next` (go on), `accept` (stop the chain, accept) or `refuse` (stop, send
// the reply); at the message stage, before_store then finishes on the blocking pool what a
// filter's on_message left for it (the spam verdict). Filters read what earlier ones wrote
// into the transaction_state (results, score).
// Filters are shared by all sessions of all listeners and called concurrently: keep per-mail
// state in transaction_state, not in the filter.
//
// The session calls the hooks on every listener; a filter that only concerns incoming mail
// returns `next` unless client.kind == listener_kind::mx (or client.user is empty).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/pieces.hpp"
#include "mail/smtp/proto/session.hpp"
#include "mail/smtp/server/policy.hpp"
#include "mail/smtp/server/session.hpp"

namespace hearth::mail::smtp {

using mail::body_pieces;

struct client_info {
  std::string session;  // connection id, for logs
  std::string ip;       // the client's address as text ("192.0.2.1", "2001:db8::1")
  std::string helo;     // EHLO/HELO argument
  bool tls = false;
  std::string user;     // the authenticated account; "" when the client did not AUTH
  listener_kind kind = listener_kind::mx;
  std::string hostname; // our own host name (server.hostname)
};

// What the chain learned about the current transaction. Reset at every MAIL FROM.
struct transaction_state {
  std::string id;                              // transaction id (logs, Received, queue)
  double score = 0;                            // spam score contributions, summed
  std::vector<std::string> symbols;            // "RDNS_NONE(1.5)", for X-Spam-Status and logs
  std::map<std::string, std::string> results;  // e.g. "spf" -> "pass", "dmarc" -> "fail",
                                               // "dmarc.policy" -> "quarantine"
  std::string prepend;                         // header fields put on top of the message below
                                               // our Received line; each ends with CRLF
  std::string folder;                          // "" = INBOX; "Junk" = local copies go there
  std::set<std::string> relay_for;             // recipients (lowercase) accepted for relay by a
                                               // filter (backup MX): queued, not refused
  std::map<std::string, std::string> srs_reverse;  // SRS recipient (lowercase) -> the address
                                                   // it stands for (forwarding::reverse)
  // Set during on_message for a large message (past 1 MiB, kept on disk): `message` is then
  // its header section and a bounded start of its body only, and this reads the whole body
  // in pieces (blocking: call it on the blocking pool; false when unreadable). A filter that
  // needs every body octet (a DKIM or ARC body hash) reads it here; the others look at the
  // bounded start.
  body_pieces large_body;
  std::size_t large_header = 0;  // with large_body: the header section's length in `message`
};

enum class verdict { next, accept, refuse };

struct decision {
  verdict v = verdict::next;
  reply r;  // the reply for `refuse` (4xx: try later, 5xx: rejected)

  static decision go_on() { return {}; }
  static decision ok() { return {verdict::accept, {}}; }
  static decision no(int code, std::string_view enhanced, std::string_view text) {
    return {verdict::refuse, make_reply(code, enhanced, text)};
  }
};

class filter {
 public:
  virtual ~filter() = default;
  virtual const char* name() const = 0;

  // MAIL FROM passed the session's own checks (sender ownership on submission).
  virtual boost::asio::awaitable<decision> on_mail(const client_info&, const envelope&, transaction_state&) {
    co_return decision::go_on();
  }
  // RCPT TO, before the session's relay rule: `kind` is the directory's classification of
  // `rcpt`. `accept` of a remote recipient from an unauthenticated client (backup MX) must
  // also add it to state.relay_for, so that it is queued; `refuse` answers the RCPT.
  // Unknown local users and invalid addresses are refused by the session before the chain.
  virtual boost::asio::awaitable<decision> on_rcpt(const client_info&, const envelope&, const path& rcpt,
                                                   rcpt_kind kind, transaction_state&) {
    co_return decision::go_on();
  }
  // After the content. `message` is the content as received (CRLF, dot-stuffing removed,
  // without our Received line); a filter may edit it (remove a forged Authentication-Results)
  // and may add fields to state.prepend, set state.folder, add to the score. `refuse` answers
  // the DATA; nothing is stored.
  virtual boost::asio::awaitable<decision> on_message(const client_info&, const envelope&, std::string& message,
                                                      transaction_state&) {
    co_return decision::go_on();
  }
  // The blocking end of the message check (a model read from a database), run on the blocking
  // pool in the trip that then stores the message, so that a message costs one trip to the
  // pool rather than one per check. The session calls it once every filter's on_message has
  // said `next` (for those filters only, in chain order), before anything is stored; `message`
  // is what on_message saw last. `refuse` answers the DATA as on_message's would, and nothing
  // is stored. Must be thread-safe; it may log and edit `state` like on_message.
  virtual decision before_store(const client_info&, const envelope&, const std::string& message, transaction_state&) {
    (void)message;
    return decision::go_on();
  }
};

using filter_chain = std::vector<std::shared_ptr<filter>>;

// Mail from an authenticated user on submission/submissions, before delivery and queueing:
// header hygiene (drop earlier Received lines, X-Originating-IP, ...), add Message-ID and
// Date when missing, then DKIM-sign. Returns the message to send (the session puts its own
// Received line on top afterwards). Runs on the blocking pool; must be thread-safe.
class submission_transform {
 public:
  virtual ~submission_transform() = default;
  virtual std::string prepare(std::string_view user, std::string_view mail_from, std::string message) = 0;
  // prepare() for a large message: `header` is its header section (through the empty line)
  // and `body` reads the body in pieces; returns the header section to send before that body.
  virtual std::string prepare_header(std::string_view user, std::string_view mail_from, std::string header,
                                     const body_pieces& body) = 0;
};

}  // namespace hearth::mail::smtp

namespace hearth::mail::smtp {

// Mail we pass on for one of our addresses to another domain (an alias or catch-all whose
// target is elsewhere, a Sieve redirect): the envelope sender is rewritten with SRS so the
// target's SPF check passes, and an ARC set is added so the target can trust the results we
// saw (mail/mailauth/forwarding.hpp). And the way back: mail to one of our SRS addresses.
// Thread-safe; both calls block (directory reads): call them from the blocking pool.
class forwarding {
 public:
  virtual ~forwarding() = default;
  struct forwarded {
    std::string sender;   // the envelope sender to use ("" stays "")
    std::string message;  // the message with what was added on top
  };
  // `message` is what leaves (trace fields included), `sender` the original envelope sender.
  virtual forwarded prepare(std::string_view sender, std::string message) = 0;
  // The same for a message whose body is read in pieces (a large message kept on disk):
  // `header` is its header section (trace fields included), `body` reads the body; the
  // answer's `message` is that header section with what was added on top, to be followed by
  // the body unchanged (nothing added touches the body).
  virtual forwarded prepare(std::string_view sender, std::string header, const mail::body_pieces& body) = 0;
  // nullopt: `rcpt` is no SRS address of ours. An error: it is one, but forged or expired
  // ("srs.hash", "srs.expired", "srs.syntax"). Otherwise the address the mail goes back to.
  virtual result<std::optional<std::string>> reverse(std::string_view rcpt) = 0;
};

}  // namespace hearth::mail::smtp
