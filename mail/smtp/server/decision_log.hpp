// What was decided about incoming mail on the MX port, one record per attempt: the filters'
// findings (blocklist hits, greylisting, spam score and verdict) and the answer the client got.
// The session hands each record to a decision_log; mail/filter/decisions keeps them for the
// admin console (search by address or IP). Until then they were only logged.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::mail::smtp {

struct inbound_decision {
  std::int64_t time = 0;              // Unix seconds
  std::string session, id;            // connection id, transaction id (as in the logs)
  std::string ip, helo;               // the client
  std::string from;                   // the envelope sender ("" for <>)
  std::vector<std::string> rcpts;     // the recipients this answer is about
  std::string stage;                  // "mail", "rcpt" (refused there) or "data" (after the content)
  std::string outcome;                // "accepted", "refused" (5xx), "tempfail" (4xx), "greylisted"
  std::string filter;                 // the filter that refused ("greylist", "client", "verdict", ...)
  std::string reply;                  // the reply sent, e.g. "554 5.7.1 Client host [...] blocked using ..."
  double score = 0;                   // the spam score so far
  std::string symbols;                // "RDNS_NONE(1.5) DNSBL_zen.example(3)"
  std::string dnsbl;                  // the lists that named the client: "zen.example bl.example"
  std::string greylist;               // the greylisting outcome when it was asked ("new", "passed", ...)
  std::string spam;                   // the verdict: "deliver", "junk", "reject"; "" when not reached
};

// Where the sessions put their records. record() runs on the I/O threads for every incoming
// message: it must not block or fail (queue the record and write it later, in batches).
class decision_log {
 public:
  virtual ~decision_log() = default;
  virtual void record(inbound_decision d) noexcept = 0;
};

}  // namespace hearth::mail::smtp
