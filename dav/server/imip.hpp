// iMIP out (RFC 6047): how the DAV service hands a scheduling message for calendar users
// outside our domains to the mail side. dav/ does not include mail/ (ARCHITECTURE.md): app/
// implements this with the submission path (cleaned, DKIM-signed, queued like any message a
// user sends) and passes it in dav::options.
#pragma once
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::dav {

class imip_sender {
 public:
  virtual ~imip_sender() = default;
  // Queues `message` (a complete RFC 5322 message, see ical::imip_message) from the local
  // account address `from` to the remote addresses `to`. Thread-safe. Errors are the queue's.
  virtual result<void> send(const std::string& from, const std::vector<std::string>& to, const std::string& message) = 0;
};

}  // namespace hearth::dav
