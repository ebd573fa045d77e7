// POP3 (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 SASL) as a sans-I/O engine: one
// command line in, the response and an action out. The session (session.cpp) does the socket,
// TLS, and the SASL continuation lines; the engine does the rest against the mail store.
//
// Policy: USER/PASS and AUTH only once TLS is active (ARCHITECTURE.md principle 2). The
// maildrop is INBOX; DELE marks messages, QUIT (UPDATE state) expunges them (RFC 1939 §6).
// UIDL is "uidvalidity.uid", unique and stable as RFC 1939 §7 asks.
//
// Not thread-safe; one engine per connection. placement() says where each command line may run:
// most touch only the maildrop listing the engine holds (on the I/O thread), a password check
// hashes (the blocking pool, with the Argon2id work of every protocol), and the rest waits on
// the mail store (the store pool, core/net/store_pool.hpp, so it never queues behind logins).
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/store.hpp"

namespace hearth::auth {
class authenticator;
}
namespace hearth::blob {
class store;
}

namespace hearth::mail::pop3 {

// login: the credentials were good; the session calls finish_login(), which reads the
// maildrop from the store, and sends its response instead (after `delay`).
enum class action { none, starttls, quit, sasl, login };

// Where a command must run (engine::placement).
enum class runs_on {
  io,        // no store, no hashing: the engine's own state only
  blocking,  // a password check (Argon2id): net::run_blocking
  store,     // waits on the mail store or a blob: net::run_on_store
};

// A message too large to copy into response::out (RETR/TOP of one over stream_min_bytes): the
// session reads it from the blob store piece by piece after writing `out` (the "+OK" line),
// dot-stuffing it with dot_stuffer and ending it with ".".
struct streamed_body {
  std::string blob_id;
  std::optional<std::size_t> max_body_lines;  // TOP's line count
};

inline constexpr std::uint64_t stream_min_bytes = 1024 * 1024;

struct response {
  std::string out;  // full response, CRLF-terminated, multi-line ones dot-stuffed and ended
  action act = action::none;
  std::chrono::milliseconds delay{0};
  std::optional<streamed_body> body;  // follows `out` when set (`out` is then the first line only)
};

struct engine_env {
  mail::store* store = nullptr;
  blob::store* blobs = nullptr;
  auth::authenticator* authn = nullptr;
  std::string hostname;
};

class engine {
 public:
  engine(const engine_env& env, std::string remote_ip, bool tls, bool stls_offered)
      : env_(env), ip_(std::move(remote_ip)), tls_(tls), stls_offered_(stls_offered) {}

  std::string greeting() const;
  // One command line without its CRLF.
  response handle(std::string_view line);
  // Where handle(line) must run in the current state. Pure: looks at the verb and the state.
  runs_on placement(std::string_view line) const;
  void tls_started() { tls_ = true; }
  bool tls() const { return tls_; }

  // After action::sasl: the mechanism and initial response the client gave.
  const std::string& sasl_mechanism() const { return sasl_mech_; }
  const std::optional<std::string>& sasl_initial() const { return sasl_initial_; }
  // The session finished SASL with success for `address`: loads the maildrop (reads the
  // store; on SQLite a short read, which the first login of an account turns into a write: it
  // makes the default mailboxes).
  response sasl_success(const std::string& address);
  // After handle() returned action::login (PASS): loads the maildrop as sasl_success does.
  response finish_login();

  bool authenticated() const { return state_ == state::transaction; }

 private:
  enum class state { authorization, transaction, update };
  response login(const std::string& address);
  std::string capa() const;
  // 1-based message number -> index, or nullopt (absent or deleted).
  std::optional<std::size_t> msg(std::string_view arg) const;

  engine_env env_;
  std::string ip_;
  bool tls_;
  bool stls_offered_;
  state state_ = state::authorization;
  std::string user_;
  std::string account_;
  std::string checked_;  // PASS's address, until finish_login()
  std::string sasl_mech_;
  std::optional<std::string> sasl_initial_;
  std::uint32_t uidvalidity_ = 0;
  std::vector<mail::message_info> msgs_;
  std::vector<bool> deleted_;
};

// Dot-stuffs message bytes for a multi-line response (RFC 1939 §3), normalizing bare LF to
// CRLF; `max_body_lines` (TOP) limits the body lines after the header (nullopt = all).
std::string dot_stuff(std::string_view bytes, std::optional<std::size_t> max_body_lines = std::nullopt);

// dot_stuff() for bytes that arrive in pieces (a large message read part by part): the same
// output whatever the pieces, with no more than a piece held.
class dot_stuffer {
 public:
  explicit dot_stuffer(std::optional<std::size_t> max_body_lines = std::nullopt) : max_(max_body_lines) {}
  // Appends the stuffed form of `piece` to `out`. False once TOP's lines are out: the rest of
  // the message need not be read.
  bool feed(std::string_view piece, std::string& out);
  // Ends the last line if it had no line end, then the terminating ".".
  void finish(std::string& out);

 private:
  std::optional<std::size_t> max_;
  bool in_body_ = false, done_ = false;
  bool cr_ = false;          // the line's last octet so far is a CR, dropped if LF follows
  std::size_t seen_ = 0;     // octets of the current line so far, a held CR included
  std::size_t length_ = 0;   // the same without a CR before the line end
  std::size_t body_lines_ = 0;
};

}  // namespace hearth::mail::pop3
