// Sieve at final delivery of one local copy: the optional global "before" script, the user's
// active script, the optional global "after" script, then the implicit keep; and the actions
// done right (fileinto with :create, imap4flags, header edits on the stored copy, discard,
// redirect with loop detection, vacation once per sender and period, reject/ereject, enotify
// mailto: and xmpp:).
//
//   sieve_delivery::deliverer d(services);            // once, shared by every session
//   auto r = d.deliver({account, from, rcpt, copy, "Junk", can_reject});   // blocking
//
// Without any script the copy goes where plain delivery puts it (`folder`: "" = INBOX, "Junk"
// for mail the spam verdict marks), so nothing changes for users without filters; with scripts
// the keep (implicit or explicit) goes there too. A script that fails to compile or run never
// loses the message: the copy is kept in INBOX, the error is logged (sieve.error) and written to
// the user's INBOX once a day per distinct error (as Pigeonhole's error mail).
//
// Order: the copies are stored first; only once they are durable are redirects, replies and
// notifications sent (a store failure returns the error, and the caller retries the whole
// delivery without anything having left). Duplicate ids (RFC 7352) are recorded after that.
//
// Thread-safety: deliver() may be called from many threads at once (compiled scripts are cached
// under a mutex and shared). Blocks on disk: call it from the blocking pool.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "mail/message/piece_source.hpp"
#include "mail/sieve/run.hpp"

namespace hearth::mail {
class store;
}
namespace hearth::mail::sieve_store {
class store;
}

namespace hearth::mail::sieve_delivery {

struct services {
  mail::store* store = nullptr;
  sieve_store::store* scripts = nullptr;
  std::string hostname;
  std::string before;  // global script run first ("" = none)
  std::string after;   // global script run last ("" = none)
  double spam_threshold = 5;  // filter.spam.threshold, for spamtest's scale
  sieve::limits limits;
  // Queues a message the server writes (redirect, vacation, refusal, mailto: notification).
  // `sign_as`: the local user it is sent for (hygiene + DKIM like a submission); "" = a redirect,
  // sent as received. `body`: null, or (a redirect of a large message) `message` is the header
  // section and `body` reads the body that follows it, in pieces, to be queued as it is read.
  // Unset: these actions are logged and skipped.
  std::function<result<void>(const std::string& envelope_from, const std::vector<std::string>& rcpts,
                             const std::string& message, const std::string& sign_as, const piece_source* body)>
      send;
  // enotify xmpp: a chat message to `jid` from the server. Unset or false: logged and skipped.
  std::function<bool(const std::string& jid, const std::string& text)> chat;
};

struct request {
  std::string account;        // the account that gets the copy
  std::string envelope_from;  // "" = <>
  std::string envelope_to;    // as given in RCPT TO
  std::string copy;           // trace fields + message
  std::string folder;         // where plain delivery would put it: "" (INBOX) or "Junk"
  bool can_reject = false;    // the SMTP session can answer 550 for this copy
  // A large message (SMTP keeps one past 1 MiB on disk): `copy` then ends with a bounded start
  // of the body, `body_start` octets long, and that start is all the scripts' body tests see
  // (Pigeonhole likewise tests a bounded part of a huge body). The stored copy is the header
  // section as the scripts left it, then the whole body: `write_blob(head)` writes it to the
  // blob store and returns its id; `body` reads the whole body in pieces (a redirect).
  std::size_t body_start = 0;
  std::function<result<std::string>(std::string_view head)> write_blob;
  piece_source body;
};

struct response {
  bool rejected = false;  // answer 550 with `reason` (only when request.can_reject)
  std::string reason;
};

class deliverer {
 public:
  explicit deliverer(services s) : s_(std::move(s)) {}

  // Errors: the store's ("mail.quota", "db.*"...): the caller retries the delivery.
  result<response> deliver(const request& r);

  // The scripts' combined outcome for `r` without doing anything (`hearth sieve test`), with
  // the names of the scripts that ran. Errors: "sieve.compile" (a script does not compile).
  result<sieve::outcome> evaluate(const request& r, std::vector<std::string>* ran = nullptr);

 private:
  struct script_ref {
    std::string name;  // for logs: "global:before", "user:rules"
    std::string source;
  };
  std::shared_ptr<const sieve::program> compiled(const std::string& source, std::string& error);
  sieve::environment environment(const request& r) const;
  result<std::vector<script_ref>> scripts_for(const std::string& account);
  result<void> store_copy(const request& r, std::string mailbox, const std::string& bytes,
                          const std::vector<std::string>& flags, bool create, const std::string& special_use,
                          const std::string& fallback);
  void side_effects(const request& r, const sieve::outcome& o, const std::string& message);
  // Writes a notice of a failing script into the user's INBOX (once a day per error).
  void tell_user(const std::string& account, const std::string& error);

  services s_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const sieve::program>> cache_;  // source -> program
};

}  // namespace hearth::mail::sieve_delivery
