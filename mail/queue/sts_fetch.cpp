// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// allocator is freed (the same as mail/queue/client.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "mail/queue/sts_fetch.hpp"

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
#include "core/util/strings.hpp"
#include "mail/queue/mta_sts.hpp"

namespace hearth::mail::queue {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_addresses = 4;

asio::awaitable<std::vector<asio::ip::address>> addresses(dns::resolver& r, const std::string& host) {
  std::vector<asio::ip::address> out;
  auto a4 = co_await r.a(host);
  if (a4.st == dns::status::ok)
    for (const auto& a : a4.records) out.push_back(a);
  auto a6 = co_await r.aaaa(host);
  if (a6.st == dns::status::ok)
    for (const auto& a : a6.records) out.push_back(a);
  if (out.size() > max_addresses) out.resize(max_addresses);
  co_return out;
}

// One GET on one address. Exceptions (timeouts, TLS and HTTP errors) are the caller's.
asio::awaitable<sts_fetch_result> get_once(asio::ssl::context& verify, const std::string& host, tcp::endpoint ep,
                                           std::chrono::steady_clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> s(ex, verify);
  // RFC 8461 §3.3: the certificate must be valid for "mta-sts." + domain (RFC 6125 host check).
  SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
  X509_VERIFY_PARAM* param = SSL_get0_param(s.native_handle());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  SSL_set_verify(s.native_handle(), SSL_VERIFY_PEER, nullptr);
  auto left = [&] {
    return std::max(std::chrono::steady_clock::duration(std::chrono::milliseconds(1)), deadline - std::chrono::steady_clock::now());
  };
  beast::get_lowest_layer(s).expires_after(left());
  co_await beast::get_lowest_layer(s).async_connect(ep, asio::use_awaitable);
  beast::get_lowest_layer(s).expires_after(left());
  boost::system::error_code hec;
  co_await s.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, hec));
  if (hec) {
    // TLS-RPT tells a certificate the policy host should not have from a host that is down.
    sts_fetch_result r;
    r.error = "TLS with " + host + " failed: " + hec.message();
    r.webpki = hec.category() == asio::error::get_ssl_category();
    co_return r;
  }
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/.well-known/mta-sts.txt", 11};
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::user_agent, "hearth");
  req.set(bhttp::field::connection, "close");
  beast::get_lowest_layer(s).expires_after(left());
  co_await bhttp::async_write(s, req, asio::use_awaitable);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(sts_max_policy);
  parser.header_limit(16 * 1024);
  beast::get_lowest_layer(s).expires_after(left());
  co_await bhttp::async_read(s, buf, parser, asio::use_awaitable);
  sts_fetch_result r;
  const auto& res = parser.get();
  if (res.result_int() != 200) {
    // §3.3: "HTTP 3xx redirects MUST NOT be followed".
    r.error = "HTTP status " + std::to_string(res.result_int()) + " from " + host;
    co_return r;
  }
  std::string type = util::to_lower(std::string(res[bhttp::field::content_type]));
  type = std::string(util::trim(type.substr(0, type.find(';'))));
  if (type != "text/plain") {
    r.error = "media type \"" + type + "\" from " + host + ", not text/plain";
    co_return r;
  }
  r.body = res.body();
  boost::system::error_code ec;
  beast::get_lowest_layer(s).expires_after(std::chrono::seconds(2));
  co_await s.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return r;
}

}  // namespace

asio::awaitable<sts_fetch_result> fetch_sts_policy(dns::resolver& resolver, asio::ssl::context& verify, std::string domain,
                                                   std::uint16_t port, std::chrono::seconds timeout) {
  const std::string host = "mta-sts." + domain;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sts_fetch_result out;
  auto addrs = co_await addresses(resolver, host);
  if (addrs.empty()) {
    out.error = "no address for " + host;
    co_return out;
  }
  for (const auto& a : addrs) {
    try {
      auto r = co_await get_once(verify, host, tcp::endpoint(a, port), deadline);
      if (r.body || std::chrono::steady_clock::now() >= deadline) co_return r;
      out = std::move(r);
    } catch (const std::exception& e) {
      out.error = "fetching https://" + host + ":" + std::to_string(port) + "/.well-known/mta-sts.txt: " + e.what();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  co_return out;
}

}  // namespace hearth::mail::queue
