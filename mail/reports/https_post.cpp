// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// allocator is freed (the same as mail/queue/client.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "mail/reports/https_post.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <vector>

#include "core/dns/resolver.hpp"

namespace hearth::mail::reports {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_addresses = 4;
constexpr std::size_t max_answer_body = 64 * 1024;  // the answer is read only for its status

// One POST to one address. Exceptions (timeouts, TLS and HTTP errors) are the caller's.
asio::awaitable<post_result> post_once(asio::ssl::context& verify, const https_target& to, tcp::endpoint ep,
                                       const std::string& body, const std::string& content_type,
                                       std::chrono::steady_clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> s(ex, verify);
  // The certificate must name the host of the URI (RFC 6125), as for an MTA-STS policy host.
  SSL_set_tlsext_host_name(s.native_handle(), to.host.c_str());
  X509_VERIFY_PARAM* param = SSL_get0_param(s.native_handle());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(param, to.host.c_str(), 0);
  SSL_set_verify(s.native_handle(), SSL_VERIFY_PEER, nullptr);
  auto left = [&] {
    return std::max(std::chrono::steady_clock::duration(std::chrono::milliseconds(1)),
                    deadline - std::chrono::steady_clock::now());
  };
  beast::get_lowest_layer(s).expires_after(left());
  co_await beast::get_lowest_layer(s).async_connect(ep, asio::use_awaitable);
  beast::get_lowest_layer(s).expires_after(left());
  co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, to.target, 11};
  const std::string host_field = to.port == 443 ? to.host : to.host + ":" + std::to_string(to.port);
  req.set(bhttp::field::host, host_field);
  req.set(bhttp::field::user_agent, "hearth");
  req.set(bhttp::field::content_type, content_type);
  req.set(bhttp::field::connection, "close");
  req.body() = body;
  req.prepare_payload();
  beast::get_lowest_layer(s).expires_after(left());
  co_await bhttp::async_write(s, req, asio::use_awaitable);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_answer_body);
  parser.header_limit(16 * 1024);
  beast::get_lowest_layer(s).expires_after(left());
  co_await bhttp::async_read(s, buf, parser, asio::use_awaitable);
  post_result r;
  r.status = static_cast<int>(parser.get().result_int());
  r.ok = r.status >= 200 && r.status < 300;
  if (!r.ok) r.error = "HTTP status " + std::to_string(r.status) + " from " + to.host;
  boost::system::error_code ec;
  beast::get_lowest_layer(s).expires_after(std::chrono::seconds(2));
  co_await s.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return r;
}

}  // namespace

asio::awaitable<post_result> post_report(dns::resolver& resolver, asio::ssl::context& verify, https_target to,
                                         std::string body, std::string content_type, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  post_result out;
  std::vector<asio::ip::address> addrs;
  auto a4 = co_await resolver.a(to.host);
  if (a4.st == dns::status::ok)
    for (const auto& a : a4.records) addrs.push_back(a);
  auto a6 = co_await resolver.aaaa(to.host);
  if (a6.st == dns::status::ok)
    for (const auto& a : a6.records) addrs.push_back(a);
  if (addrs.size() > max_addresses) addrs.resize(max_addresses);
  if (addrs.empty()) {
    out.error = "no address for " + to.host;
    co_return out;
  }
  const std::string where = "https://" + to.host + ":" + std::to_string(to.port) + to.target;
  for (const auto& a : addrs) {
    try {
      auto r = co_await post_once(verify, to, tcp::endpoint(a, to.port), body, content_type, deadline);
      // An HTTP answer, even a refusal, ends it: the collector has spoken.
      co_return r;
    } catch (const std::exception& e) {
      out.error = "posting to " + where + ": " + e.what();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  co_return out;
}

}  // namespace hearth::mail::reports
