// XMPP over WebSocket (RFC 7395): the upgrade on /xmpp-websocket and the c2s link over the
// upgraded connection (core/http/websocket.hpp frames, framing.hpp elements).
#include <boost/asio/use_awaitable.hpp>

#include "core/http/websocket.hpp"
#include "core/log/log.hpp"
#include "core/net/connection.hpp"
#include "xmpp/c2s/link.hpp"
#include "xmpp/c2s/session_state.hpp"
#include "xmpp/web/proto/framing.hpp"
#include "xmpp/web/web.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::xmpp::web {

namespace asio = boost::asio;
namespace ws = http::ws;

namespace {

class ws_link final : public c2s_link {
 public:
  ws_link(net::connection& c, parser_limits lim, std::size_t max_message, std::string already_read)
      : c_(c), decoder_(max_message, true), framing_(lim), early_(std::move(already_read)) {}

  asio::awaitable<std::optional<stream_event>> next(std::chrono::seconds timeout) override {
    while (next_pending_ == pending_.size()) {
      if (ended_) co_return std::nullopt;
      next_pending_ = 0;
      pending_.clear();
      std::string data;
      if (!early_.empty()) {
        data.swap(early_);
      } else {
        if (!c_.input_available()) {
          framing_.hibernate();
          std::vector<stream_event>().swap(pending_);
        }
        auto r = co_await c_.read_some(64 * 1024, timeout);
        if (r.status == net::read_status::timeout) {
          timed_out_ = true;
          co_return std::nullopt;
        }
        if (!r) co_return std::nullopt;
        data = std::move(r.data);
      }
      frames_.clear();
      decoder_.feed(data, frames_);
      for (auto& f : frames_) {
        switch (f.kind) {
          case ws::event::message:
            if (framing_.failed()) break;
            framing_.message(f.data, pending_);
            if (framing_.bytes_fed() > max_bytes_ && !framing_.failed()) {
              stream_event err;
              err.condition = "policy-violation";
              pending_.push_back(std::move(err));
              max_bytes_ = UINT64_MAX;
            }
            break;
          case ws::event::ping:
            // RFC 6455 §5.5.2: a pong with the ping's data, as soon as practical.
            co_await send_bytes(ws::encode(ws::opcode::pong, f.data));
            break;
          case ws::event::pong: break;
          case ws::event::close: {
            // §5.5.1: the client closes the connection: the stream ends with it.
            peer_closed_ = true;
            ended_ = true;
            stream_event ev;
            ev.kind = stream_event::close;
            pending_.push_back(std::move(ev));
            break;
          }
          case ws::event::fail:
            // §7.1.7: fail the connection with the code that says why.
            log::info("xmpp.websocket.fail", {{"conn", c_.id()}, {"ip", c_.remote_ip()}, {"code", f.code}, {"reason", f.data}});
            co_await send_close_frame(f.code, f.data);
            ended_ = true;
            c_.close();
            break;
        }
      }
      if (ended_ && next_pending_ == pending_.size()) co_return std::nullopt;
    }
    co_return std::move(pending_[next_pending_++]);
  }
  bool timed_out() const override { return timed_out_; }
  void set_max_bytes(std::uint64_t max) override { max_bytes_ = max; }
  void restart() override {}  // §3.5: the client sends a new <open/> on the same parser

  asio::awaitable<bool> write_open(std::string_view from, std::string_view id) override {
    co_return co_await send_bytes(ws::encode(ws::opcode::text, ws_framing::open(from, id)));
  }
  asio::awaitable<bool> write(const std::vector<std::string_view>& elements) override {
    std::string out;
    for (auto e : elements) out += ws::encode(ws::opcode::text, ws_framing::element(e));
    co_return co_await send_bytes(out);
  }
  asio::awaitable<void> write_close() override {
    if (!peer_closed_) co_await send_bytes(ws::encode(ws::opcode::text, ws_framing::close()));
    co_await send_close_frame(ws::normal, {});
    co_await await_peer_close();
  }
  asio::awaitable<void> write_error(std::string_view condition) override {
    if (!peer_closed_ && !close_sent_)
      co_await send_bytes(ws::encode(ws::opcode::text, ws_framing::error(condition)) +
                          ws::encode(ws::opcode::text, ws_framing::close()));
    co_await send_close_frame(ws::normal, {});
  }
  asio::awaitable<void> drain() override { co_await await_peer_close(); }
  void close() override { c_.close(); }

  bool secure() const override { return c_.is_tls(); }
  std::optional<std::string> channel_binding() const override { return c_.channel_binding(); }
  std::optional<std::string> channel_binding_end_point() const override { return c_.channel_binding_end_point(); }
  const std::string& remote_ip() const override { return c_.remote_ip(); }
  const std::string& id() const override { return c_.id(); }
  asio::any_io_executor get_executor() override { return c_.get_executor(); }

 private:
  // The reader (pongs) and the writer may both want to write: one writes, the other's bytes
  // join the queue it flushes (same strand, so no lock).
  // By reference: GCC 12 mishandles a by-value coroutine parameter given a temporary.
  asio::awaitable<bool> send_bytes(const std::string& bytes) {
    if (close_sent_) co_return false;  // §5.5.1: nothing after our close frame
    out_ += bytes;
    if (writing_) co_return true;
    writing_ = true;
    bool ok = true;
    while (ok && !out_.empty()) {
      std::string buf;
      buf.swap(out_);
      ok = co_await c_.write(buf);
    }
    out_.clear();
    writing_ = false;
    co_return ok;
  }
  asio::awaitable<void> send_close_frame(std::uint16_t code, std::string_view reason) {
    if (close_sent_) co_return;
    co_await send_bytes(ws::encode_close(code, reason));
    close_sent_ = true;
  }
  // §7.1.1: after our close frame, the client answers with its own and the server closes the
  // TCP connection; wait for it briefly (bounded), discarding data frames.
  asio::awaitable<void> await_peer_close() {
    std::size_t total = 0;
    while (!peer_closed_ && !decoder_.done() && c_.is_open() && total < 1024 * 1024) {
      auto r = co_await c_.read_some(64 * 1024, std::chrono::seconds(2));
      if (!r) break;
      total += r.data.size();
      frames_.clear();
      decoder_.feed(r.data, frames_);
      for (auto& f : frames_)
        if (f.kind == ws::event::close || f.kind == ws::event::fail) peer_closed_ = true;
    }
  }

  net::connection& c_;
  ws::decoder decoder_;
  ws_framing framing_;
  std::string early_;  // bytes the HTTP session read past the upgrade request
  std::vector<ws::event> frames_;
  std::vector<stream_event> pending_;
  std::size_t next_pending_ = 0;
  std::string out_;
  bool writing_ = false;
  bool close_sent_ = false;
  bool peer_closed_ = false;
  bool ended_ = false;
  bool timed_out_ = false;
  std::uint64_t max_bytes_ = UINT64_MAX;
};

}  // namespace

http::upgrade_decision websocket_upgrade(const http::request& req, const std::shared_ptr<c2s_service>& svc,
                                         const web_options& o) {
  http::upgrade_decision d;
  auto refuse = [&](int status, std::string why) {
    log::info("xmpp.websocket.refused", {{"ip", req.remote_ip}, {"status", status}, {"reason", why}});
    d.refusal = http::response::text(status, why + "\n");
    return d;
  };
  if (std::string why = ws::check_upgrade(req); !why.empty()) {
    auto r = refuse(426, "Upgrade Required: " + why);
    return r;
  }
  // RFC 7395 §3.1: the client asks for the "xmpp" subprotocol; without it, no XMPP.
  if (!ws::offers_protocol(req.header("sec-websocket-protocol"), "xmpp"))
    return refuse(400, "Bad Request: Sec-WebSocket-Protocol must offer xmpp");
  if (auto origin = req.headers.find("origin"); origin != req.headers.end() && !origin_allowed(o, origin->second))
    return refuse(403, "Forbidden: origin " + origin->second + " may not use XMPP here");
  d.switching = ws::switching_protocols(req.header("sec-websocket-key"), "xmpp");
  const std::size_t max_message = o.max_message;
  d.run = [svc, max_message](net::connection& c, std::string already) -> asio::awaitable<void> {
    log::info("xmpp.websocket.open", {{"conn", c.id()}, {"ip", c.remote_ip()}});
    ws_link link(c, svc->opts.limits, max_message, std::move(already));
    co_await run_c2s(*svc, link);
  };
  return d;
}

}  // namespace hearth::xmpp::web
