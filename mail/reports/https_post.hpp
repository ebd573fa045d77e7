// Sending a TLS-RPT report to an https: rua (RFC 8460 §5.4): an HTTP POST of the gzip JSON with
// Content-Type application/tlsrpt+gzip. The host's certificate must be valid for its name
// (checked against `verify`, which trusts the system's CAs and smtp.outbound.ca_file), the
// host's addresses come from our resolver (like the MX hosts' and the MTA-STS policy hosts'),
// redirects are not followed (§5.4 leaves them to the submitter; one less way to send a
// report somewhere it was not asked to go), the whole exchange has one deadline, and any 2xx
// answer is a success.
//
//   auto t = parse_https_uri("https://reports.example.net/tlsrpt");   // pure, fuzzed
//   auto r = co_await post_report(resolver, verify, *t, gz, "application/tlsrpt+gzip", 60s);
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::dns {
class resolver;
}

namespace hearth::mail::reports {

struct https_target {
  std::string host;         // lower case, a DNS name (no address literals: the certificate names a host)
  std::uint16_t port = 443;
  std::string target;       // the request target: path and query, "/" at least
};

// RFC 3986 "https://" host [":" port] [path-abempty ["?" query]]; no userinfo, no fragment, no
// spaces or control characters, at most 2048 octets. nullopt otherwise.
std::optional<https_target> parse_https_uri(std::string_view uri);

struct post_result {
  bool ok = false;  // a 2xx answer
  int status = 0;   // the HTTP status, 0 when none came
  std::string error;
};

boost::asio::awaitable<post_result> post_report(dns::resolver& resolver, boost::asio::ssl::context& verify,
                                                https_target to, std::string body, std::string content_type,
                                                std::chrono::seconds timeout);

}  // namespace hearth::mail::reports
