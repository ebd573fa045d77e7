#include "core/http/session.hpp"
#include "core/http/gzip.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <exception>

#include "core/http/target.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"

namespace hearth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;
using beast_request = bhttp::request<bhttp::string_body>;
using beast_response = bhttp::response<bhttp::string_body>;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// RFC 9110 §5.6.7 IMF-fixdate, written by hand so the process locale cannot change it.
std::string http_date() {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Headers the session owns: a handler's value would contradict the framing or the policy.
bool reserved_header(std::string_view name) {
  for (std::string_view r : {"content-length", "transfer-encoding", "connection", "date", "keep-alive",
                             "strict-transport-security", "server", "upgrade", "trailer"})
    if (util::iequals(name, r)) return true;
  return false;
}

// RFC 9110 §5.1 token for names; values without CR, LF or NUL (no response splitting).
bool valid_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

enum class read_outcome { ok, closed, timeout, bad_request, header_too_large, body_too_large };

read_outcome classify(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit || ec == beast::error_code(bhttp::error::buffer_overflow))
    return read_outcome::header_too_large;
  if (ec == bhttp::error::body_limit) return read_outcome::body_too_large;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == asio::ssl::error::stream_truncated || ec == asio::error::operation_aborted ||
      ec.category() == asio::error::get_system_category() || ec.category() == asio::error::get_ssl_category())
    return read_outcome::closed;
  return read_outcome::bad_request;
}

class session {
 public:
  session(net::connection& c, std::shared_ptr<const router> routes, const session_options& opts,
          std::shared_ptr<const live_routes> live)
      : conn_(c), stream_(c.tls_stream()), routes_(std::move(routes)), live_(std::move(live)), opts_(opts),
        timer_(c.get_executor()) {}

  asio::awaitable<void> run() {
    if (!conn_.is_tls()) co_return;
    // A response goes out as several TLS records (header, body); with Nagle's algorithm the
    // last one waits for the client's delayed ACK (~40 ms per request on keep-alive).
    boost::system::error_code nodelay_ec;
    stream_.next_layer().set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
    // The listener's handshake leaves the connection's own buffer empty; should anything ever
    // sit there, it belongs in front of what Beast reads, not lost.
    while (conn_.has_buffered_input()) {
      auto r = co_await conn_.read_some(64 * 1024, opts_.read_timeout);
      if (!r) co_return;
      auto dst = buffer_.prepare(r.data.size());
      std::memcpy(dst.data(), r.data.data(), r.data.size());
      buffer_.commit(r.data.size());
    }
    for (unsigned n = 0; n < opts_.max_requests; ++n) {
      bool keep = co_await one_request(n, n + 1 < opts_.max_requests);
      if (!keep) co_return;
    }
  }

 private:
  // Reads, dispatches and answers one request. Returns whether the connection stays open.
  asio::awaitable<bool> one_request(unsigned index, bool may_keep) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(opts_.header_limit, UINT32_MAX)));
    // A streamed route takes bodies of any size (its handler sets its own limit), so the limit
    // waits until the route is known when there are such routes.
    const bool streams = live_ && live_->has_streams();
    if (streams)
      parser.body_limit(boost::none);
    else
      parser.body_limit(opts_.body_limit);

    read_outcome got = co_await read_header(parser, index == 0);
    const stream_handler* streamed = nullptr;
    if (got == read_outcome::ok && streams) {
      if (auto t = parse_target(std::string(parser.get().target()))) streamed = live_->stream(t->path);
      if (!streamed) {
        if (parser.content_length() && *parser.content_length() > opts_.body_limit)
          got = read_outcome::body_too_large;
        else
          parser.body_limit(opts_.body_limit);  // chunked bodies are counted as they come
      }
    }
    if (got == read_outcome::ok) got = co_await send_continue(parser);
    if (got == read_outcome::ok && !streamed) got = co_await read_body(parser);
    switch (got) {
      case read_outcome::ok: break;
      case read_outcome::closed: co_return false;
      case read_outcome::timeout:
        // A request begun and not finished in time is worth a line (slowloris); an idle
        // keep-alive connection is not.
        if (parser.got_some() || buffer_.size() > 0)
          log::info("http.timeout", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}, {"requests", index},
                                     {"stage", parser.is_header_done() ? "body" : "head"}});
        conn_.close();
        co_return false;
      case read_outcome::bad_request: co_return co_await refuse(400, "Bad Request\n", "malformed request");
      case read_outcome::header_too_large:
        // RFC 6585 §5.
        co_return co_await refuse(431, "Request Header Fields Too Large\n", "header too large");
      case read_outcome::body_too_large: co_return co_await refuse(413, "Content Too Large\n", "body too large");
    }

    if (streamed) co_return co_await stream_request(*streamed, parser, may_keep);
    beast_request& msg = parser.get();
    // RFC 9110 §9.3.7: "OPTIONS *" asks about the server, not a resource; no route can have it.
    if (msg.target() == "*" && msg.method() == bhttp::verb::options) {
      const bool keep_star = may_keep && msg.keep_alive();
      response ok;
      ok.headers.emplace_back("Allow", "GET, HEAD, POST, OPTIONS");
      co_return co_await send(ok, msg.version(), keep_star, false) && keep_star;
    }
    request req;
    std::string problem;
    if (!fill_request(msg, req, problem)) co_return co_await refuse(400, "Bad Request\n", problem);

    const bool head = req.method == "HEAD";
    const bool keep = may_keep && msg.keep_alive();
    const unsigned version = msg.version();
    std::string method = req.method, path = req.path;
    const std::string accept_encoding = req.header("accept-encoding");

    response out;
    try {
      const upgrade_handler* up = live_ ? live_->upgrade(req.path) : nullptr;
      const async_handler* as = live_ ? live_->async(req.path) : nullptr;
      if (up) {
        auto job = [up, &req] { return (*up)(req); };
        upgrade_decision d = co_await net::run_blocking(std::move(job));
        if (d.run) {
          log::info("http", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}, {"method", method}, {"path", path},
                             {"status", 101}});
          co_return co_await switch_protocols(d);
        }
        out = std::move(d.refusal);
      } else if (as) {
        out = co_await (*as)(std::move(req));
      } else {
        auto job = [routes = routes_, rq = std::move(req)] { return routes->dispatch(rq); };
        out = co_await net::run_blocking(std::move(job));
      }
    } catch (const std::exception& e) {
      log::error("http.error", {{"conn", conn_.id()}, {"method", method}, {"path", path}, {"error", e.what()}});
      out = response::text(500, "Internal Server Error\n");
    }
    const bool gzipped = out.file.empty() && maybe_gzip(out, accept_encoding);
    log::info("http", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}, {"method", method}, {"path", path},
                       {"status", out.status}, {"bytes", out.body.size()}, {"gzip", gzipped ? "yes" : "no"}});
    if (out.delay.count() > 0) {
      timer_.expires_after(std::min<std::chrono::milliseconds>(out.delay, std::chrono::seconds(30)));
      co_await timer_.async_wait(use_tuple);
    }
    co_return co_await send(out, version, keep, head) && keep;
  }

  // The body of a streamed request, straight from the connection: first what Beast has
  // buffered past the head, then the socket, never past Content-Length (what follows belongs
  // to the next request). Deadlines as in read_body.
  class raw_body final : public body_source {
   public:
    raw_body(session& s, std::uint64_t length) : s_(s), length_(length), start_(clock::now()) {}
    std::uint64_t length() const override { return length_; }
    bool done() const { return received_ == length_ && !failed_; }
    std::uint64_t left() const { return length_ - received_; }
    asio::awaitable<std::optional<std::string>> read(std::size_t max) override {
      if (failed_) co_return std::nullopt;
      if (received_ == length_ || max == 0) co_return std::string();
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max, length_ - received_));
      std::string out;
      if (s_.buffer_.size() > 0) {
        const std::size_t n = std::min(want, s_.buffer_.size());
        out.assign(static_cast<const char*>(s_.buffer_.data().data()), n);
        s_.buffer_.consume(n);
      } else {
        auto deadline = start_ + s_.opts_.body_timeout;
        if (s_.opts_.body_min_rate > 0) deadline += std::chrono::seconds(received_ / s_.opts_.body_min_rate);
        s_.timer_.expires_at(std::min(deadline, start_ + s_.opts_.read_timeout));
        out.resize(want);
        auto r = co_await (s_.stream_.async_read_some(asio::buffer(out.data(), out.size()), use_tuple) ||
                           s_.timer_.async_wait(use_tuple));
        if (r.index() == 1 || std::get<0>(std::get<0>(r))) {
          if (r.index() == 1)
            log::info("http.timeout", {{"conn", s_.conn_.id()}, {"ip", s_.conn_.remote_ip()}, {"stage", "body"}});
          failed_ = true;
          co_return std::nullopt;
        }
        out.resize(std::get<1>(std::get<0>(r)));
      }
      received_ += out.size();
      co_return out;
    }

   private:
    session& s_;
    std::uint64_t length_, received_ = 0;
    clock::time_point start_;
    bool failed_ = false;
  };

  // A request on a stream route: the handler reads the body itself.
  asio::awaitable<bool> stream_request(const stream_handler& h, bhttp::request_parser<bhttp::string_body>& parser,
                                       bool may_keep) {
    beast_request& msg = parser.get();
    request req;
    std::string problem;
    if (!fill_request(msg, req, problem)) co_return co_await refuse(400, "Bad Request\n", problem);
    // RFC 9110 §15.5.12: the handler checks sizes against Content-Length before it reads.
    if (parser.chunked()) co_return co_await refuse(411, "Length Required\n", "chunked body on a streamed route");
    const bool head = req.method == "HEAD";
    const unsigned version = msg.version();
    const bool keep_asked = may_keep && msg.keep_alive();
    std::string method = req.method, path = req.path;
    raw_body body(*this, parser.content_length().value_or(0));
    response out;
    try {
      out = co_await h(std::move(req), body);
    } catch (const std::exception& e) {
      log::error("http.error", {{"conn", conn_.id()}, {"method", method}, {"path", path}, {"error", e.what()}});
      out = response::text(500, "Internal Server Error\n");
    }
    // A refusal while the client is still sending: read and drop what is left when it is
    // not much, so the client gets to read the answer rather than a reset (as nginx's
    // lingering close does); a larger rest closes the connection.
    constexpr std::uint64_t drain_limit = 8 * 1024 * 1024;
    if (!body.done() && body.left() <= drain_limit)
      for (;;) {
        auto piece = co_await body.read(256 * 1024);
        if (!piece || piece->empty()) break;
      }
    const bool keep = keep_asked && body.done();
    log::info("http", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}, {"method", method}, {"path", path},
                       {"status", out.status}, {"bytes", out.file.empty() ? out.body.size() : out.file_length},
                       {"gzip", "no"}});
    co_return co_await send(out, version, keep, head) && keep;
  }

  // Writes the 101 answer and hands the connection, with what is already read, to the new
  // protocol; the connection ends with it.
  asio::awaitable<bool> switch_protocols(upgrade_decision& d) {
    timer_.expires_after(opts_.write_timeout);
    auto w = co_await (asio::async_write(stream_, asio::buffer(d.switching.data(), d.switching.size()), use_tuple) ||
                       timer_.async_wait(use_tuple));
    if (w.index() == 1 || std::get<0>(std::get<0>(w))) {
      conn_.close();
      co_return false;
    }
    std::string rest(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    co_await d.run(conn_, std::move(rest));
    co_return false;
  }

  // The request line and the header fields.
  // The head must be complete header_timeout after the session started (first request) or
  // after its first bytes came (keep-alive: those may take idle_timeout).
  asio::awaitable<read_outcome> read_header(bhttp::request_parser<bhttp::string_body>& parser, bool first) {
    if (!first && buffer_.size() == 0) {
      // Waiting for the next request on a keep-alive connection: its first bytes, raw (Beast's
      // read_some would not return before it can parse something: a whole request line).
      timer_.expires_after(opts_.idle_timeout);
      auto r = co_await (stream_.async_read_some(buffer_.prepare(4096), use_tuple) || timer_.async_wait(use_tuple));
      if (r.index() == 1) co_return conn_.is_open() ? read_outcome::timeout : read_outcome::closed;
      auto [ec, n] = std::get<0>(r);
      if (ec) co_return classify(ec);
      buffer_.commit(n);
    }
    timer_.expires_after(opts_.header_timeout);
    while (!parser.is_header_done()) {
      auto r = co_await (bhttp::async_read_some(stream_, buffer_, parser, use_tuple) || timer_.async_wait(use_tuple));
      if (r.index() == 1) co_return conn_.is_open() ? read_outcome::timeout : read_outcome::closed;
      if (auto [ec, n] = std::get<0>(r); ec) co_return classify(ec);
    }
    co_return read_outcome::ok;
  }

  // RFC 9110 §10.1.1: a client that asked to wait is told to send its body, once we know we
  // will read it (a body refused for its size gets the 413 instead, before any of it is sent).
  asio::awaitable<read_outcome> send_continue(bhttp::request_parser<bhttp::string_body>& parser) {
    auto& msg = parser.get();
    if (msg.version() < 11 || !util::iequals(msg[bhttp::field::expect], "100-continue") || parser.is_done())
      co_return read_outcome::ok;
    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
    timer_.expires_after(opts_.write_timeout);
    auto w = co_await (asio::async_write(stream_, asio::buffer(cont.data(), cont.size()), use_tuple) ||
                       timer_.async_wait(use_tuple));
    if (w.index() == 1 || std::get<0>(std::get<0>(w))) co_return read_outcome::closed;
    co_return read_outcome::ok;
  }

  // The body: body_timeout, one more second for every body_min_rate octets that came, at most
  // read_timeout in all; a client trickling a few octets at a time runs out of time.
  asio::awaitable<read_outcome> read_body(bhttp::request_parser<bhttp::string_body>& parser) {
    const auto start = clock::now();
    const auto cap = start + opts_.read_timeout;
    std::uint64_t received = 0;
    while (!parser.is_done()) {
      auto deadline = start + opts_.body_timeout;
      if (opts_.body_min_rate > 0) deadline += std::chrono::seconds(received / opts_.body_min_rate);
      timer_.expires_at(std::min(deadline, cap));
      auto r = co_await (bhttp::async_read_some(stream_, buffer_, parser, use_tuple) || timer_.async_wait(use_tuple));
      if (r.index() == 1) co_return conn_.is_open() ? read_outcome::timeout : read_outcome::closed;
      auto [ec, n] = std::get<0>(r);
      if (ec) co_return classify(ec);
      received += n;
    }
    co_return read_outcome::ok;
  }

  // Fills router.hpp's request from Beast's message; false (with the reason) means 400.
  bool fill_request(beast_request& msg, request& req, std::string& problem) {
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto target = parse_target(req.target);
    if (!target) {
      problem = target.error().message;
      return false;
    }
    req.path = std::move(target->path);
    req.query = std::move(target->query);
    for (const auto& f : msg) {
      std::string name = util::to_lower(f.name_string());
      auto [it, fresh] = req.headers.try_emplace(name, std::string(f.value()));
      if (!fresh) it->second += ", " + std::string(f.value());
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field is answered 400; an
    // absolute-form target's authority replaces Host (§3.2.2).
    const std::size_t hosts = msg.count(bhttp::field::host);
    if (msg.version() >= 11 && hosts != 1) {
      problem = "HTTP/1.1 request needs exactly one Host";
      return false;
    }
    if (hosts > 1) {
      problem = "several Host fields";
      return false;
    }
    auto host = normalize_host(target->authority.empty() ? std::string_view(msg[bhttp::field::host])
                                                         : std::string_view(target->authority));
    if (!host) {
      problem = "invalid Host";
      return false;
    }
    req.host = std::move(*host);
    req.body = std::move(msg.body());
    req.remote_ip = conn_.remote_ip();
    req.tls = true;
    return true;
  }

  asio::awaitable<bool> refuse(int status, std::string text, std::string_view why) {
    log::info("http.refused", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}, {"status", status}, {"reason", why}});
    co_await send(response::text(status, std::move(text)), 11, false, false);
    co_return false;
  }

  // The status line and the headers of `r` on `res` (a string_body or empty_body message);
  // returns the status sent.
  template <class Message>
  int fill_head(Message& res, const response& r, unsigned version) {
    res.version(version == 10 ? 10 : 11);
    int status = r.status;
    if (status < 200 || status > 599) status = 500;  // 1xx are the session's, not a handler's
    res.result(static_cast<unsigned>(status));
    if (bhttp::int_to_status(static_cast<unsigned>(status)) == bhttp::status::unknown) res.reason("Unknown");
    for (const auto& [name, value] : r.headers) {
      if (reserved_header(name)) continue;
      if (!valid_header(name, value)) {
        log::warn("http.header", {{"conn", conn_.id()}, {"error", "handler header dropped"}, {"name", name}});
        continue;
      }
      res.insert(name, value);
    }
    res.set(bhttp::field::date, http_date());
    // RFC 6797 §7.1: HSTS on every secure response; the server only speaks HTTPS.
    res.set(bhttp::field::strict_transport_security, "max-age=31536000");
    return status;
  }

  // Writes the response; false on a write error or timeout (the connection is then closed).
  asio::awaitable<bool> send(const response& r, unsigned version, bool keep, bool head) {
    if (!r.file.empty()) co_return co_await send_file(r, version, keep, head);
    beast_response res;
    const int status = fill_head(res, r, version);
    // RFC 9110 §8.6: no Content-Length on 204; on 304 it would have to be the GET's.
    if (status != 204 && status != 304) res.content_length(r.body.size());
    if (!head && status != 204 && status != 304) res.body() = r.body;
    res.keep_alive(keep);

    timer_.expires_after(opts_.write_timeout);
    auto w = co_await (bhttp::async_write(stream_, res, use_tuple) || timer_.async_wait(use_tuple));
    if (w.index() == 1 || std::get<0>(std::get<0>(w))) {
      conn_.close();
      co_return false;
    }
    co_return true;
  }

  // A response whose body is a file range: the head, then the file in pieces read on the
  // blocking pool, each write under write_timeout. A file that cannot be read completely
  // closes the connection (the head has promised its length).
  asio::awaitable<bool> send_file(const response& r, unsigned version, bool keep, bool head) {
    bhttp::response<bhttp::empty_body> res;
    fill_head(res, r, version);
    res.content_length(r.file_length);
    res.keep_alive(keep);
    bhttp::response_serializer<bhttp::empty_body> sr(res);
    timer_.expires_after(opts_.write_timeout);
    auto w = co_await (bhttp::async_write_header(stream_, sr, use_tuple) || timer_.async_wait(use_tuple));
    if (w.index() == 1 || std::get<0>(std::get<0>(w))) {
      conn_.close();
      co_return false;
    }
    if (head) co_return true;
    const int fd = ::open(r.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      log::error("http.error", {{"conn", conn_.id()}, {"error", "cannot open " + r.file}});
      conn_.close();
      co_return false;
    }
    struct closer {
      int fd;
      ~closer() { ::close(fd); }
    } guard{fd};
    constexpr std::size_t piece = 256 * 1024;
    std::string buf;
    std::uint64_t offset = r.file_offset, left = r.file_length;
    while (left > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(piece, left));
      buf.resize(want);
      auto job = [&buf, fd, offset, want] { return ::pread(fd, buf.data(), want, static_cast<off_t>(offset)); };
      const ssize_t got = co_await net::run_blocking(std::move(job));
      if (got <= 0) {
        log::error("http.error", {{"conn", conn_.id()}, {"error", "short read of " + r.file}});
        conn_.close();
        co_return false;
      }
      timer_.expires_after(opts_.write_timeout);
      auto wr = co_await (asio::async_write(stream_, asio::buffer(buf.data(), static_cast<std::size_t>(got)), use_tuple) ||
                          timer_.async_wait(use_tuple));
      if (wr.index() == 1 || std::get<0>(std::get<0>(wr))) {
        conn_.close();
        co_return false;
      }
      offset += static_cast<std::uint64_t>(got);
      left -= static_cast<std::uint64_t>(got);
    }
    co_return true;
  }

  net::connection& conn_;
  net::tls_io::tls_stream stream_;
  std::shared_ptr<const router> routes_;
  std::shared_ptr<const live_routes> live_;
  session_options opts_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
};

}  // namespace

net::handler make_https_handler(std::shared_ptr<const router> routes, session_options opts,
                                std::shared_ptr<const live_routes> live) {
  return [routes = std::move(routes), opts, live = std::move(live)](net::connection& c) -> asio::awaitable<void> {
    session s(c, routes, opts, live);
    co_await s.run();
  };
}

net::handler make_busy_handler(std::chrono::seconds retry_after, std::chrono::milliseconds timeout) {
  return [retry_after, timeout](net::connection& c) -> asio::awaitable<void> {
    if (!c.is_tls()) co_return;
    c.set_write_timeout(timeout);
    // Up to the end of the head, at most 16 KiB; whatever comes is not looked at.
    constexpr std::size_t max_head = 16 * 1024;
    const auto deadline = clock::now() + timeout;
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < max_head) {
      const auto now = clock::now();
      if (now >= deadline) break;
      auto r = co_await c.read_some(max_head - head.size(), deadline - now);
      if (!r) break;
      head += r.data;
    }
    log::info("http.busy", {{"conn", c.id()}, {"ip", c.remote_ip()}, {"status", 503},
                            {"reason", "too many connections from this address"}});
    const std::string body = "Service Unavailable: too many connections from your address\n";
    std::string out = "HTTP/1.1 503 Service Unavailable\r\nDate: " + http_date() +
                      "\r\nRetry-After: " + std::to_string(retry_after.count()) +
                      "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    co_await c.write(out);
  };
}

}  // namespace hearth::http
