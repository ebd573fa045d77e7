// The server over real loopback listeners: handlers, implicit TLS, the per-IP cap, the
// session boundary and graceful stop.
#include "core/net/server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>

#include "core/net/test_support.hpp"

using namespace hearth::net;
using namespace std::chrono_literals;
namespace test = hearth::net::test;

namespace {

asio::awaitable<void> echo_once(connection& c) {
  co_await c.write("220 hi\r\n");
  auto l = co_await c.read_line(100, 5s);
  if (l.data == "THROW") throw std::runtime_error("boom");
  if (l) co_await c.write("echo " + l.data + "\r\n");
}

std::string read_line(tcp::socket& s) {
  asio::streambuf buf;
  boost::system::error_code ec;
  asio::read_until(s, buf, '\n', ec);
  if (ec) return "<" + ec.message() + ">";
  std::string out(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
  return out;
}

}  // namespace

TEST_CASE("server: handlers run per connection, throwing ones are contained, the IP cap holds, stop ends run()") {
  server srv({.threads = 2, .max_connections_per_ip = 2}, nullptr);
  auto port = srv.add_listener("test", {"127.0.0.1"}, 0, hearth::config::tls_mode::starttls, echo_once);
  REQUIRE(port);
  REQUIRE(*port != 0);
  std::thread runner([&] { srv.run(); });

  asio::io_context io;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), *port);
  {
    tcp::socket s(io);
    s.connect(ep);
    CHECK(read_line(s) == "220 hi\r\n");
    asio::write(s, asio::buffer(std::string("ping\r\n")));
    CHECK(read_line(s) == "echo ping\r\n");
  }
  {
    tcp::socket s(io);
    s.connect(ep);
    CHECK(read_line(s) == "220 hi\r\n");
    asio::write(s, asio::buffer(std::string("THROW\r\n")));
    // The session ends, the connection is closed, the server goes on.
    CHECK(read_line(s) == "<End of file>");
  }
  // The sessions above end asynchronously after their sockets close: wait (bounded) until the
  // server has counted them out, or the cap below would be hit early.
  for (int i = 0; i < 500 && srv.active_connections() != 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(srv.active_connections() == 0);
  // Two idle connections fill the cap; the third is closed without a greeting.
  tcp::socket s1(io), s2(io), s3(io);
  s1.connect(ep);
  CHECK(read_line(s1) == "220 hi\r\n");
  s2.connect(ep);
  CHECK(read_line(s2) == "220 hi\r\n");
  s3.connect(ep);
  std::string third = read_line(s3);
  CHECK(third.find("220") == std::string::npos);

  // s1 and s2 are still open and idle: stop() must close them after the grace period.
  srv.stop(100ms);
  runner.join();
  CHECK(srv.active_connections() == 0);
  CHECK(read_line(s1).front() == '<');
}

TEST_CASE("server: over the IP cap, a listener's over-limit handler answers, within its own budget") {
  server_options o;
  o.threads = 1;
  o.max_connections_per_ip = 1;
  o.over_limit_per_ip = 1;
  server srv(o, nullptr);
  srv.set_over_limit("test", [](connection& c) -> asio::awaitable<void> {
    co_await c.write("421 busy\r\n");
    co_await c.read_line(100, 5s);  // held until the client goes: fills the over-limit budget
  });
  auto port = srv.add_listener("test", {"127.0.0.1"}, 0, hearth::config::tls_mode::starttls, echo_once);
  auto other = srv.add_listener("other", {"127.0.0.1"}, 0, hearth::config::tls_mode::starttls, echo_once);
  REQUIRE(port);
  REQUIRE(other);
  std::thread runner([&] { srv.run(); });
  asio::io_context io;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), *port);
  tcp::socket s1(io), s2(io), s3(io), s4(io);
  s1.connect(ep);
  CHECK(read_line(s1) == "220 hi\r\n");
  s2.connect(ep);
  CHECK(read_line(s2) == "421 busy\r\n");  // over the cap: the over-limit handler
  s3.connect(ep);
  CHECK(read_line(s3).front() == '<');  // over the over-limit budget too: closed at once
  s4.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), *other));
  CHECK(read_line(s4).front() == '<');  // a listener without one closes as before
  s2.close();
  s1.close();
  for (int i = 0; i < 500 && srv.active_connections() != 0; ++i) std::this_thread::sleep_for(10ms);
  tcp::socket s5(io);
  s5.connect(ep);
  CHECK(read_line(s5) == "220 hi\r\n");  // both budgets were given back
  srv.stop(100ms);
  runner.join();
}

TEST_CASE("server: an implicit-TLS listener handshakes before the handler; bind errors are values") {
  test::temp_dir dir;
  auto cert = test::make_cert(dir.path, "mail.one.test");
  auto set = hearth::tls::context_set::create({cert});
  REQUIRE(set);
  server srv({.threads = 1}, *set);
  std::string seen_sni;
  auto port = srv.add_listener("imaps", {"127.0.0.1"}, 0, hearth::config::tls_mode::implicit,
                               [&](connection& c) -> asio::awaitable<void> {
                                 seen_sni = c.sni();
                                 co_await c.write(c.is_tls() ? "* OK tls\r\n" : "* BAD plain\r\n");
                               });
  REQUIRE(port);
  auto clash = srv.add_listener("again", {"127.0.0.1"}, *port, hearth::config::tls_mode::implicit,
                                [](connection&) -> asio::awaitable<void> { co_return; });
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == "net.bind");
  auto bad = srv.add_listener("bad", {"not-an-ip"}, 0, hearth::config::tls_mode::implicit,
                              [](connection&) -> asio::awaitable<void> { co_return; });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "net.address");

  std::thread runner([&] { srv.run(); });
  asio::io_context io;
  asio::ssl::context cctx(asio::ssl::context::tls_client);
  cctx.load_verify_file(cert.cert_file.string());
  cctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<tcp::socket> s(io, cctx);
  SSL_set_tlsext_host_name(s.native_handle(), "mail.one.test");
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), *port));
  s.handshake(asio::ssl::stream_base::client);
  asio::streambuf buf;
  asio::read_until(s, buf, '\n');
  std::string line(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
  CHECK(line == "* OK tls\r\n");
  srv.stop(100ms);
  runner.join();
  CHECK(seen_sni == "mail.one.test");
}
