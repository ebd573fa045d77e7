// THREAD=REFERENCES (RFC 5256 §2.2, all seven steps) over messages already reduced to what the
// algorithm reads. Pure: no store, no session.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::mail::imap {

struct thread_input {
  std::uint32_t number = 0;  // what the response lists: sequence number or UID
  std::int64_t sent = 0;     // RFC 5256 §2.2 sent date (Date:, else internal date)
  std::string message_id;    // "" when absent or unparsable
  std::vector<std::string> refs;  // References (else the first In-Reply-To id), in order
  std::string base_subject;  // RFC 5256 §2.1, case-folded
  bool reply = false;        // base-subject extraction removed a Re:/Fwd: (step 5 C/D)
};

// The body of "* THREAD ...": "(1 2)(3 (4)(5))". `msgs` must be in mailbox order (ties of
// sent date keep it).
std::string thread_references(const std::vector<thread_input>& msgs);

}  // namespace hearth::mail::imap
