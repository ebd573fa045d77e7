// The listeners: one io_context run by N threads, an accept loop per bound address, one
// coroutine per connection on its own strand (ARCHITECTURE.md "Threads and storage").
//
//   net::server srv({.threads = cfg.threads}, tls);
//   srv.add_listener("imap", {"127.0.0.1", "::1"}, 143, config::tls_mode::starttls,
//                    [](net::connection& c) -> asio::awaitable<void> { ... });
//   srv.run();            // blocks until stop() has finished
//
// A handler owns the conversation; when it returns the connection is closed. Exceptions
// thrown by a handler stop at the session boundary: logged as session.error, never fatal.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/net/connection.hpp"
#include "core/tls/context_set.hpp"
#include "core/util/result.hpp"

namespace hearth::net {

using handler = std::function<asio::awaitable<void>(connection&)>;

struct server_options {
  unsigned threads = 0;                                      // 0 = hardware_concurrency
  unsigned max_connections_per_ip = 50;                      // further connections are closed at once; 0 = no limit
  std::chrono::seconds handshake_timeout{30};                // implicit-TLS handshake
  // Connections over max_connections_per_ip that a listener with an over-limit handler still
  // takes to answer (HTTPS: 503), per address and in all; beyond, they are closed at once.
  unsigned over_limit_per_ip = 4;
  unsigned over_limit_total = 256;
  std::chrono::seconds over_limit_handshake_timeout{5};
  // After this many connections have closed, freed memory is given back to the system
  // (net/memory.hpp) once the burst is over (trim_delay after the count is reached, so at most
  // once per trim_delay); 0 = never.
  unsigned trim_after_closes = 256;
  std::chrono::milliseconds trim_delay{2000};
};

class server {
 public:
  // `tls` may be null only if no listener uses TLS (tests).
  server(server_options opts, std::shared_ptr<tls::context_set> tls);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  asio::io_context& io() { return io_; }

  // Binds every address (IP literals; IPv6 with v6_only so "0.0.0.0" and "::" coexist) and
  // starts accepting. `name` is the service name for logs. Returns the bound port (useful with
  // port 0 in tests). Errors: "net.address" (not an IP literal), "net.bind" (with the address
  // and the system's reason). Call before run(), or from any thread while running.
  result<std::uint16_t> add_listener(const std::string& name, const std::vector<std::string>& addresses,
                                     std::uint16_t port, config::tls_mode mode, handler h);

  // Runs the io_context on `threads` threads (this one included); returns after stop().
  void run();
  // Thread-safe, idempotent. Closes the acceptors, lets sessions finish for `grace`, then
  // closes their sockets and stops the io_context, which makes run() return.
  void stop(std::chrono::milliseconds grace);

  std::size_t active_connections() const;

  // A hook run on each connection of the listeners named `name` just before their implicit-TLS
  // handshake, e.g. to ask for a client certificate (XMPP s2s on 5270, where the session only
  // starts after the handshake). Thread-safe; set it before add_listener.
  void set_before_handshake(const std::string& name, std::function<void(connection&)> hook);

  // For the listeners named `name`: connections from an address over max_connections_per_ip
  // are handed to `h` (after the implicit-TLS handshake, under over_limit_handshake_timeout)
  // instead of being closed at once, so that the client learns why (HTTPS answers 503 with
  // Retry-After rather than a reset). They count against over_limit_per_ip/_total, not the
  // address's connections; `h` must be short. Thread-safe; set it before add_listener.
  void set_over_limit(const std::string& name, handler h);

 private:
  struct listener {
    std::string name;
    config::tls_mode mode;
    handler h;
    handler over_limit;  // may be empty
    std::unique_ptr<tcp::acceptor> acceptor;
    std::string addr;  // "127.0.0.1:10025" for logs
  };
  asio::awaitable<void> accept_loop(std::shared_ptr<listener> l);
  asio::awaitable<void> session(std::shared_ptr<listener> l, std::shared_ptr<connection> c, bool over_limit);
  asio::awaitable<void> drain(std::chrono::milliseconds grace);
  enum class admission { refused, normal, over_limit };
  admission admit(const std::string& ip, bool may_overflow);
  void release(const std::string& ip, const std::shared_ptr<connection>& c, bool over_limit);
  void schedule_trim();  // with mutex_ held

  // Declared first so it is destroyed last: sockets and timers below refer to it.
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  server_options opts_;
  std::shared_ptr<tls::context_set> tls_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;  // guards the members below
  std::vector<std::shared_ptr<listener>> listeners_;
  std::set<std::shared_ptr<connection>> sessions_;
  std::map<std::string, unsigned> per_ip_;
  std::map<std::string, unsigned> over_per_ip_;  // over-limit connections being answered
  unsigned over_total_ = 0;
  std::map<std::string, std::function<void(connection&)>> before_handshake_;
  std::map<std::string, handler> over_limit_;
  unsigned closed_since_trim_ = 0;
  // Set while a trim is scheduled or running; shared with the blocking-pool task, which may
  // finish after the server is gone.
  std::shared_ptr<std::atomic<bool>> trim_pending_ = std::make_shared<std::atomic<bool>>(false);
  asio::steady_timer trim_timer_{io_};  // used only while *trim_pending_
};

}  // namespace hearth::net
