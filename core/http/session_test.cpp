// The HTTPS session over real loopback TLS: a net::server with the https handler, and a Beast
// client in the test. Every client conversation runs under io.run_for(), so nothing can hang.
#include "core/http/session.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "core/net/test_support.hpp"

using namespace hearth;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using reply = bhttp::response<bhttp::string_body>;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
const std::string host = "mail.one.test";

struct fixture {
  net::test::temp_dir dir;
  config::certificate cert;
  std::unique_ptr<net::server> srv;
  std::thread io_thread;
  std::uint16_t port = 0;
  std::atomic<bool> handler_on_io_thread{false};
  std::string file_path;

  explicit fixture(http::session_options opts) {
    cert = net::test::make_cert(dir.path, host);
    auto set = tls::context_set::create({cert});
    REQUIRE(set);
    auto rt = std::make_shared<http::router>();
    rt->add({{"GET"}, "/hello", false, std::nullopt, [this](const http::request& req) {
               if (std::this_thread::get_id() == io_thread.get_id()) handler_on_io_thread = true;
               auto r = http::response::text(200, "hi " + req.host + " " + req.remote_ip);
               r.headers.emplace_back("X-Test", "1");
               r.headers.emplace_back("Content-Length", "999");  // the session's, not the handler's
               return r;
             }});
    rt->add({{"POST"}, "/echo", false, std::nullopt,
             [](const http::request& req) { return http::response::text(200, req.body); }});
    rt->add({{"GET"}, "/boom", false, std::nullopt,
             [](const http::request&) -> http::response { throw std::runtime_error("handler failed"); }});
    rt->add({{"GET"}, "/slow", false, std::nullopt, [](const http::request&) {
               auto r = http::response::text(200, "slow");
               r.delay = 50ms;  // waited on a timer by the session, not in this thread
               return r;
             }});
    rt->add({{"GET"}, "/", true, std::nullopt,
             [](const http::request& req) { return http::response::text(200, "prefix " + req.path); }});
    // Live routes: an upgrade that echoes what follows the request, and a late answer.
    auto live = std::make_shared<http::live_routes>();
    live->add_upgrade("/up", [](const http::request& req) {
      http::upgrade_decision d;
      if (req.header("x-ok").empty()) {
        d.refusal = http::response::text(403, "no\n");
        return d;
      }
      d.switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
      d.run = [](net::connection& c, std::string early) -> asio::awaitable<void> {
        std::string got = early;
        while (got.size() < 4) {
          auto r = co_await c.read_some(1024, 5s);
          if (!r) co_return;
          got += r.data;
        }
        co_await c.write("got:" + got);
      };
      return d;
    });
    live->add_async("/later", [](http::request req) -> asio::awaitable<http::response> {
      asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
      co_await t.async_wait(use_tuple);
      co_return http::response::text(200, "later " + req.method);
    });
    // A streamed route: PUT counts the body it reads piece by piece ("/stream/skip" reads
    // none of it); GET sends 5 octets from offset 2 of a file.
    file_path = (dir.path / "file.txt").string();
    {
      std::ofstream(file_path) << "0123456789";
    }
    live->add_stream("/stream/", [this](http::request req, http::body_source& body) -> asio::awaitable<http::response> {
      if (req.method == "GET" || req.method == "HEAD") {
        http::response r;
        r.file = file_path;
        r.file_offset = 2;
        r.file_length = 5;
        co_return r;
      }
      std::uint64_t n = 0;
      std::size_t pieces = 0;
      if (req.path != "/stream/skip")
        for (;;) {
          auto piece = co_await body.read(4096);
          if (!piece) co_return http::response::text(400, "cut\n");
          if (piece->empty()) break;
          n += piece->size();
          ++pieces;
        }
      co_return http::response::text(200, std::to_string(n) + " of " + std::to_string(body.length()) + " in " +
                                              (pieces > 1 ? "pieces" : "one"));
    });
    srv = std::make_unique<net::server>(net::server_options{.threads = 1}, *set);
    auto bound = srv->add_listener("https", {"127.0.0.1"}, 0, config::tls_mode::implicit,
                                   http::make_https_handler(rt, opts, live));
    REQUIRE(bound);
    port = *bound;
    io_thread = std::thread([this] { srv->run(); });
  }
  ~fixture() {
    srv->stop(0ms);
    io_thread.join();
  }
};

struct client {
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  asio::ssl::stream<tcp::socket> s;
  boost::beast::flat_buffer buf;

  client(asio::io_context& io, const fixture& f) : s(io, (ctx.load_verify_file(f.cert.cert_file.string()), ctx)) {
    s.set_verify_mode(asio::ssl::verify_peer);
    s.set_verify_callback(asio::ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
  }
  asio::awaitable<void> connect(std::uint16_t port) {
    co_await s.next_layer().async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
    co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  }
  asio::awaitable<bool> send(std::string raw) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(raw), use_tuple);
    co_return !ec;
  }
  // One response; nullopt when the server closed (or broke) the connection instead.
  asio::awaitable<std::optional<reply>> read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(100 * 1024 * 1024);
    p.skip(head);
    auto [ec, n] = co_await bhttp::async_read(s, buf, p, use_tuple);
    if (ec) co_return std::nullopt;
    co_return p.release();
  }
  // True when the server has closed: the next read fails rather than delivering a response.
  asio::awaitable<bool> closed() {
    auto r = co_await read();
    co_return !r.has_value();
  }
};

// Runs one client conversation, bounded in time; fails the test if it did not finish.
template <class F>
void converse(const fixture& f, F body) {
  asio::io_context io;
  client c(io, f);
  bool done = false;
  std::exception_ptr err;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await c.connect(f.port);
    co_await body(c);
  }, [&](std::exception_ptr e) {
    err = e;
    done = true;
  });
  io.run_for(20s);
  if (err) std::rethrow_exception(err);
  REQUIRE(done);
}

std::string get(std::string path, std::string extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: Mail.One.Test:443\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("https session: two keep-alive requests on one connection, mandatory headers") {
  fixture f({});
  converse(f, [&](client& c) -> asio::awaitable<void> {
    bool sent = co_await c.send(get("/hello"));
    REQUIRE(sent);
    auto r1 = co_await c.read();
    REQUIRE(r1);
    CHECK(r1->result_int() == 200);
    CHECK(r1->body() == "hi mail.one.test 127.0.0.1");
    CHECK((*r1)[bhttp::field::content_length] == "26");
    CHECK((*r1)["X-Test"] == "1");
    CHECK((*r1)[bhttp::field::strict_transport_security] == "max-age=31536000");
    CHECK((*r1)[bhttp::field::date].ends_with(" GMT"));
    CHECK(r1->count(bhttp::field::server) == 0);
    CHECK(r1->keep_alive());
    sent = co_await c.send(get("/missing/../"));  // refused on the same connection later
    (void)sent;
    auto r2 = co_await c.read();
    REQUIRE(r2);
    CHECK(r2->result_int() == 400);
  });
  converse(f, [&](client& c) -> asio::awaitable<void> {
    co_await c.send(get("/hello"));
    auto r1 = co_await c.read();
    co_await c.send(get("/nothing-here/%C3%A9"));
    auto r2 = co_await c.read();
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(r1->result_int() == 200);
    CHECK(r2->result_int() == 200);
    CHECK(r2->body() == "prefix /nothing-here/\xC3\xA9");
    co_await c.send("OPTIONS * HTTP/1.1\r\nHost: mail.one.test\r\n\r\n");
    auto star = co_await c.read();
    REQUIRE(star);
    CHECK(star->result_int() == 200);
    CHECK((*star)[bhttp::field::allow].find("GET") != boost::beast::string_view::npos);
  });
  CHECK_FALSE(f.handler_on_io_thread);
}

TEST_CASE("https session: pipelined requests, HEAD, POST body, 500, a delayed answer, HTTP/1.0") {
  fixture f({});
  converse(f, [&](client& c) -> asio::awaitable<void> {
    // Three requests in one write: answered in order.
    co_await c.send("HEAD /hello HTTP/1.1\r\nHost: mail.one.test\r\n\r\n" +
                    std::string("POST /echo HTTP/1.1\r\nHost: mail.one.test\r\nContent-Length: 5\r\n\r\nabcde") +
                    get("/boom") + get("/slow"));
    auto head = co_await c.read(true);
    REQUIRE(head);
    CHECK(head->result_int() == 200);
    CHECK((*head)[bhttp::field::content_length] == "26");
    CHECK(head->body().empty());
    auto post = co_await c.read();
    REQUIRE(post);
    CHECK(post->body() == "abcde");
    auto boom = co_await c.read();
    REQUIRE(boom);
    CHECK(boom->result_int() == 500);
    CHECK(boom->body().find("handler failed") == std::string::npos);
    auto slow = co_await c.read();
    REQUIRE(slow);
    CHECK(slow->body() == "slow");
  });
  converse(f, [&](client& c) -> asio::awaitable<void> {
    co_await c.send("GET /hello HTTP/1.0\r\n\r\n");
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->version() == 10);
    CHECK(r->result_int() == 200);
    CHECK(r->body() == "hi  127.0.0.1");
    bool gone = co_await c.closed();
    CHECK(gone);  // HTTP/1.0 without keep-alive: one request
  });
}

TEST_CASE("https session: limits and malformed requests answer and close") {
  http::session_options opts;
  opts.body_limit = 1024;
  fixture f(opts);
  auto expect_refusal = [&](std::string raw, unsigned status) {
    INFO(raw.substr(0, 60));
    converse(f, [&](client& c) -> asio::awaitable<void> {
      co_await c.send(raw);
      auto r = co_await c.read();
      REQUIRE(r);
      CHECK(r->result_int() == status);
      CHECK_FALSE(r->keep_alive());
      bool gone = co_await c.closed();
      CHECK(gone);
    });
  };
  expect_refusal(get("/hello", "X-Big: " + std::string(20 * 1024, 'a') + "\r\n"), 431);
  expect_refusal("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n", 413);
  expect_refusal("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                     std::string(2048, 'x') + "\r\n0\r\n\r\n", 413);
  expect_refusal("garbage\r\n\r\n", 400);
  expect_refusal(get("/../etc/passwd"), 400);
  expect_refusal(get("/%2e%2e/x"), 400);
  expect_refusal(get("/a%2fb"), 400);
  expect_refusal("GET /hello HTTP/1.1\r\n\r\n", 400);  // HTTP/1.1 without Host
  expect_refusal("GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
}

TEST_CASE("https session: the idle timeout and the request cap close the connection") {
  http::session_options opts;
  opts.idle_timeout = 200ms;
  opts.header_timeout = 500ms;
  opts.max_requests = 2;
  fixture f(opts);
  converse(f, [&](client& c) -> asio::awaitable<void> {
    co_await c.send(get("/hello"));
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->keep_alive());
    bool gone = co_await c.closed();  // we send nothing more: the server gives up
    CHECK(gone);
  });
  converse(f, [&](client& c) -> asio::awaitable<void> {
    co_await c.send(get("/hello") + get("/hello") + get("/hello"));
    auto r1 = co_await c.read();
    auto r2 = co_await c.read();
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(r1->keep_alive());
    CHECK_FALSE(r2->keep_alive());  // the second of max_requests = 2 says close
    bool gone = co_await c.closed();
    CHECK(gone);
  });
  // A header that never completes: the header timeout closes without an answer.
  converse(f, [&](client& c) -> asio::awaitable<void> {
    co_await c.send("GET /hello HTTP/1.1\r\nHost: a\r\n");
    bool gone = co_await c.closed();
    CHECK(gone);
  });
}

TEST_CASE("https session: 12 MB each way; the response waits for a client that reads late") {
  http::session_options o;
  o.body_limit = 16 * 1024 * 1024;
  fixture f(o);
  converse(f, [&](client& c) -> asio::awaitable<void> {
    std::string body;
    for (int i = 0; body.size() < 12 * 1024 * 1024; ++i) body += std::to_string(i) + ",";
    bool sent = co_await c.send("POST /echo HTTP/1.1\r\nHost: mail.one.test\r\nContent-Type: text/plain\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    REQUIRE(sent);
    // More than the loopback socket buffers hold: the server's TLS writes have to wait.
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(200ms);
    co_await t.async_wait(asio::use_awaitable);
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(r->body().size() == body.size());
    CHECK(r->body() == body);
  });
}

TEST_CASE("https session: live routes take the connection over (upgrade) or answer later") {
  fixture f({});
  converse(f, [&](client& c) -> asio::awaitable<void> {
    // Refused: a plain answer, and the connection goes on.
    co_await c.send(get("/up"));
    auto no = co_await c.read();
    REQUIRE(no);
    CHECK(no->result_int() == 403);
    co_await c.send(get("/later"));
    auto later = co_await c.read();
    REQUIRE(later);
    CHECK(later->body() == "later GET");
    // Accepted: 101, then the new protocol gets the bytes sent right after the request.
    co_await c.send(get("/up", "X-Ok: 1\r\n") + "ping");
    auto up = co_await c.read(true);
    REQUIRE(up);
    CHECK(up->result_int() == 101);
    std::string rest(static_cast<const char*>(c.buf.data().data()), c.buf.size());
    while (rest.find("got:ping") == std::string::npos) {
      char tmp[256];
      auto [ec, n] = co_await c.s.async_read_some(asio::buffer(tmp), use_tuple);
      if (ec) break;
      rest.append(tmp, n);
    }
    CHECK(rest == "got:ping");
  });
}


TEST_CASE("https session: streamed routes read bodies over the limit piece by piece; file responses") {
  http::session_options opts;
  opts.body_limit = 1024;
  fixture f(opts);
  const std::string big(100 * 1024, 'z');
  converse(f, [&](client& c) -> asio::awaitable<void> {
    // Over body_limit, yet taken: the handler reads it; the connection goes on.
    co_await c.send("PUT /stream/a HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" +
                    big + get("/stream/f"));
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(r->body() == "102400 of 102400 in pieces");
    CHECK(r->keep_alive());
    auto file = co_await c.read();
    REQUIRE(file);
    CHECK(file->result_int() == 200);
    CHECK(file->body() == "23456");
    // The plain routes keep their limit.
    co_await c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n");
    auto refused = co_await c.read();
    REQUIRE(refused);
    CHECK(refused->result_int() == 413);
  });
  converse(f, [&](client& c) -> asio::awaitable<void> {
    // HEAD of a file response: its length, no body.
    co_await c.send("HEAD /stream/f HTTP/1.1\r\nHost: a\r\n\r\n");
    auto h = co_await c.read(true);
    REQUIRE(h);
    CHECK(h->result_int() == 200);
    CHECK((*h)[bhttp::field::content_length] == "5");
    // A handler that leaves a small body unread: the session drops the rest, the connection
    // goes on; a large unread rest closes it.
    co_await c.send("PUT /stream/skip HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789" +
                    get("/stream/f"));
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->body() == "0 of 10 in one");
    CHECK(r->keep_alive());
    auto next = co_await c.read();
    REQUIRE(next);
    CHECK(next->body() == "23456");
    co_await c.send("PUT /stream/skip HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n0123456789");
    auto big = co_await c.read();
    REQUIRE(big);
    CHECK_FALSE(big->keep_alive());
  });
  converse(f, [&](client& c) -> asio::awaitable<void> {
    co_await c.send("PUT /stream/a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->result_int() == 411);
  });
}
