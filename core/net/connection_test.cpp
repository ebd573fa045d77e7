// The line reader and STARTTLS over real loopback sockets.
#include "core/net/connection.hpp"

#include <algorithm>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "core/net/test_support.hpp"

// GCC evaluates a co_await inside Catch's CHECK twice (it hoists co_await out of the macro's
// short-circuited `false && (expr)`), so every co_await below is assigned before it is checked.

using namespace hearth::net;
using namespace std::chrono_literals;
namespace test = hearth::net::test;

namespace {
// A temporary certificate for `host` and the server TLS contexts built from it.
struct one_cert {
  test::temp_dir dir;
  hearth::config::certificate cert;
  std::shared_ptr<hearth::tls::context_set> set;
  explicit one_cert(const std::string& host) : cert(test::make_cert(dir.path, host)) {
    auto s = hearth::tls::context_set::create({cert});
    REQUIRE(s);
    set = *s;
  }
  std::shared_ptr<hearth::tls::generation> current() const { return set->current(); }
};
}  // namespace

TEST_CASE("read_line: CRLF and bare LF lines, an over-long line, then the next line") {
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), nullptr);
  std::string big(100000, 'x');
  asio::write(cli, asio::buffer("HELLO there\r\nbare\n\r\n" + big + "\r\nnext\r\n" + std::string(60, 'y') + "\n"));
  test::run(io, [&]() -> asio::awaitable<void> {
    auto l1 = co_await c.read_line(50, 5s);
    CHECK(l1.status == read_status::ok);
    CHECK(l1.data == "HELLO there");
    CHECK(l1.crlf);
    auto l2 = co_await c.read_line(50, 5s);
    CHECK(l2.data == "bare");
    CHECK_FALSE(l2.crlf);
    auto l3 = co_await c.read_line(50, 5s);
    CHECK(l3.status == read_status::ok);
    CHECK(l3.data.empty());
    auto l4 = co_await c.read_line(50, 5s);
    CHECK(l4.status == read_status::too_long);
    auto l5 = co_await c.read_line(50, 5s);
    CHECK(l5.status == read_status::ok);
    CHECK(l5.data == "next");
    // Over the limit although the whole line is already buffered.
    auto l6 = co_await c.read_line(50, 5s);
    CHECK(l6.status == read_status::too_long);
    CHECK_FALSE(c.has_buffered_input());
  });
}

TEST_CASE("read_line: a line exactly at the limit is accepted") {
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), nullptr);
  asio::write(cli, asio::buffer(std::string(20, 'a') + "\r\n" + std::string(21, 'b') + "\r\n"));
  test::run(io, [&]() -> asio::awaitable<void> {
    auto a = co_await c.read_line(20, 5s);
    CHECK(a.status == read_status::ok);
    CHECK(a.data.size() == 20);
    auto b = co_await c.read_line(20, 5s);
    CHECK(b.status == read_status::too_long);
  });
}

TEST_CASE("read_line: the timeout fires when no line arrives, and a partial line is kept") {
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), nullptr);
  asio::write(cli, asio::buffer(std::string("partial")));
  test::run(io, [&]() -> asio::awaitable<void> {
    auto r = co_await c.read_line(100, 100ms);
    CHECK(r.status == read_status::timeout);
    CHECK(c.has_buffered_input());
    asio::write(cli, asio::buffer(std::string(" line\r\n")));
    auto r2 = co_await c.read_line(100, 5s);
    CHECK(r2.status == read_status::ok);
    CHECK(r2.data == "partial line");
  });
}

TEST_CASE("read_some: an idle read waits without a buffer, then bulk data arrives intact") {
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), nullptr);
  std::string big;
  for (int i = 0; big.size() < 200000; ++i) big += std::to_string(i) + ",";
  // Written only once the server's read is waiting on an empty socket.
  asio::steady_timer t(io);
  t.expires_after(50ms);
  t.async_wait([&](boost::system::error_code) { asio::write(cli, asio::buffer(big)); });
  test::run(io, [&]() -> asio::awaitable<void> {
    std::string got;
    std::size_t largest = 0;
    while (got.size() < big.size()) {
      auto r = co_await c.read_some(64 * 1024, 5s);
      REQUIRE(r.status == read_status::ok);
      largest = std::max(largest, r.data.size());
      got += r.data;
    }
    CHECK(got == big);
    CHECK(largest > 4096);  // bulk data is read in full-size chunks
  });
}

TEST_CASE("read_exact reads literals across packets; EOF is reported as closed") {
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), nullptr);
  asio::write(cli, asio::buffer(std::string("A1 APPEND {5}\r\nabc")));
  test::run(io, [&]() -> asio::awaitable<void> {
    auto cmd = co_await c.read_line(100, 5s);
    CHECK(cmd.data == "A1 APPEND {5}");
    auto partial = co_await c.read_exact(5, 100ms);
    CHECK(partial.status == read_status::timeout);
    asio::write(cli, asio::buffer(std::string("de\r\nrest")));
    auto lit = co_await c.read_exact(5, 5s);
    CHECK(lit.status == read_status::ok);
    CHECK(lit.data == "abcde");
    auto tail = co_await c.read_line(100, 5s);
    CHECK(tail.data.empty());
    CHECK(tail.crlf);
    boost::system::error_code ec;
    cli.shutdown(tcp::socket::shutdown_send, ec);
    auto eof = co_await c.read_line(100, 5s);
    CHECK(eof.status == read_status::closed);
    bool wrote = co_await c.write("* BYE\r\n");
    CHECK(wrote);
  });
  std::string got(7, '\0');
  asio::read(cli, asio::buffer(got));
  CHECK(got == "* BYE\r\n");
}

TEST_CASE("STARTTLS: injected plaintext is dropped, SNI picks the certificate, tls-exporter matches") {
  test::temp_dir dir;
  auto a = test::make_cert(dir.path, "mail.one.test");
  auto b = test::make_cert(dir.path, "chat.two.test");
  auto set = hearth::tls::context_set::create({a, b});
  REQUIRE(set);

  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), (*set)->current());

  asio::ssl::context cctx(asio::ssl::context::tls_client);
  cctx.load_verify_file(b.cert_file.string());
  cctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<tcp::socket> client(std::move(cli), cctx);
  SSL_set_tlsext_host_name(client.native_handle(), "chat.two.test");
  client.set_verify_callback(asio::ssl::host_name_verification("chat.two.test"));

  std::optional<std::string> server_cb;
  std::string client_cb(32, '\0');
  bool client_ok = false;

  // CVE-2011-0411: "INJECTED" is sent in plaintext right after STARTTLS.
  asio::write(client.next_layer(), asio::buffer(std::string("STARTTLS\r\nINJECTED\r\n")));
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto cmd = co_await c.read_line(100, 5s);
    CHECK(cmd.data == "STARTTLS");
    CHECK(c.has_buffered_input());
    bool wrote = co_await c.write("220 go ahead\r\n");
    CHECK(wrote);
    bool started = co_await c.start_tls(5s);
    CHECK(started);
    CHECK(c.is_tls());
    CHECK_FALSE(c.has_buffered_input());
    CHECK(c.sni() == "chat.two.test");
    CHECK(c.certificate_subject().find("chat.two.test") != std::string::npos);
    CHECK(c.tls_version() == "TLSv1.3");
    server_cb = c.channel_binding();
    auto next = co_await c.read_line(100, 5s);
    CHECK(next.data == "EHLO after");
    co_await c.shutdown();
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    std::string greet(14, '\0');
    co_await asio::async_read(client.next_layer(), asio::buffer(greet), asio::use_awaitable);
    CHECK(greet == "220 go ahead\r\n");
    co_await client.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    static constexpr char label[] = "EXPORTER-Channel-Binding";
    client_ok = SSL_export_keying_material(client.native_handle(), reinterpret_cast<unsigned char*>(client_cb.data()),
                                           32, label, sizeof label - 1, nullptr, 0, 0) == 1;
    co_await asio::async_write(client, asio::buffer(std::string("EHLO after\r\n")), asio::use_awaitable);
  }, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  REQUIRE(client_ok);
  REQUIRE(server_cb);
  CHECK(server_cb->size() == 32);
  CHECK(*server_cb == client_cb);
}

TEST_CASE("start_tls fails cleanly on a plain-only connection and on a garbage handshake") {
  one_cert tls("mail.one.test");
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  auto [srv2, cli2] = test::socket_pair(io);
  connection plain(std::move(srv), nullptr);
  connection c(std::move(srv2), tls.current());
  asio::write(cli2, asio::buffer(std::string("this is not a ClientHello\r\n\r\n")));
  test::run(io, [&]() -> asio::awaitable<void> {
    bool plain_ok = co_await plain.start_tls(1s);
    CHECK_FALSE(plain_ok);
    bool garbage_ok = co_await c.start_tls(5s);
    CHECK_FALSE(garbage_ok);
    CHECK_FALSE(c.is_open());
    auto r = co_await c.read_line(100, 1s);
    CHECK(r.status == read_status::closed);
  });
}

TEST_CASE("TLS: bulk data both ways; a write larger than the socket buffers waits for the reader") {
  one_cert tls("mail.one.test");
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  connection c(std::move(srv), tls.current());
  asio::ssl::context cctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> client(std::move(cli), cctx);

  std::string up, down;
  for (int i = 0; up.size() < 300000; ++i) up += "u" + std::to_string(i) + "\n";
  for (int i = 0; down.size() < 3000000; ++i) down += "d" + std::to_string(i) + ",";
  std::string got_up, got_down;
  bool server_wrote = false, client_read_all = false;

  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    bool started = co_await c.start_tls(5s);
    REQUIRE(started);
    while (got_up.size() < up.size()) {
      auto r = co_await c.read_some(1 << 20, 5s);
      REQUIRE(r.status == read_status::ok);
      got_up += r.data;
    }
    server_wrote = co_await c.write(down);  // far more than the kernel buffers hold
    auto eof = co_await c.read_line(100, 5s);
    CHECK(eof.status == read_status::closed);
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await client.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    co_await asio::async_write(client, asio::buffer(up), asio::use_awaitable);
    // Let the server's write fill the socket buffers before reading anything.
    asio::steady_timer t(io);
    t.expires_after(100ms);
    co_await t.async_wait(asio::use_awaitable);
    std::string buf(64 * 1024, '\0');
    while (got_down.size() < down.size()) {
      std::size_t n = co_await client.async_read_some(asio::buffer(buf), asio::use_awaitable);
      got_down.append(buf, 0, n);
    }
    client_read_all = true;
    client.next_layer().close();  // without close_notify: the server sees the connection end
  }, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  CHECK(got_up == up);
  CHECK(server_wrote);
  REQUIRE(client_read_all);
  CHECK(got_down == down);
}

TEST_CASE("TLS: a handshake that stalls times out and closes; a read timeout keeps the session") {
  one_cert tls("mail.one.test");
  asio::io_context io;
  auto [srv, cli] = test::socket_pair(io);
  auto [srv2, cli2] = test::socket_pair(io);
  connection silent(std::move(srv), tls.current());
  connection c(std::move(srv2), tls.current());
  asio::ssl::context cctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> client(std::move(cli2), cctx);
  // The first bytes of a TLS record header, then nothing.
  asio::write(cli, asio::buffer(std::string("\x16\x03\x01", 3)));
  bool silent_ok = true, tls_ok = false;
  read_result idle, after;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    silent_ok = co_await silent.start_tls(200ms);
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    tls_ok = co_await c.start_tls(5s);
    idle = co_await c.read_line(100, 150ms);  // the client says nothing yet
    after = co_await c.read_line(100, 5s);
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await client.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    asio::steady_timer t(io);
    t.expires_after(400ms);
    co_await t.async_wait(asio::use_awaitable);
    co_await asio::async_write(client, asio::buffer(std::string("late line\r\n")), asio::use_awaitable);
  }, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run_for(10s);
  CHECK_FALSE(silent_ok);
  CHECK_FALSE(silent.is_open());
  REQUIRE(tls_ok);
  CHECK(idle.status == read_status::timeout);
  CHECK(after.status == read_status::ok);
  CHECK(after.data == "late line");
}

TEST_CASE("client TLS: SNI, peer_verified by trust store and host name, and data both ways") {
  one_cert tls("chat.one.test");
  asio::ssl::context trusting(asio::ssl::context::tls_client);
  trusting.load_verify_file(tls.cert.cert_file.string());
  asio::ssl::context empty(asio::ssl::context::tls_client);

  struct outcome {
    bool ok = false, verified_right = false, verified_wrong = true;
    std::string sni, line;
  };
  auto run = [&](asio::ssl::context& ctx) {
    asio::io_context io;
    auto [srv, cli] = test::socket_pair(io);
    connection server(std::move(srv), tls.current());
    connection client(std::move(cli), nullptr);
    outcome o;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      bool started = co_await server.start_tls(5s);
      if (!started) co_return;
      o.sni = server.sni();
      auto l = co_await server.read_line(100, 5s);
      o.line = l.data;
      co_await server.write("pong\r\n");
    }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      o.ok = co_await client.start_tls_client(ctx, "chat.one.test", 5s);
      if (!o.ok) co_return;
      o.verified_right = client.peer_verified("chat.one.test");
      o.verified_wrong = client.peer_verified("other.test");
      co_await client.write("ping\r\n");
      auto l = co_await client.read_line(100, 5s);
      if (l.data != "pong") o.ok = false;
    }, asio::detached);
    io.run_for(10s);
    return o;
  };
  auto t = run(trusting);
  REQUIRE(t.ok);
  CHECK(t.sni == "chat.one.test");
  CHECK(t.line == "ping");
  CHECK(t.verified_right);
  CHECK_FALSE(t.verified_wrong);  // a certificate for another name
  auto u = run(empty);
  REQUIRE(u.ok);  // an unverifiable certificate does not stop the handshake
  CHECK_FALSE(u.verified_right);
}
