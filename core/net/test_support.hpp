// Helpers for core/net unit tests only (loopback socket pairs, throwaway certificates).
#pragma once
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <utility>

#include "core/config/config.hpp"
#include "tests/unit/test_certs.hpp"

// GCC 12 reports a false -Wmismatched-new-delete on coroutine lambdas (Asio's awaitable frame
// has its own operator new/delete); test code only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::net::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A connected (server side, client side) pair over 127.0.0.1.
inline std::pair<tcp::socket, tcp::socket> socket_pair(asio::io_context& io) {
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acc.local_endpoint());
  tcp::socket server = acc.accept();
  return {std::move(server), std::move(client)};
}

// Runs one coroutine to completion on io; rethrows what it threw.
template <class F>
void run(asio::io_context& io, F&& f) {
  std::exception_ptr err;
  asio::co_spawn(io, f(), [&](std::exception_ptr e) { err = e; });
  io.run();
  io.restart();
  if (err) std::rethrow_exception(err);
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/hearth-net-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

using hearth::test::make_cert;

}  // namespace hearth::net::test
