// Internals of xmpp/s2s shared by the incoming and outgoing sides.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/connection.hpp"
#include "xmpp/s2s/s2s.hpp"

typedef struct ssl_st SSL;
typedef struct x509_store_st X509_STORE;
#include "xmpp/stream/parser.hpp"
#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp {

inline constexpr std::string_view ns_dialback = "jabber:server:dialback";
inline constexpr std::string_view ns_tls_s2s = "urn:ietf:params:xml:ns:xmpp-tls";

// Sets the namespace `from` to `to` on e and its descendants (jabber:client <-> jabber:server).
void switch_ns(element& e, std::string_view from, std::string_view to);

// One outgoing TCP (then TLS) connection with deadlines on every operation.
class out_link {
 public:
  out_link(boost::asio::any_io_executor ex, boost::asio::ssl::context& ctx);
  boost::asio::awaitable<bool> connect(const boost::asio::ip::tcp::endpoint& ep, std::chrono::seconds timeout);
  // Client handshake with SNI = domain; verified() tells whether the certificate chained to a
  // trusted CA and names the domain (RFC 6125).
  boost::asio::awaitable<bool> start_tls(const std::string& domain, std::chrono::seconds timeout);
  boost::asio::awaitable<std::optional<std::string>> read_some(std::chrono::seconds timeout);
  boost::asio::awaitable<bool> write(std::string_view data, std::chrono::seconds timeout);
  void close();
  bool tls() const;
  bool verified() const { return verified_; }

 private:
  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& ctx_;
  std::unique_ptr<net::connection> conn_;  // once connected
  bool verified_ = false;
};

// A remote domain's outgoing stream: stanzas wait here while it comes up.
struct out_stream {
  std::string domain;
  std::deque<element> queue;  // guarded by s2s_service::mu
  boost::asio::any_io_executor strand;  // the stream's coroutine, timer and socket
  std::shared_ptr<boost::asio::steady_timer> signal;
};

class s2s_service : public std::enable_shared_from_this<s2s_service> {
 public:
  s2s_service(boost::asio::any_io_executor ex, hub& h, dns::resolver& res, s2s_options o);
  ~s2s_service();
  s2s_service(const s2s_service&) = delete;
  s2s_service& operator=(const s2s_service&) = delete;

  void send(element stanza);
  // Connects to `domain`'s server (SRV, then the domain), negotiates TLS and opens a stream
  // from `local`. Returns the link and the stream id the remote sent; nullptr on failure.
  struct opened {
    std::unique_ptr<out_link> link;
    std::unique_ptr<stream_parser> parser;
    std::deque<stream_event> pending;
    std::string stream_id;
    element features;
  };
  boost::asio::awaitable<std::optional<opened>> open(const std::string& local, const std::string& domain);
  boost::asio::awaitable<std::optional<stream_event>> next(opened& o, std::chrono::seconds timeout);
  // Asks `domain`'s authoritative server whether `key` is valid (XEP-0220 §2.3).
  // The peer certificate on `ssl` chains to a trusted CA (system + ca_file) and names `domain`
  // (RFC 6125). The key usage is not checked: servers present their server certificate.
  bool peer_cert_valid(SSL* ssl, const std::string& domain) const;
  bool has_client_cert() const { return has_cert_; }
  boost::asio::awaitable<bool> verify_key(const std::string& local, const std::string& domain, const std::string& stream_id,
                                          const std::string& key);

  boost::asio::any_io_executor ex;
  hub& hub_;
  dns::resolver& res;
  s2s_options opts;
  boost::asio::ssl::context client_ctx;

 private:
  // How one connection attempt of run_out ended: closed by us when idle (the stream is
  // forgotten), the remote not reachable or not authenticated, or the stream closed by the
  // remote (or a failed write) with `wrote` telling whether any stanza went out on it.
  struct out_attempt {
    enum { idle, unreachable, closed } end;
    bool wrote;
  };
  boost::asio::awaitable<void> run_out(std::shared_ptr<out_stream> os, std::string local);
  boost::asio::awaitable<out_attempt> attempt_out(std::shared_ptr<out_stream> os, const std::string& local,
                                                  const std::string& key);
  // Routes a stanza error (RFC 6120 §8.3) back to each stanza's sender; error stanzas are dropped.
  void bounce_all(std::deque<element>& q, const char* type, const char* condition);
  X509_STORE* store_ = nullptr;
  bool has_cert_ = false;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<out_stream>> out_;  // by "local remote"
};

}  // namespace hearth::xmpp
