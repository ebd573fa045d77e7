// One blocking IMAP client connection for `hearth migrate imap`: TCP with a timeout on every
// read and write, TLS (implicit, or STARTTLS) verified against the system trust store or a
// private CA, LOGIN or AUTHENTICATE PLAIN, and commands run one at a time over the sans-I/O
// response parser (mail/imap/client). A migration is a batch job on its own threads, so plain
// blocking sockets serve it better than coroutines (and cost no Asio compile time).
//
// Errors (hearth::result codes): "migrate.connect", "migrate.tls", "migrate.auth",
// "migrate.io" (timeout, reset), "migrate.no" (a tagged NO/BAD; message has the server's text),
// "imap.syntax"/"imap.limit" from the parser.
// Thread-safety: one connection per thread; the bandwidth limiter is shared and thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/client/response.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace hearth::app::migrate {

struct endpoint {
  std::string host;
  std::uint16_t port = 993;
  bool implicit_tls = true;  // imaps://; imap:// means STARTTLS (never plaintext)
};
// imaps://HOST[:PORT] or imap://HOST:PORT. Errors: "migrate.url".
result<endpoint> parse_url(std::string_view url);

// Shared by every connection of a run: sleeps readers so the total stays under `rate` bytes/s.
class bandwidth {
 public:
  explicit bandwidth(std::uint64_t rate) : rate_(rate) {}
  void consume(std::size_t n);

 private:
  std::uint64_t rate_;
  std::mutex m_;
  double credit_ = 0;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

class connection {
 public:
  ~connection();
  // Connects and secures the connection; timeout applies to connect and every read/write.
  static result<std::unique_ptr<connection>> open(const endpoint& e, const std::string& ca_file, int timeout_seconds,
                                                  bandwidth* bw);
  // AUTHENTICATE PLAIN when offered, else LOGIN. Errors: "migrate.auth" (with the server's text).
  result<void> login(const std::string& user, const std::string& password);

  using handler = std::function<result<void>(mail::imap::client::response&)>;
  // Runs one command (its tag is added). `segments`: the command split after each synchronizing
  // literal's "{n}\r\n" (one segment when there is none). Untagged responses go to on_data;
  // returns the tagged response (OK only: NO/BAD are "migrate.no").
  result<mail::imap::client::response> run(const std::vector<std::string>& segments, const handler& on_data = {});
  result<mail::imap::client::response> run(const std::string& command, const handler& on_data = {}) {
    return run(std::vector<std::string>{command}, on_data);
  }
  // An astring argument: quoted, or a literal ("{n+}" with LITERAL+, else a segment break).
  // Appends to `segments`' last element.
  void add_string(std::vector<std::string>& segments, std::string_view s) const;

  bool has(std::string_view capability) const;
  const std::vector<std::string>& capabilities() const { return caps_; }
  bool utf8() const { return utf8_; }
  void set_utf8(bool on) { utf8_ = on; }
  std::uint64_t bytes_in() const { return bytes_in_; }

 private:
  connection() = default;
  result<void> send(std::string_view data);
  result<mail::imap::client::response> read_response();
  result<void> refresh_capabilities();
  result<void> start_tls(const endpoint& e, const std::string& ca_file);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bandwidth* bw_ = nullptr;
  mail::imap::client::framer framer_;
  std::vector<std::string> caps_;
  bool utf8_ = false;
  unsigned next_tag_ = 1;
  std::uint64_t bytes_in_ = 0;
  std::string host_;
  bool broken_ = false;  // a read or write failed: no LOGOUT on the way out
};

}  // namespace hearth::app::migrate
