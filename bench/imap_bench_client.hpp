#pragma once
// A blocking IMAP client over implicit TLS for the IMAP benchmarks: one command at a time,
// literals skipped, and the untagged answers a state-tracking client needs (EXISTS, EXPUNGE,
// the UIDs of a FETCH) remembered. Header-only: each bench is one program.
#include <openssl/ssl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace hearth::bench {

class imap_client {
 public:
  imap_client() = default;
  imap_client(const imap_client&) = delete;
  imap_client& operator=(const imap_client&) = delete;
  ~imap_client() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }

  bool connect(const std::string& host, int port) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return false;
    fd_ = socket(res->ai_family, SOCK_STREAM, 0);
    bool ok = ::connect(fd_, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    if (!ok) return false;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // a benchmark on loopback
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) return false;
    return !line().empty();  // greeting
  }
  bool login(const std::string& user, const std::string& password) {
    return command("LOGIN " + user + " \"" + password + "\"");
  }

  bool send(const std::string& s) { return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) > 0; }
  std::string line() {
    std::string out;
    for (;;) {
      if (pos_ >= len_) {
        int n = SSL_read(ssl_, buf_, sizeof buf_);
        if (n <= 0) return out;
        pos_ = 0, len_ = static_cast<std::size_t>(n);
      }
      char c = buf_[pos_++];
      out += c;
      if (c == '\n') return out;
    }
  }
  void skip(std::size_t n) {
    while (n > 0) {
      if (pos_ >= len_) {
        int r = SSL_read(ssl_, buf_, sizeof buf_);
        if (r <= 0) return;
        pos_ = 0, len_ = static_cast<std::size_t>(r);
      }
      std::size_t k = std::min(n, len_ - pos_);
      pos_ += k, n -= k;
    }
  }
  // Sends "tag cmd", reads up to the tagged reply (skipping literals). True on OK.
  bool command(const std::string& cmd) {
    std::string tag = "b" + std::to_string(++tag_);
    if (!send(tag + " " + cmd + "\r\n")) return false;
    return until_tagged(tag);
  }
  bool until_tagged(const std::string& tag) {
    for (;;) {
      std::string l = line();
      if (l.empty()) return false;
      if (l[0] == '*') track(l);
      if (l.size() > 3 && l[l.size() - 3] == '}') {
        auto b = l.rfind('{');
        skip(std::strtoull(l.c_str() + b + 1, nullptr, 10));
        continue;
      }
      if (l.compare(0, tag.size() + 1, tag + " ") == 0) {
        last_ = l;
        return l.compare(tag.size() + 1, 2, "OK") == 0;
      }
    }
  }
  bool append(const std::string& box, const std::string& msg, const std::string& flags = "") {
    std::string tag = "b" + std::to_string(++tag_);
    std::string f = flags.empty() ? "" : " (" + flags + ")";
    if (!send(tag + " APPEND " + box + f + " {" + std::to_string(msg.size()) + "}\r\n")) return false;
    if (!continuation()) return false;
    if (!send(msg + "\r\n")) return false;
    return until_tagged(tag);
  }
  // Skips untagged responses (other sessions' EXISTS...) up to the "+" continuation.
  bool continuation() {
    for (;;) {
      std::string l = line();
      if (l.empty()) return false;
      if (l[0] == '+') return true;
      if (l[0] != '*') return false;
      track(l);
    }
  }
  bool idle() {
    std::string tag = "b" + std::to_string(++tag_);
    if (!send(tag + " IDLE\r\n")) return false;
    if (!continuation()) return false;
    if (!send("DONE\r\n")) return false;
    return until_tagged(tag);
  }

  // What the untagged answers said of the selected mailbox since the last forget().
  std::uint32_t exists() const { return exists_; }
  // UIDs named by "* N FETCH (... UID u ...)" answers, in the order they came.
  const std::vector<std::uint32_t>& fetched_uids() const { return uids_; }
  void forget() { uids_.clear(); }
  const std::string& last_tagged() const { return last_; }

 private:
  void track(const std::string& l) {
    // "* N EXISTS", "* N EXPUNGE", "* N FETCH (... UID u ...)"
    char* end = nullptr;
    unsigned long n = std::strtoul(l.c_str() + 2, &end, 10);
    if (end == l.c_str() + 2) return;
    if (std::strncmp(end, " EXISTS", 7) == 0) exists_ = static_cast<std::uint32_t>(n);
    else if (std::strncmp(end, " EXPUNGE", 8) == 0 && exists_ > 0) --exists_;
    else if (std::strncmp(end, " FETCH (", 8) == 0) {
      auto p = l.find("UID ", static_cast<std::size_t>(end - l.c_str()));
      if (p != std::string::npos) uids_.push_back(static_cast<std::uint32_t>(std::strtoul(l.c_str() + p + 4, nullptr, 10)));
    }
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  char buf_[16384];
  std::size_t pos_ = 0, len_ = 0;
  unsigned tag_ = 0;
  std::uint32_t exists_ = 0;
  std::vector<std::uint32_t> uids_;
  std::string last_;
};

}  // namespace hearth::bench
