#include "mail/filter/clamd.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util/strings.hpp"

namespace hearth::mail::filter {

scan_result parse_clamd_reply(std::string_view reply) {
  scan_result r;
  while (!reply.empty() && (reply.back() == '\0' || reply.back() == '\n' || reply.back() == '\r')) reply.remove_suffix(1);
  // "stream: Eicar-Signature FOUND"; older clamd answers "1: stream: ..." with IDSESSION.
  auto body = reply;
  if (auto p = body.find("stream:"); p != std::string_view::npos) body = util::trim(body.substr(p + 7));
  if (body == "OK") {
    r.status = scan_status::clean;
  } else if (body.ends_with(" FOUND")) {
    r.status = scan_status::infected;
    r.name = std::string(util::trim(body.substr(0, body.size() - 6)));
    if (r.name.empty()) r.name = "unknown";
  } else {
    r.status = scan_status::error;
    r.error = reply.empty() ? "empty reply" : std::string(reply.substr(0, 200));
  }
  return r;
}

std::string instream_chunk(std::string_view data) {
  std::string out(4, '\0');
  const auto n = static_cast<std::uint32_t>(data.size());
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>(n >> 16);
  out[2] = static_cast<char>(n >> 8);
  out[3] = static_cast<char>(n);
  out.append(data);
  return out;
}

std::optional<clamd_target> parse_clamd_address(std::string_view text) {
  clamd_target t;
  if (text.starts_with("unix:")) text.remove_prefix(5);
  if (text.starts_with("/")) {
    if (text.size() >= sizeof(sockaddr_un::sun_path)) return std::nullopt;
    t.unix_path = std::string(text);
    return t;
  }
  std::string_view host, port;
  if (text.starts_with("[")) {
    auto e = text.find("]:");
    if (e == std::string_view::npos) return std::nullopt;
    host = text.substr(1, e - 1);
    port = text.substr(e + 2);
  } else {
    auto c = text.rfind(':');
    if (c == std::string_view::npos || text.find(':') != c) return std::nullopt;
    host = text.substr(0, c);
    port = text.substr(c + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned p = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return std::nullopt;
    p = p * 10 + static_cast<unsigned>(ch - '0');
  }
  if (p == 0 || p > 65535) return std::nullopt;
  t.host = std::string(host);
  t.port = static_cast<std::uint16_t>(p);
  return t;
}

namespace {

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int r;
  do r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (r < 0 && errno == EINTR);
  return r > 0;
}

// Non-blocking connect with the timeout; the socket stays non-blocking.
int connect_to(const clamd_target& t, std::chrono::milliseconds timeout, std::string& err) {
  auto finish = [&](int fd, const sockaddr* sa, socklen_t len) -> int {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (::connect(fd, sa, len) == 0) return fd;
    if (errno != EINPROGRESS && errno != EAGAIN) {
      err = std::string("connect: ") + std::strerror(errno);
      ::close(fd);
      return -1;
    }
    if (!wait_for(fd, POLLOUT, timeout)) {
      err = "connect: timed out";
      ::close(fd);
      return -1;
    }
    int so = 0;
    socklen_t sl = sizeof so;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl);
    if (so != 0) {
      err = std::string("connect: ") + std::strerror(so);
      ::close(fd);
      return -1;
    }
    return fd;
  };
  if (!t.unix_path.empty()) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return err = "socket failed", -1;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, t.unix_path.data(), t.unix_path.size());
    return finish(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &res) != 0 || !res) {
    err = "cannot resolve " + t.host;
    return -1;
  }
  int fd = -1;
  for (auto* a = res; a && fd < 0; a = a->ai_next) {
    int s = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) continue;
    fd = finish(s, a->ai_addr, a->ai_addrlen);
  }
  ::freeaddrinfo(res);
  return fd;
}

bool send_all(int fd, std::string_view data, std::chrono::milliseconds timeout, std::string& err) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, timeout)) return err = "write: timed out", false;
      continue;
    }
    err = std::string("write: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

scan_result clamd_scan(const clamd_target& t, std::string_view message, const clamd_options& o) {
  return clamd_scan(t, message, {}, o);
}

scan_result clamd_scan(const clamd_target& t, std::string_view head,
                       const mail::body_pieces& body,
                       const clamd_options& o) {
  scan_result r;
  std::string err;
  fd_guard fd{connect_to(t, o.timeout, err)};
  if (fd.fd < 0) {
    r.error = err;
    return r;
  }
  if (!send_all(fd.fd, std::string_view("zINSTREAM\0", 10), o.timeout, err)) {
    r.error = err;
    return r;
  }
  const std::size_t chunk = std::max<std::size_t>(o.chunk_bytes, 1);
  std::size_t sent = 0;
  bool stopped = false;  // a write failed (clamd may have answered already: read it below)
  auto stream = [&](std::string_view data) {
    if (stopped) return;
    if (sent + data.size() > o.max_stream_bytes) {
      data = data.substr(0, o.max_stream_bytes - sent);
      r.truncated = true;
    }
    for (std::size_t off = 0; off < data.size() && !stopped; off += chunk) {
      if (!send_all(fd.fd, instream_chunk(data.substr(off, chunk)), o.timeout, err)) stopped = true;
    }
    sent += data.size();
  };
  stream(head);
  if (body && !stopped && !r.truncated && !body(stream)) {
    r.error = "message body unreadable";
    return r;
  }
  if (err.empty()) send_all(fd.fd, std::string_view("\0\0\0\0", 4), o.timeout, err);
  // The reply, up to its NUL (bounded).
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  while (reply.size() < 4096 && (reply.empty() || reply.back() != '\0')) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_for(fd.fd, POLLIN, left)) {
      r.error = err.empty() ? "reply: timed out" : err;
      return r;
    }
    char buf[512];
    ssize_t n = ::recv(fd.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  if (reply.empty()) {
    r.error = err.empty() ? "connection closed without a reply" : err;
    return r;
  }
  auto p = parse_clamd_reply(reply);
  p.truncated = r.truncated;
  return p;
}

}  // namespace hearth::mail::filter
