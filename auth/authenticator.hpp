// The one entry point every protocol uses to log a user in (ARCHITECTURE.md principle 2).
//
// Sessions call:
//   mechanisms(ctx)                -> what to advertise (SMTP EHLO AUTH, IMAP CAPABILITY AUTH=,
//                                     XMPP <mechanisms/>, ManageSieve SASL)
//   check_password(ctx, user, pw)  -> IMAP LOGIN, HTTP Basic, XMPP legacy auth, POP3 USER/PASS
//   start(ctx, mech) then step()   -> SASL (AUTH / AUTHENTICATE / <auth/>), with the session doing
//                                     the base64 and the transport framing.
// Every final result carries `delay`: the session waits that long before answering (throttling;
// for successes too). On outcome::ok, `address` is the canonical account address.
//
// Policy: no mechanism and no password is accepted unless ctx.tls (not even on loopback);
// -PLUS mechanisms only when the TLS layer gave ctx.channel_binding (tls-exporter, RFC 9266).
// A SCRAM exchange that fails on its channel binding (a type we lack, such as tls-unique under
// TLS 1.3, or none given to the client's SASL library) proved nothing about the password: it is
// logged but not counted by the throttle, so a client that then falls back is not blocked.
// Unknown users fail exactly like a wrong password (SCRAM answers a fake salt derived from the
// name and a server secret, so names cannot be probed). Disabled accounts always fail.
//
// Logs auth.ok / auth.fail (with reason=) / auth.block (scope=ip|account) / auth.known_address
// (a login let through the account's block because the address logged in before); never a
// password. The credential_source keeps the login history: each successful client address
// (known_address), each wrong password and each block start (login_event).
//
// Errors: login failures are values (auth_result). A failing credential_source (database down)
// throws hearth::error_exception out of check_password/step: answer a temporary error
// (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]), never "wrong password".
//
// Thread-safety: an authenticator is shared by all sessions (all methods are thread-safe if the
// credential_source is). An exchange belongs to one session and is not thread-safe; it keeps a
// reference to its authenticator, which must outlive it. Password checks cost tens of ms of CPU
// (Argon2id): a session may run check_password/step on the blocking pool.
#pragma once
#include "auth/credential_source.hpp"
#include "auth/password.hpp"
#include "auth/throttle.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hearth::auth {

struct context {
  std::string proto;      // "smtp", "imap", "xmpp", "http", "sieve", "pop3"
  std::string remote_ip;  // as text; used for throttling and logs
  bool tls = false;
  std::optional<std::string> channel_binding;  // tls-exporter bytes (RFC 9266), when available
  // When set, a user name without '@' is completed with "@" + user_domain before lookup and
  // throttling (XMPP: the SASL authcid is the JID's localpart, RFC 6120 §6.3.8).
  std::string user_domain = {};
  std::optional<std::string> channel_binding_end_point = {};  // tls-server-end-point (RFC 5929)
};

enum class outcome { ok, failed, blocked, tls_required, unknown_mechanism };

struct auth_result {
  outcome result = outcome::failed;
  std::string address;                  // canonical address, on ok
  std::chrono::milliseconds delay{0};   // wait this long before replying
  std::string message;                  // for the client; never says why a login failed
};

// One SASL exchange. step() gets each raw (base64-decoded) client message; std::nullopt means
// "no initial response" (the first call only). Results:
//   challenge: send server_data (possibly empty) as a challenge, call step() with the answer.
//   ok:        success. If server_data is non-empty (SCRAM's "v=..." server-final-message), send
//              it with the success where the protocol allows (XMPP <success>, RFC 6120 §6.4.6);
//              otherwise send it as a last challenge, expect an empty response, then succeed
//              (IMAP RFC 9051 §6.2.2, SMTP RFC 4954 §4, ManageSieve RFC 5804 §2.1).
//   failed:    final.result says why (failed, blocked, tls_required).
// A client cancel ("*") is the session's business: it just drops the exchange.
// After ok or failed, further steps fail.
class exchange {
 public:
  struct step_result {
    enum kind_t { challenge, ok, failed } kind = failed;
    std::string server_data;
    auth_result final;  // meaningful when kind != challenge
  };
  virtual ~exchange() = default;
  virtual step_result step(std::optional<std::string_view> client_message) = 0;
};

struct authenticator_options {
  // Key for the fake SCRAM salts of unknown users. Empty = random per process (then a name's
  // fake salt changes across restarts, which a patient prober could notice: pass a persistent
  // secret from the data directory in production).
  std::string secret;
  // SCRAM server nonce generator (tests inject a fixed one). Empty = 18 random bytes, base64.
  std::function<std::string()> server_nonce;
  // Clock for the throttle (tests). Empty = system_clock.
  throttle::clock_fn clock;
  // Where the throttle keeps its counts: null = in memory (one node); the database's
  // (open_sql_throttle_state) when several nodes share it.
  std::shared_ptr<throttle_state> throttle_counts;
  // Cost of the dummy Argon2id hash that unknown and disabled users are checked against, so
  // their timing matches real accounts. Keep the production value except in tests/fuzzers.
  argon2_params dummy_cost;
  // Protocols (context::proto) on which SCRAM-*-PLUS is advertised when the TLS layer gives a
  // channel binding. None by default, because clients in Debian 12 that see -PLUS cannot log
  // in: mutt and neomutt (Cyrus SASL) pick it but never give the library a binding, and do not
  // fall back over SMTP; slixmpp 1.8 tries it with tls-unique (undefined in TLS 1.3), then
  // SCRAM with the gs2 flag "y", which RFC 5802 §6 makes a downgrade where -PLUS was offered,
  // and gives up. Dovecot 2.3 and Postfix offer no -PLUS either. A -PLUS exchange that a client
  // starts without seeing it offered is still accepted.
  std::vector<std::string> plus_protocols;
};

namespace detail {
class exchange_base;
// What SCRAM needs about a user (internal to auth/).
struct scram_lookup {
  std::optional<user_record> user;      // nullopt: unknown user (salt is then a fake)
  std::string salt;
  std::uint32_t iterations = 0;
  std::vector<scram_entry> candidates;  // entries sharing salt/iterations
  std::vector<std::size_t> set_index;   // candidates[i] comes from user->credentials[set_index[i]]
};
}  // namespace detail

class authenticator {
 public:
  // `source` must outlive the authenticator.
  authenticator(credential_source& source, throttle_config cfg, authenticator_options opts = {});

  // Mechanisms to advertise, strongest first: SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS (only with
  // ctx.channel_binding, on the options' plus_protocols), SCRAM-SHA-256, SCRAM-SHA-1, PLAIN,
  // LOGIN. Empty when !ctx.tls.
  std::vector<std::string> mechanisms(const context& ctx) const;

  // Checks a user name and password (any credential set: account or app password).
  // outcome: ok, failed, blocked, tls_required.
  auth_result check_password(const context& ctx, std::string_view username, std::string_view password);
  // The same, but only the account's own password counts: an app password fails like a wrong
  // one (the web console, where a password stolen from a phone must not open the account's
  // settings). Throttled and logged exactly like check_password.
  auth_result check_account_password(const context& ctx, std::string_view username, std::string_view password);

  // Starts a SASL exchange. nullptr if the mechanism is unknown (case-insensitive match) or not
  // allowed on this connection (-PLUS without channel binding). Without TLS, returns an exchange
  // whose first step fails with outcome::tls_required (so the session can say "encryption
  // required" in its own terms, e.g. SMTP 538 5.7.11, RFC 4954 §6).
  std::unique_ptr<exchange> start(const context& ctx, std::string_view mechanism);

  // A token login (draft-schmaus-kitten-sasl-ht: HT-SHA-256-NONE, the mechanism of XMPP's
  // FAST tokens, XEP-0484): the client proves it holds a token the server issued it instead of
  // a password. `tokens(address)` gives the tokens valid now for that account and this client
  // (newest first); on ok, *matched is the index of the one used (the caller rotates them).
  // Same policy as passwords: TLS required, blocks and throttling apply, a wrong token counts
  // as a failed guess, disabled accounts fail. nullptr for any other mechanism name.
  using token_lookup = std::function<std::vector<std::string>(const std::string& address)>;
  std::unique_ptr<exchange> start_token(const context& ctx, std::string_view mechanism, token_lookup tokens,
                                        std::shared_ptr<std::size_t> matched);

  // The account name a login names: `user`, completed with ctx.user_domain when it has no '@'.
  static std::string qualify(const context& ctx, std::string_view user);

 private:
  friend class detail::exchange_base;

  using scram_lookup = detail::scram_lookup;
  std::optional<user_record> lookup_user(std::string_view user) { return source_.lookup(user); }

  // Throttle check; on a block logs auth.block and returns the blocked result.
  std::optional<auth_result> refuse_if_blocked(const context& ctx, std::string_view user,
                                               std::chrono::milliseconds& delay);
  auth_result succeed(const context& ctx, std::string_view mech, const user_record& rec,
                      std::size_t set, std::chrono::milliseconds delay);
  auth_result failure(const context& ctx, std::string_view user, std::string_view mech,
                      std::string_view reason, std::chrono::milliseconds delay);
  auth_result password_login(const context& ctx, std::string_view user, std::string_view password,
                             std::string_view mech, bool account_only);
  scram_lookup lookup_scram(crypto::hash h, std::string_view user);
  // Whether ctx's address logged in to `user` before (a cache in front of the source's history).
  bool known_address(const context& ctx, std::string_view user);
  void remember_address(const context& ctx, const user_record& rec);
  std::string new_server_nonce() const;
  bool offers_plus(const context& ctx) const;
  const directory::stored_credentials& dummy_credentials();

  credential_source& source_;
  throttle throttle_;
  authenticator_options opts_;
  std::once_flag dummy_once_;
  directory::stored_credentials dummy_;
  // "account|address" -> when it was last written to the source: a login from a known address
  // costs no database write more than once an hour. Bounded (cleared when full).
  std::mutex known_mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> known_cache_;
};

// Short names for logs and tests.
std::string_view outcome_name(outcome o);

}  // namespace hearth::auth
