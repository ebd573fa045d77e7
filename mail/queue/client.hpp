// One delivery attempt of one message to the recipients of one domain (RFC 5321 §5): MX look-up
// by preference (fallback to the domain's A/AAAA, null MX of RFC 7505 is a permanent failure),
// then for each host and address until one answers: EHLO (HELO as a fallback), opportunistic
// STARTTLS (RFC 3207; the certificate is not verified, as Postfix's `may` level; a failed
// handshake is retried once in plaintext), MAIL FROM with SIZE/RET/ENVID/BODY when advertised,
// RCPT TO with NOTIFY/ORCPT when DSN is advertised, then BDAT (CHUNKING) or DATA, QUIT.
// One connection serves every recipient of the domain. Every read has a deadline.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mail/queue/queue.hpp"

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::queue {

struct attempt_request {
  std::string queue_id;  // for trace logs
  std::string domain;
  std::string from;
  std::vector<recipient> rcpts;
  std::string ret, envid;
  std::shared_ptr<const std::string> message;  // CRLF-normalised
  std::string helo;
  std::uint16_t port = 25;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  boost::asio::ip::address bind_v4, bind_v6;  // source addresses; unspecified: the system's choice
  dns::resolver* resolver = nullptr;
  boost::asio::ssl::context* tls = nullptr;
};

struct rcpt_result {
  enum class kind { delivered, temporary, permanent };
  kind k = kind::temporary;
  std::string reply;   // "550 5.1.1 no such user" or our own sentence
  std::string status;  // enhanced status code: "5.1.1"
};

struct attempt_result {
  std::vector<rcpt_result> rcpts;  // one per request rcpt, same order
  std::string relay;               // "host[ip]:port" of the host that answered, "" if none
  std::string remote_host;         // the MX host name, "" if none
  bool tls = false;                // the transaction ran over TLS
  bool remote_dsn = false;         // the server that took it offered DSN (RFC 3461)
};

boost::asio::awaitable<attempt_result> deliver_remote(const attempt_request& req);

}  // namespace hearth::mail::queue
