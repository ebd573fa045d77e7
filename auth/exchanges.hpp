// Internal: the exchange implementations behind authenticator::start. Not for sessions (they
// see only auth::exchange). One object per SASL exchange; not thread-safe.
#pragma once
#include "auth/authenticator.hpp"
#include "auth/sasl.hpp"
#include "auth/scram.hpp"

namespace hearth::auth::detail {

// The authenticator's friend: derived exchanges reach its private helpers through here.
class exchange_base : public exchange {
 public:
  exchange_base(authenticator& a, const context& ctx, std::string mech)
      : auth_(a), ctx_(ctx), mech_(std::move(mech)) {}

 protected:
  step_result challenge(std::string data);
  step_result finish(auth_result r);  // ok or failed, ends the exchange
  step_result fail(std::string_view user, std::string_view reason,
                   std::chrono::milliseconds delay = {});
  step_result password(std::string_view user, std::string_view pw);
  std::optional<auth_result> refuse_if_blocked(std::string_view user, std::chrono::milliseconds& d);
  scram_lookup lookup_scram(crypto::hash h, std::string_view user);
  std::optional<user_record> lookup_user(std::string_view user) { return auth_.lookup_user(user); }
  step_result succeed(const user_record& rec, std::size_t set, std::chrono::milliseconds delay,
                      std::string data);

  authenticator& auth_;
  context ctx_;
  std::string mech_;
  bool done_ = false;
};

// Any mechanism without TLS: the first step fails with outcome::tls_required.
class refused_exchange final : public exchange_base {
 public:
  using exchange_base::exchange_base;
  step_result step(std::optional<std::string_view>) override;
};

// RFC 4616.
class plain_exchange final : public exchange_base {
 public:
  plain_exchange(authenticator& a, const context& ctx) : exchange_base(a, ctx, "PLAIN") {}
  step_result step(std::optional<std::string_view> msg) override;
};

// draft-murchison-sasl-login-00.
class login_exchange final : public exchange_base {
 public:
  login_exchange(authenticator& a, const context& ctx) : exchange_base(a, ctx, "LOGIN") {}
  step_result step(std::optional<std::string_view> msg) override;

 private:
  enum class state { start, want_user, want_password } state_ = state::start;
  std::string user_;
};

// RFC 5802 / RFC 7677 / RFC 9266.
class scram_exchange final : public exchange_base {
 public:
  scram_exchange(authenticator& a, const context& ctx, std::string mech, sasl::scram_options o,
                 std::string server_nonce);
  step_result step(std::optional<std::string_view> msg) override;

 private:
  crypto::hash hash_;
  sasl::scram_server server_;
  bool started_ = false;
  std::string user_;
  std::chrono::milliseconds delay_{0};
  scram_lookup found_;
};

// draft-schmaus-kitten-sasl-ht, HT-SHA-256-NONE: one message "authcid NUL HMAC-SHA-256(token,
// "Initiator")"; the server's proof HMAC-SHA-256(token, "Responder") goes with the success.
class ht_exchange final : public exchange_base {
 public:
  ht_exchange(authenticator& a, const context& ctx, authenticator::token_lookup tokens,
              std::shared_ptr<std::size_t> matched)
      : exchange_base(a, ctx, "HT-SHA-256-NONE"), tokens_(std::move(tokens)), matched_(std::move(matched)) {}
  step_result step(std::optional<std::string_view> msg) override;

 private:
  authenticator::token_lookup tokens_;
  std::shared_ptr<std::size_t> matched_;
};

}  // namespace hearth::auth::detail
