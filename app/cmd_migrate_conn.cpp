#include "app/cmd_migrate_conn.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"

namespace hearth::app::migrate {

namespace client = mail::imap::client;

result<endpoint> parse_url(std::string_view url) {
  endpoint e;
  if (util::istarts_with(url, "imaps://")) {
    url.remove_prefix(8);
    e.implicit_tls = true;
    e.port = 993;
  } else if (util::istarts_with(url, "imap://")) {
    url.remove_prefix(7);
    e.implicit_tls = false;
    e.port = 143;
  } else {
    return fail("migrate.url", "--from takes imaps://HOST[:PORT] or imap://HOST[:PORT] (STARTTLS)");
  }
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  std::string_view host = url, port;
  if (!url.empty() && url[0] == '[') {  // [v6]:port
    auto close = url.find(']');
    if (close == std::string_view::npos) return fail("migrate.url", "bad IPv6 address in --from");
    host = url.substr(1, close - 1);
    if (close + 1 < url.size()) {
      if (url[close + 1] != ':') return fail("migrate.url", "bad --from");
      port = url.substr(close + 2);
    }
  } else if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  if (host.empty() || host.find('/') != std::string_view::npos) return fail("migrate.url", "no host in --from");
  if (!port.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535)
      return fail("migrate.url", "bad port in --from");
    e.port = static_cast<std::uint16_t>(p);
  }
  e.host = std::string(host);
  return e;
}

void bandwidth::consume(std::size_t n) {
  if (rate_ == 0) return;
  std::chrono::duration<double> wait{0};
  {
    std::lock_guard lock(m_);
    auto now = std::chrono::steady_clock::now();
    credit_ += std::chrono::duration<double>(now - last_).count() * static_cast<double>(rate_);
    // At most one second of burst.
    if (credit_ > static_cast<double>(rate_)) credit_ = static_cast<double>(rate_);
    last_ = now;
    credit_ -= static_cast<double>(n);
    if (credit_ < 0) wait = std::chrono::duration<double>(-credit_ / static_cast<double>(rate_));
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

connection::~connection() {
  // A polite goodbye (servers like Gmail count open sessions); its answer is not awaited.
  if (ssl_ && !broken_) {
    std::string bye = "h" + std::to_string(next_tag_) + " LOGOUT\r\n";
    (void)SSL_write(ssl_, bye.data(), static_cast<int>(bye.size()));
  }
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (e == 0) return std::strerror(errno);
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

result<std::unique_ptr<connection>> connection::open(const endpoint& e, const std::string& ca_file,
                                                     int timeout_seconds, bandwidth* bw) {
  std::unique_ptr<connection> c(new connection());
  c->bw_ = bw;
  c->host_ = e.host;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto port = std::to_string(e.port);
  if (int rc = ::getaddrinfo(e.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return fail("migrate.connect", "cannot resolve " + e.host + ": " + gai_strerror(rc));
  std::string why = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    timeval tv{timeout_seconds, 0};
    // Linux applies SO_SNDTIMEO to connect() too: one timeout for everything.
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      c->fd_ = fd;
      break;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (c->fd_ < 0) return fail("migrate.connect", "cannot connect to " + e.host + ":" + port + ": " + why);
  if (e.implicit_tls) {
    if (auto r = c->start_tls(e, ca_file); !r) return r.error();
  }
  auto greeting = c->read_response();
  if (!greeting) return greeting.error();
  if (greeting->status == "BYE") return fail("migrate.connect", "the server refused the connection: " + greeting->text);
  if (greeting->code == "CAPABILITY") c->caps_ = client::capabilities(*greeting);
  if (!e.implicit_tls) {
    if (c->caps_.empty())
      if (auto r = c->refresh_capabilities(); !r) return r.error();
    if (!c->has("STARTTLS")) return fail("migrate.tls", e.host + " does not offer STARTTLS; refusing to log in in clear");
    if (auto r = c->run("STARTTLS"); !r) return fail("migrate.tls", "STARTTLS failed: " + r.error().message);
    if (c->framer_.buffered() > 0) return fail("migrate.tls", "the server sent data after STARTTLS (injection?)");
    if (auto r = c->start_tls(e, ca_file); !r) return r.error();
    c->caps_.clear();  // RFC 9051 §6.2.1: forget what was said before TLS
  }
  if (c->caps_.empty())
    if (auto r = c->refresh_capabilities(); !r) return r.error();
  return c;
}

result<void> connection::start_tls(const endpoint& e, const std::string& ca_file) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) return fail("migrate.tls", "TLS set-up: " + ssl_error_text());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1)
      return fail("migrate.tls", "cannot load --ca " + ca_file + ": " + ssl_error_text());
  } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
    return fail("migrate.tls", "cannot load the system trust store: " + ssl_error_text());
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  ssl_ = SSL_new(ctx_);
  if (!ssl_) return fail("migrate.tls", "TLS set-up: " + ssl_error_text());
  in6_addr a6;
  in_addr a4;
  bool ip = inet_pton(AF_INET, e.host.c_str(), &a4) == 1 || inet_pton(AF_INET6, e.host.c_str(), &a6) == 1;
  auto* param = SSL_get0_param(ssl_);
  if (ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, e.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, e.host.c_str());
    X509_VERIFY_PARAM_set1_host(param, e.host.c_str(), 0);
  }
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) {
    long v = SSL_get_verify_result(ssl_);
    if (v != X509_V_OK)
      return fail("migrate.tls", "the certificate of " + e.host + " is not trusted: " + X509_verify_cert_error_string(v) +
                                     (ca_file.empty() ? " (a private CA? pass it with --ca FILE)" : ""));
    return fail("migrate.tls", "TLS handshake with " + e.host + " failed: " + ssl_error_text());
  }
  return {};
}

result<void> connection::send(std::string_view data) {
  while (!data.empty()) {
    int n;
    if (ssl_) {
      n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
      if (n <= 0) {
        broken_ = true;
        return fail("migrate.io", "write to " + host_ + " failed: " + ssl_error_text());
      }
    } else {
      n = static_cast<int>(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL));
      if (n <= 0) return fail("migrate.io", "write to " + host_ + " failed: " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<client::response> connection::read_response() {
  char buf[64 * 1024];
  for (;;) {
    auto framed = framer_.next();
    if (!framed) return framed.error();
    if (*framed) return client::parse_response(**framed);
    int n;
    errno = 0;
    if (ssl_) {
      n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) {
        broken_ = true;
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_ZERO_RETURN) return fail("migrate.io", host_ + " closed the connection");
        if (errno == EAGAIN || errno == EWOULDBLOCK) return fail("migrate.io", "timeout reading from " + host_);
        return fail("migrate.io", "read from " + host_ + " failed: " + ssl_error_text());
      }
    } else {
      n = static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
      if (n == 0) return fail("migrate.io", host_ + " closed the connection");
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return fail("migrate.io", "timeout reading from " + host_);
        return fail("migrate.io", "read from " + host_ + " failed: " + std::strerror(errno));
      }
    }
    bytes_in_ += static_cast<std::uint64_t>(n);
    if (bw_) bw_->consume(static_cast<std::size_t>(n));
    framer_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

result<client::response> connection::run(const std::vector<std::string>& segments, const handler& on_data) {
  std::string tag = "h" + std::to_string(next_tag_++);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string piece = (i == 0 ? tag + " " + segments[i] : segments[i]) + "\r\n";
    if (auto r = send(piece); !r) return r.error();
    if (i + 1 == segments.size()) break;
    // A synchronizing literal: wait for the server's go-ahead.
    for (;;) {
      auto r = read_response();
      if (!r) return r.error();
      if (r->k == client::response::kind::continuation) break;
      if (r->k == client::response::kind::tagged) return fail("migrate.no", r->status + " " + r->text);
      if (on_data)
        if (auto h = on_data(*r); !h) return h.error();
    }
  }
  for (;;) {
    auto r = read_response();
    if (!r) return r.error();
    if (r->k == client::response::kind::tagged && r->tag == tag) {
      if (r->status != "OK")
        return fail("migrate.no", r->status + (r->code.empty() ? "" : " [" + r->code + "]") + " " + r->text);
      return r;
    }
    if (r->k == client::response::kind::untagged && r->status == "BYE")
      return fail("migrate.io", host_ + " closed the session: " + r->text);
    if (r->code == "CAPABILITY") caps_ = client::capabilities(*r);
    if (r->k == client::response::kind::untagged && on_data)
      if (auto h = on_data(*r); !h) return h.error();
  }
}

void connection::add_string(std::vector<std::string>& segments, std::string_view s) const {
  if (auto q = client::quoted(s, utf8_)) {
    segments.back() += *q;
  } else if (has("LITERAL+") || (has("LITERAL-") && s.size() <= 4096)) {
    segments.back() += "{" + std::to_string(s.size()) + "+}\r\n";
    segments.back() += s;
  } else {
    segments.back() += "{" + std::to_string(s.size()) + "}";
    segments.emplace_back(s);
  }
}

bool connection::has(std::string_view capability) const {
  for (const auto& c : caps_)
    if (util::iequals(c, capability)) return true;
  return false;
}

result<void> connection::refresh_capabilities() {
  auto r = run("CAPABILITY", [&](client::response& d) -> result<void> {
    if (d.name == "CAPABILITY") caps_ = client::capabilities(d);
    return {};
  });
  if (!r) return r.error();
  return {};
}

result<void> connection::login(const std::string& user, const std::string& password) {
  result<client::response> r = fail("", "");
  if (has("AUTH=PLAIN")) {
    // RFC 4616: authzid NUL authcid NUL passwd; with SASL-IR (RFC 4959) in the command itself.
    std::string ir = crypto::base64_encode(std::string() + '\0' + user + '\0' + password);
    if (has("SASL-IR")) {
      r = run("AUTHENTICATE PLAIN " + ir);
    } else {
      r = run(std::vector<std::string>{"AUTHENTICATE PLAIN", ir});
    }
  } else if (has("LOGINDISABLED")) {
    return fail("migrate.auth", "the server offers neither AUTH=PLAIN nor LOGIN");
  } else {
    std::vector<std::string> seg{"LOGIN "};
    add_string(seg, user);
    seg.back() += " ";
    add_string(seg, password);
    r = run(seg);
  }
  if (!r) {
    if (r.error().code == "migrate.no") return fail("migrate.auth", "login as " + user + " refused: " + r.error().message);
    return r.error();
  }
  // RFC 9051 §6.2.2: capabilities may change after login; a server may have said so in the OK.
  if (r->code == "CAPABILITY") {
    caps_ = client::capabilities(*r);
    return {};
  }
  return refresh_capabilities();
}

}  // namespace hearth::app::migrate
