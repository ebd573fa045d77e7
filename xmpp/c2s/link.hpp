// What the c2s negotiation needs of the transport a client came over: XMPP over TCP (RFC 6120,
// with STARTTLS), over WebSocket (RFC 7395) or over BOSH (XEP-0206). The transports differ only
// in framing: how the stream is opened, restarted and closed, and whether each top-level element
// travels on its own (WebSocket messages) or in one byte stream. The negotiation (SASL, bind,
// stream management, CSI, the hub) is the same code for all of them (xmpp/c2s/session.cpp).
//
// Thread-safety: a link belongs to one negotiation coroutine, on one strand; reads and writes
// may be pending at the same time (the bound session's reader and writer), but never two
// writes at once.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stream/parser.hpp"

namespace hearth::net {
class connection;
}

namespace hearth::xmpp {

class c2s_link {
 public:
  virtual ~c2s_link() = default;

  // The next stream event (the stream opened, a top-level element, the stream closed, or a
  // stream error condition), or nullopt when the transport closed or `timeout` passed without
  // one (timed_out() tells which).
  virtual boost::asio::awaitable<std::optional<stream_event>> next(std::chrono::seconds timeout) = 0;
  virtual bool timed_out() const = 0;
  // Bytes the client may send before the limit is lifted (max_unauthenticated_bytes), after
  // which next() gives a `policy-violation` error; UINT64_MAX lifts it.
  virtual void set_max_bytes(std::uint64_t max) = 0;
  // A new stream follows on the same transport (after SASL success, RFC 6120 §6.4.6).
  virtual void restart() = 0;

  // The stream header (TCP), <open/> (WebSocket) or nothing (BOSH, whose body carries it).
  virtual boost::asio::awaitable<bool> write_open(std::string_view from, std::string_view id) = 0;
  // Top-level elements, each complete and serialized with the jabber:client namespace in scope
  // and the "stream:" prefix for the streams namespace. False when the transport failed.
  virtual boost::asio::awaitable<bool> write(const std::vector<std::string_view>& elements) = 0;
  boost::asio::awaitable<bool> write(std::string_view element) {
    // A coroutine, so that the vector outlives the write (a lazily started awaitable).
    const std::vector<std::string_view> one{element};
    co_return co_await write(one);
  }
  // Closes the stream politely (</stream:stream>, <close/>, or BOSH type='terminate').
  virtual boost::asio::awaitable<void> write_close() = 0;
  // A stream error (RFC 6120 §4.9), then the stream's end.
  virtual boost::asio::awaitable<void> write_error(std::string_view condition) = 0;
  // Reads and discards what the client still sends, briefly and bounded, so that closing does
  // not reset the connection before the client has read the last words.
  virtual boost::asio::awaitable<void> drain() = 0;
  virtual void close() = 0;

  // STARTTLS (RFC 6120 §5): TCP on 5222 only. secure() is true once TLS is up; WebSocket and
  // BOSH only run over HTTPS, so they are secure from the start.
  virtual bool secure() const = 0;
  // Bytes received and not yet parsed or taken (nothing may be pipelined after <starttls/>).
  virtual bool input_pending() const { return false; }
  virtual boost::asio::awaitable<bool> start_tls(std::chrono::seconds) { co_return false; }
  // tls-exporter (RFC 9266) when the whole session runs over one TLS connection.
  virtual std::optional<std::string> channel_binding() const = 0;
  // tls-server-end-point (RFC 5929), likewise.
  virtual std::optional<std::string> channel_binding_end_point() const { return std::nullopt; }

  virtual const std::string& remote_ip() const = 0;
  virtual const std::string& id() const = 0;  // for log lines
  virtual boost::asio::any_io_executor get_executor() = 0;
};

class c2s_service;
// Runs a c2s session over `link` until it ends (the session object may outlive it for
// XEP-0198 resumption).
boost::asio::awaitable<void> run_c2s(c2s_service& svc, c2s_link& link);

// The TCP link (5222, 5223): RFC 6120 framing over a connection.
std::unique_ptr<c2s_link> make_tcp_link(net::connection& c, parser_limits limits);

}  // namespace hearth::xmpp
