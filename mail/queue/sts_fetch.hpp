// Fetching an MTA-STS policy (RFC 8461 §3.3): GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt
// over TLS with a certificate valid for mta-sts.DOMAIN (checked against `verify`, which must
// trust the system's CAs and any configured extra ones), HTTP 200 only (redirects are not
// followed), media type text/plain, a body of at most sts_max_policy octets, the whole
// exchange within `timeout`. The host's addresses come from our resolver, like the MX hosts'.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::queue {

struct sts_fetch_result {
  std::optional<std::string> body;  // the policy text, or nullopt with `error` set
  std::string error;
  bool webpki = false;  // the failure was the host's certificate (RFC 8460 sts-webpki-invalid)
};

boost::asio::awaitable<sts_fetch_result> fetch_sts_policy(dns::resolver& resolver, boost::asio::ssl::context& verify,
                                                          std::string domain, std::uint16_t port,
                                                          std::chrono::seconds timeout);

}  // namespace hearth::mail::queue
