// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// allocator is freed (the same as mail/queue/client.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "mail/filter/sync.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <exception>
#include <fstream>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"

namespace hearth::mail::filter {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

std::optional<https_url> parse_https_url(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  if (url.size() <= scheme.size() || util::to_lower(std::string(url.substr(0, scheme.size()))) != scheme)
    return std::nullopt;
  url.remove_prefix(scheme.size());
  https_url u;
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      u.path.find_first_of("?# \t\r\n") != std::string::npos)
    return std::nullopt;
  std::string_view port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty() || u.host.find_first_of(" \t\r\n/?#") != std::string::npos) return std::nullopt;
  if (!port.empty() || authority.back() == ':') {
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    unsigned long p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) return std::nullopt;
    u.port = std::string(port);
  }
  return u;
}

std::optional<std::vector<std::string>> parse_listing(std::string_view body, std::string_view domain) {
  const std::string suffix = "@" + util::to_lower(std::string(domain));
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string l = util::to_lower(std::string(line));
    if (l.size() > 320 || l.find_first_of(" \t\r\"<>,;") != std::string::npos) return std::nullopt;
    if (l.size() < suffix.size() || l.compare(l.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
    if (l.find('@') != l.size() - suffix.size()) return std::nullopt;  // one '@', the domain's
    out.push_back(std::move(l));
  }
  return out;
}

namespace {

struct fetch_result {
  int status = 0;
  std::string body;
};

asio::awaitable<fetch_result> fetch(asio::ssl::context& ctx, const https_url& u, std::string target,
                                    std::string secret) {
  auto ex = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> s(ex, ctx);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(u.host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(s.native_handle());
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str());
  } else {
    SSL_set_tlsext_host_name(s.native_handle(), u.host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, u.host.c_str(), 0);
  }
  tcp::resolver resolver(ex);
  auto eps = co_await resolver.async_resolve(u.host, u.port, asio::use_awaitable);
  beast::get_lowest_layer(s).expires_after(std::chrono::seconds(30));
  co_await beast::get_lowest_layer(s).async_connect(eps, asio::use_awaitable);
  co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, (!ec && ip.is_v6() ? "[" + u.host + "]" : u.host) + ":" + u.port);
  req.set(bhttp::field::authorization, "Bearer " + secret);
  req.set(bhttp::field::user_agent, "hearth-backup-mx");
  co_await bhttp::async_write(s, req, asio::use_awaitable);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(sync_max_body);
  co_await bhttp::async_read(s, buf, parser, asio::use_awaitable);
  fetch_result r;
  r.status = static_cast<int>(parser.get().result_int());
  r.body = std::move(parser.get().body());
  co_return r;
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

bool sync_once(const sync_options& o, std::string& error) {
  auto u = parse_https_url(o.url);
  if (!u) {
    error = "backup_mx.sync_url is not an https URL";
    return false;
  }
  try {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    if (!o.ca_file.empty()) ctx.load_verify_file(o.ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    std::string content = "# synced from " + o.url + " (hearth backup_mx.sync_url); replaced on every sync\n";
    std::size_t count = 0;
    for (const auto& d : o.domains) {
      asio::io_context io;
      std::optional<fetch_result> got;
      std::exception_ptr failed;
      asio::co_spawn(io, fetch(ctx, *u, u->path + std::string(sync_path) + "?domain=" + percent_encode(d), o.secret),
                     [&](std::exception_ptr e, fetch_result r) {
                       if (e) failed = e;
                       else got = std::move(r);
                     });
      io.run();
      if (failed) std::rethrow_exception(failed);
      if (!got) throw std::runtime_error("no response");
      if (got->status != 200) {
        error = "domain " + d + ": HTTP status " + std::to_string(got->status);
        return false;
      }
      auto list = parse_listing(got->body, d);
      if (!list) {
        error = "domain " + d + ": malformed recipient list";
        return false;
      }
      for (const auto& a : *list) content += a + "\n";
      count += list->size();
    }
    auto tmp = o.file;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
      out << content;
      out.flush();
      if (!out) {
        error = "cannot write " + tmp.string();
        return false;
      }
    }
    std::error_code fec;
    std::filesystem::rename(tmp, o.file, fec);
    if (fec) {
      error = "cannot replace " + o.file.string() + ": " + fec.message();
      return false;
    }
    log::info("filter.backup_sync", {{"status", "ok"}, {"addresses", std::uint64_t(count)}, {"file", o.file.string()}});
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

recipient_sync::recipient_sync(sync_options o) : o_(std::move(o)) {
  thread_ = std::thread([this] { run(); });
}

recipient_sync::~recipient_sync() { stop(); }

void recipient_sync::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void recipient_sync::run() {
  for (;;) {
    std::string error;
    if (!sync_once(o_, error))
      log::warn("filter.backup_sync", {{"status", "failed"}, {"url", o_.url}, {"error", error},
                                       {"kept", o_.file.string()}});
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(o_.interval), [this] { return stop_; })) return;
  }
}

}  // namespace hearth::mail::filter
