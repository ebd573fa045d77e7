// ManageSieve (RFC 5804) as a sans-I/O engine: one parsed command in, the response and an action
// out. The session (session.cpp) does the socket, the literals, TLS and the SASL exchange; the
// engine does the state checks and the script commands against the script store.
//
// Policy: AUTHENTICATE only once TLS is active (ARCHITECTURE.md principle 2); before that the
// capability list offers no SASL mechanism and AUTHENTICATE answers NO (ENCRYPT-NEEDED). Scripts
// are checked by env.check (the Sieve compiler, wired in app/) before PUTSCRIPT stores them; its
// message, with the line number, goes into the NO.
//
// Not thread-safe; one engine per connection. handle() blocks on disk (the store): run it on the
// blocking pool.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/managesieve/proto/reader.hpp"

namespace hearth::auth {
class authenticator;
}
namespace hearth::mail::sieve_store {
class store;
}

namespace hearth::mail::managesieve {

// What the Sieve compiler said about a script.
struct check_result {
  bool ok = true;
  std::string message;                // on !ok: "line 3: ..." (for NO)
  std::vector<std::string> warnings;  // on ok: for OK (WARNINGS)
};

struct engine_env {
  sieve_store::store* scripts = nullptr;
  auth::authenticator* authn = nullptr;
  std::string hostname;
  std::string implementation = "Hearth";
  std::string sieve_extensions;  // SIEVE capability: space-separated
  std::string notify_methods;    // NOTIFY capability; empty = not advertised
  unsigned max_redirects = 0;    // MAXREDIRECTS; 0 = not advertised
  // Compiles a script (for `account`); empty = every script is accepted.
  std::function<check_result(std::string_view script, const std::string& account)> check;
};

enum class action { none, starttls, authenticate, logout };

struct response {
  std::string out;  // CRLF-terminated
  action act = action::none;
};

class engine {
 public:
  engine(const engine_env& env, std::string remote_ip, bool tls) : env_(env), ip_(std::move(remote_ip)), tls_(tls) {}

  // RFC 5804 §1.7: the capabilities, then OK.
  std::string greeting() const;
  response handle(const command& c);
  // RFC 5804 §2.2: after the TLS handshake the server sends the capabilities again.
  std::string tls_started();
  bool tls() const { return tls_; }

  // After action::authenticate: the mechanism and the initial response (base64) if any.
  const std::string& sasl_mechanism() const { return sasl_mech_; }
  const std::optional<std::string>& sasl_initial() const { return sasl_initial_; }
  void authenticated(const std::string& address) { user_ = address; }
  const std::string& user() const { return user_; }

  std::string capabilities() const;
  // The SASL mechanisms offered on this connection (PLAIN and SCRAM, only with TLS).
  std::vector<std::string> mechanisms() const;

 private:
  response unauthenticated(const command& c);
  response script_command(const command& c);

  engine_env env_;
  std::string ip_;
  bool tls_;
  std::string user_;  // empty = not authenticated
  std::string sasl_mech_;
  std::optional<std::string> sasl_initial_;
};

// "OK", "NO", "BYE" with an optional response code and text: `NO (QUOTA/MAXSIZE) "text"`.
std::string reply(std::string_view status, std::string_view code, std::string_view text);

}  // namespace hearth::mail::managesieve
