// Routes whose handlers need more than request -> response: a WebSocket upgrade (the handler
// takes the connection over once the server has said "101 Switching Protocols") and long
// polls (BOSH: the answer comes when there is something to say or the wait is over, without
// holding a thread). core/http's session consults these before the plain router.
//
//   live.add_upgrade("/xmpp-websocket", [](const request& r) { ... return decision; });
//   live.add_async("/http-bind", [](request r) -> asio::awaitable<response> { ... });
//
// Routes are added at start-up, before serving; lookups are then thread-safe (read-only).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/http/router.hpp"

namespace hearth::net {
class connection;
}

namespace hearth::http {

struct upgrade_decision {
  // Empty `run`: the upgrade is refused and `refusal` is the answer (4xx).
  response refusal;
  // The whole answer that switches protocols (status line and headers, ending in CRLF CRLF),
  // written by the session before `run` starts.
  std::string switching;
  // Owns the connection from then on; `already_read` holds bytes the client sent after the
  // request (they belong to the new protocol). The connection closes when it returns.
  std::function<boost::asio::awaitable<void>(net::connection&, std::string already_read)> run;
};
// Decides on an upgrade request. Runs on the blocking pool (it may read the directory).
using upgrade_handler = std::function<upgrade_decision(const request&)>;
// Answers a request, taking its time without holding a thread. Runs on the connection's
// strand: it must not block (use net::run_blocking for that).
using async_handler = std::function<boost::asio::awaitable<response>(request)>;

// The body of a streamed request (add_stream), read as the handler asks for it under the same
// deadlines as any body (session.hpp: body_timeout plus the rate extension, read_timeout cap).
class body_source {
 public:
  virtual ~body_source() = default;
  // The request's Content-Length (0 without one). A streamed route never sees a chunked body:
  // the session answers 411 first.
  virtual std::uint64_t length() const = 0;
  // The next piece, 1 to `max` octets; "" once the whole body has been read. nullopt when the
  // client went away or was too slow (the connection is closed after the response).
  virtual boost::asio::awaitable<std::optional<std::string>> read(std::size_t max) = 0;
};
// Answers a request whose body is read piece by piece (uploads larger than the session's
// body_limit, which does not apply to it: the handler sets its own). Runs on the connection's
// strand: it must not block (net::run_blocking for disk work). Body bytes it leaves unread
// close the connection after the response.
using stream_handler = std::function<boost::asio::awaitable<response>(request, body_source&)>;

class live_routes {
 public:
  // Every method on every path that starts with `prefix`.
  void add_stream(std::string prefix, stream_handler h) { streams_[std::move(prefix)] = std::move(h); }
  // The stream handler with the longest prefix of `path`, or null.
  const stream_handler* stream(std::string_view path) const {
    const stream_handler* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& [prefix, h] : streams_)
      if (path.starts_with(prefix) && (!best || prefix.size() > best_len)) {
        best = &h;
        best_len = prefix.size();
      }
    return best;
  }
  bool has_streams() const { return !streams_.empty(); }
  void add_upgrade(std::string path, upgrade_handler h) { upgrades_[std::move(path)] = std::move(h); }
  void add_async(std::string path, async_handler h) { asyncs_[std::move(path)] = std::move(h); }
  // The handler for exactly this path, or null.
  const upgrade_handler* upgrade(const std::string& path) const {
    auto it = upgrades_.find(path);
    return it == upgrades_.end() ? nullptr : &it->second;
  }
  const async_handler* async(const std::string& path) const {
    auto it = asyncs_.find(path);
    return it == asyncs_.end() ? nullptr : &it->second;
  }
  bool empty() const { return upgrades_.empty() && asyncs_.empty() && streams_.empty(); }

 private:
  std::map<std::string, upgrade_handler, std::less<>> upgrades_;
  std::map<std::string, async_handler, std::less<>> asyncs_;
  std::map<std::string, stream_handler, std::less<>> streams_;
};

}  // namespace hearth::http
