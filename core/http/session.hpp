// The HTTPS session: Boost.Beast's HTTP/1.x parser and serializer over a connection that the
// listener has already put into TLS (implicit TLS, port 443), feeding a shared router.
//
//   srv.add_listener("https", addrs, 443, config::tls_mode::implicit,
//                    http::make_https_handler(router, {.read_timeout = 300s}));
//
// Per connection: up to max_requests requests (keep-alive, HTTP/1.0 and 1.1, pipelined requests
// are answered in order), each read under deadlines that a slow client cannot stretch
// (slowloris): the whole request head within header_timeout (for the first request, counted
// from the start of the session; for the next ones, from their first byte, which may take
// idle_timeout to come), and the body within body_timeout plus one second for every
// body_min_rate octets received (Apache's mod_reqtimeout rule), never longer than read_timeout. The router's handlers run on the blocking
// pool (core/net/blocking.hpp), never on an I/O thread. Errors answer and close:
//   malformed request, bad target or Host -> 400; header over header_limit -> 431;
//   body over body_limit (by Content-Length or while reading) -> 413; handler threw -> 500.
// A timeout closes without an answer. Every response carries Content-Length (except 1xx, 204
// and 304, RFC 9110 §8.6), Date and Strict-Transport-Security, and no Server header.
// HEAD gets the headers of the GET response, with its Content-Length, and no body.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/http/live_routes.hpp"
#include "core/http/router.hpp"
#include "core/net/server.hpp"

namespace hearth::http {

struct session_options {
  std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};  // a whole request head
  std::chrono::milliseconds body_timeout{std::chrono::seconds(20)};    // a body, before the rate extension
  std::uint64_t body_min_rate = 500;  // octets per extra second of body_timeout; 0 = no extension
  std::chrono::milliseconds read_timeout{std::chrono::seconds(300)};  // the longest any body may take
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};   // for the next request to begin
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};  // each response
  std::size_t header_limit = 16 * 1024;                 // request line + header fields
  std::uint64_t body_limit = 20 * 1024 * 1024;          // decoded body (20 MiB by default)
  unsigned max_requests = 1000;                         // then "Connection: close"
};

// The handler for an implicit-TLS listener. The router must not change once serving starts.
// A connection that is not in TLS when the handler starts is closed without a word.
// Thread-safe to call; the handler holds the router and a copy of opts.
// `live` (may be null) holds the upgrade and long-poll routes, looked up before `routes`.
net::handler make_https_handler(std::shared_ptr<const router> routes, session_options opts = {},
                                std::shared_ptr<const live_routes> live = nullptr);

// The handler for connections over the per-address cap (net::server::set_over_limit): reads
// the request head for at most `timeout` (so that closing does not reset the connection
// before the client has read the answer), then answers 503 Service Unavailable with
// Retry-After (RFC 9110 §15.6.4, §10.2.3) and closes.
net::handler make_busy_handler(std::chrono::seconds retry_after, std::chrono::milliseconds timeout);

}  // namespace hearth::http
