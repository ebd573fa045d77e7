#include "auth/exchanges.hpp"

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"

namespace hearth::auth::detail {

using step_result = exchange::step_result;

step_result exchange_base::challenge(std::string data) {
  step_result r;
  r.kind = step_result::challenge;
  r.server_data = std::move(data);
  return r;
}

step_result exchange_base::finish(auth_result a) {
  done_ = true;
  step_result r;
  r.kind = a.result == outcome::ok ? step_result::ok : step_result::failed;
  r.final = std::move(a);
  return r;
}

step_result exchange_base::fail(std::string_view user, std::string_view reason,
                                std::chrono::milliseconds delay) {
  if (done_) {
    // Steps after the end are a session bug, not a login attempt: no log, no throttle count.
    auth_result a;
    a.message = "authentication failed";
    step_result r;
    r.final = std::move(a);
    return r;
  }
  return finish(auth_.failure(ctx_, user, mech_, reason, delay));
}

step_result exchange_base::password(std::string_view user, std::string_view pw) {
  return finish(auth_.password_login(ctx_, user, pw, mech_, false));
}

std::optional<auth_result> exchange_base::refuse_if_blocked(std::string_view user,
                                                            std::chrono::milliseconds& d) {
  return auth_.refuse_if_blocked(ctx_, user, d);
}

scram_lookup exchange_base::lookup_scram(crypto::hash h, std::string_view user) {
  return auth_.lookup_scram(h, user);
}

step_result exchange_base::succeed(const user_record& rec, std::size_t set,
                                   std::chrono::milliseconds delay, std::string data) {
  auto r = finish(auth_.succeed(ctx_, mech_, rec, set, delay));
  r.server_data = std::move(data);
  return r;
}

step_result refused_exchange::step(std::optional<std::string_view>) {
  return fail("", "tls_required");
}

step_result plain_exchange::step(std::optional<std::string_view> msg) {
  if (done_) return fail("", "state");
  // RFC 4616 §2 / RFC 4422 §5: no initial response -> empty challenge, then the message.
  if (!msg) return challenge("");
  auto creds = sasl::parse_plain(*msg);
  if (!creds) {
    // Name the user in the log when the message got that far (wrong authzid).
    auto parts = util::split(msg->substr(0, sasl::max_client_message), '\0');
    std::string_view user = parts.size() == 3 ? parts[1] : std::string_view{};
    return fail(user, creds.error().code == "sasl.authzid" ? "authzid" : "malformed");
  }
  return password(creds->authcid, creds->password);
}

step_result login_exchange::step(std::optional<std::string_view> msg) {
  if (done_) return fail("", "state");
  switch (state_) {
    case state::start:
      // Some clients (Outlook) send the user name as the initial response.
      if (!msg) {
        state_ = state::want_user;
        return challenge(std::string(sasl::login_username_challenge));
      }
      [[fallthrough]];
    case state::want_user: {
      auto u = sasl::parse_login_field(msg.value_or(""), sasl::max_identity);
      if (!u) return fail("", "malformed");
      user_ = std::move(*u);
      state_ = state::want_password;
      return challenge(std::string(sasl::login_password_challenge));
    }
    case state::want_password: {
      auto p = sasl::parse_login_field(msg.value_or(""), max_password_size);
      if (!p) return fail(user_, "malformed");
      return password(user_, *p);
    }
  }
  return fail(user_, "state");
}

scram_exchange::scram_exchange(authenticator& a, const context& ctx, std::string mech,
                               sasl::scram_options o, std::string server_nonce)
    : exchange_base(a, ctx, std::move(mech)), hash_(o.hash), server_(std::move(o), std::move(server_nonce)) {}

namespace {
std::string_view scram_reason(const std::string& code) {
  if (code == "sasl.channel_binding") return "channel_binding";
  if (code == "sasl.authzid") return "authzid";
  if (code == "sasl.nonce") return "nonce";
  if (code == "sasl.bad_proof") return "bad_password";
  return "malformed";
}
}  // namespace

step_result scram_exchange::step(std::optional<std::string_view> msg) {
  if (done_) return fail(user_, "state");
  if (!started_) {
    // RFC 5802 §5: the client speaks first; without an initial response, ask with an empty
    // challenge (RFC 4422 §5).
    if (!msg) {
      started_ = true;
      return challenge("");
    }
  }
  if (!started_ || user_.empty()) {
    started_ = true;
    if (!msg) return fail("", "malformed");
    auto user = server_.client_first(*msg);
    if (!user) return fail("", scram_reason(user.error().code));
    user_ = authenticator::qualify(ctx_, *user);
    if (auto blocked = refuse_if_blocked(user_, delay_)) return finish(*blocked);
    found_ = lookup_scram(hash_, user_);
    return challenge(server_.server_first(found_.salt, found_.iterations));
  }
  if (!msg) return fail(user_, "malformed");
  auto v = server_.client_final(*msg, found_.candidates);
  if (!v) {
    std::string_view reason = scram_reason(v.error().code);
    if (reason == "bad_password" && !found_.user) reason = "unknown_user";
    if (reason == "bad_password" && found_.user->disabled) reason = "disabled";
    return fail(user_, reason, delay_);
  }
  // A proof can only verify against a real, enabled account's keys (lookup_scram gives no
  // candidates otherwise); checked again so a future change cannot let one through.
  if (!found_.user || found_.user->disabled || v->index >= found_.set_index.size())
    return fail(user_, "disabled", delay_);
  return succeed(*found_.user, found_.set_index[v->index], delay_, std::move(v->server_final));
}

step_result ht_exchange::step(std::optional<std::string_view> msg) {
  if (done_) return fail("", "state");
  // The mechanism is client-first and single round-trip (XEP-0484 requires both): no initial
  // response is an error, not an invitation.
  if (!msg) return fail("", "malformed");
  const auto nul = msg->find('\0');
  if (nul == std::string_view::npos || nul == 0 || nul > sasl::max_identity) return fail("", "malformed");
  const std::string user = authenticator::qualify(ctx_, msg->substr(0, nul));
  const std::string_view proof = msg->substr(nul + 1);
  std::chrono::milliseconds delay{0};
  if (auto blocked = refuse_if_blocked(user, delay)) return finish(*blocked);
  if (proof.size() != 32) return fail(user, "malformed", delay);
  auto rec = lookup_user(user);
  if (!rec) return fail(user, "unknown_user", delay);
  if (rec->disabled) return fail(user, "disabled", delay);
  const auto tokens = tokens_(rec->address);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!crypto::constant_time_equal(crypto::hmac_sha256(tokens[i], "Initiator"), proof)) continue;
    if (matched_) *matched_ = i;
    // No credential set was used: an index past them leaves their last-use marks alone.
    return succeed(*rec, rec->credentials.size(), delay, crypto::hmac_sha256(tokens[i], "Responder"));
  }
  return fail(user, "bad_token", delay);
}

}  // namespace hearth::auth::detail
