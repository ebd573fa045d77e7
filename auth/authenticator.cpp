#include "auth/authenticator.hpp"

#include "auth/exchanges.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"

#include <algorithm>
#include <ctime>

namespace hearth::auth {
namespace {

constexpr std::string_view failed_message = "authentication failed";

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Log values: user names come from the network; cap them (the log quotes odd characters).
std::string_view log_user(std::string_view u) { return u.substr(0, 320); }

}  // namespace

std::string_view outcome_name(outcome o) {
  switch (o) {
    case outcome::ok: return "ok";
    case outcome::failed: return "failed";
    case outcome::blocked: return "blocked";
    case outcome::tls_required: return "tls_required";
    case outcome::unknown_mechanism: return "unknown_mechanism";
  }
  return "unknown";
}

authenticator::authenticator(credential_source& source, throttle_config cfg,
                             authenticator_options opts)
    : source_(source), throttle_(cfg, opts.clock, opts.throttle_counts), opts_(std::move(opts)) {
  if (opts_.secret.empty()) opts_.secret = crypto::random_bytes(32);
}

std::vector<std::string> authenticator::mechanisms(const context& ctx) const {
  // No plaintext-equivalent or challenge-response login without TLS (ARCHITECTURE.md
  // principle 2; RFC 4954 §4 and RFC 9051 §6.2.3 let a server refuse before STARTTLS).
  if (!ctx.tls) return {};
  std::vector<std::string> out;
  if (offers_plus(ctx)) {
    out.push_back("SCRAM-SHA-256-PLUS");
    out.push_back("SCRAM-SHA-1-PLUS");
  }
  for (const char* m : {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"}) out.push_back(m);
  return out;
}

bool authenticator::offers_plus(const context& ctx) const {
  // -PLUS is offered only where tls-exporter exists (TLS 1.3): clients that see -PLUS on TLS 1.2
  // pick tls-unique, which we do not implement (gloox, older libgsasl), and fail instead of
  // falling back. A client that chooses -PLUS with tls-server-end-point is still accepted.
  if (!ctx.channel_binding) return false;
  const auto& p = opts_.plus_protocols;
  return std::find(p.begin(), p.end(), ctx.proto) != p.end();
}

std::string authenticator::new_server_nonce() const {
  if (opts_.server_nonce) return opts_.server_nonce();
  return crypto::base64_encode(crypto::random_bytes(18));
}

const directory::stored_credentials& authenticator::dummy_credentials() {
  // Unknown users still pay one Argon2id verification, so timing does not reveal them.
  std::call_once(dummy_once_, [this] { dummy_ = derive_credentials(crypto::random_bytes(16), opts_.dummy_cost); });
  return dummy_;
}

namespace {
constexpr std::size_t known_cache_limit = 10'000;
constexpr auto known_rewrite = std::chrono::hours(1);

std::string known_key(std::string_view user, std::string_view address) {
  return util::to_lower(user.substr(0, 512)) + "|" + std::string(address);
}
std::string_view scope_name(throttle::scope s) {
  return s == throttle::scope::account ? "account" : s == throttle::scope::ip ? "ip" : "none";
}
}  // namespace

bool authenticator::known_address(const context& ctx, std::string_view user) {
  const std::string address = throttle_address(ctx.remote_ip);
  const std::string key = known_key(user, address);
  {
    std::lock_guard lock(known_mutex_);
    if (known_cache_.count(key)) return true;
  }
  if (!source_.known_address(user, address)) return false;
  std::lock_guard lock(known_mutex_);
  if (known_cache_.size() >= known_cache_limit) known_cache_.clear();
  known_cache_.emplace(key, std::chrono::steady_clock::now());
  return true;
}

void authenticator::remember_address(const context& ctx, const user_record& rec) {
  const std::string address = throttle_address(ctx.remote_ip);
  const std::string key = known_key(rec.address, address);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(known_mutex_);
    auto it = known_cache_.find(key);
    if (it != known_cache_.end() && now - it->second < known_rewrite) return;
    if (known_cache_.size() >= known_cache_limit) known_cache_.clear();
    known_cache_[key] = now;
  }
  source_.remember_address(rec, address);
}

std::optional<auth_result> authenticator::refuse_if_blocked(const context& ctx, std::string_view user,
                                                            std::chrono::milliseconds& delay) {
  // The history is read only while the account's own count is delaying or refusing someone.
  const bool known = throttle_.account_limited(user) && known_address(ctx, user);
  if (known)
    log::info("auth.known_address", {{"proto", ctx.proto}, {"ip", ctx.remote_ip}, {"user", log_user(user)},
                                     {"note", "account under attack; this address logged in before"}});
  auto v = throttle_.check(ctx.remote_ip, user, known);
  delay = v.delay;
  if (!v.blocked) return std::nullopt;
  auto until = std::chrono::system_clock::now() + v.retry_after;
  log::info("auth.block", {{"proto", ctx.proto}, {"ip", ctx.remote_ip}, {"user", log_user(user)},
                           {"scope", scope_name(v.by)}, {"until", utc_timestamp(until)}});
  auth_result r;
  r.result = outcome::blocked;
  r.message = "too many failed logins, try again later";
  return r;
}

auth_result authenticator::succeed(const context& ctx, std::string_view mech, const user_record& rec,
                                   std::size_t set, std::chrono::milliseconds delay) {
  throttle_.record_success(ctx.remote_ip, rec.address);
  if (set < rec.credentials.size()) source_.used(rec, rec.credentials[set]);
  remember_address(ctx, rec);
  const bool app = set < rec.credentials.size() && !rec.credentials[set].name.empty();
  if (app) {
    log::info("auth.ok", {{"proto", ctx.proto}, {"user", rec.address}, {"ip", ctx.remote_ip},
                          {"mech", mech}, {"app_password", rec.credentials[set].name}});
  } else {
    log::info("auth.ok", {{"proto", ctx.proto}, {"user", rec.address}, {"ip", ctx.remote_ip},
                          {"mech", mech}});
  }
  auth_result r;
  r.result = outcome::ok;
  r.address = rec.address;
  r.delay = delay;
  return r;
}

auth_result authenticator::failure(const context& ctx, std::string_view user, std::string_view mech,
                                   std::string_view reason, std::chrono::milliseconds delay) {
  log::info("auth.fail", {{"proto", ctx.proto}, {"user", log_user(user)}, {"ip", ctx.remote_ip},
                          {"mech", mech}, {"reason", reason}});
  auth_result r;
  r.delay = delay;
  r.message = std::string(failed_message);
  if (reason == "tls_required") {
    r.result = outcome::tls_required;
    r.message = "encryption required";
    return r;
  }
  r.result = outcome::failed;
  if (reason == "channel_binding") return r;  // no password was tried (see the header)
  const std::string address = throttle_address(ctx.remote_ip);
  // Only a wrong password names an existing account; the source ignores unknown names.
  if (reason == "bad_password") source_.login_event(user, address, ctx.proto, "failed");
  const auto started = throttle_.record_failure(ctx.remote_ip, user);
  if (started.ip || started.account) {
    auto until = std::chrono::system_clock::now() + std::chrono::seconds(throttle_.config().block_seconds);
    log::warn("auth.block", {{"proto", ctx.proto}, {"ip", ctx.remote_ip}, {"user", log_user(user)},
                             {"scope", started.ip && started.account ? "ip,account" : started.ip ? "ip" : "account"},
                             {"until", utc_timestamp(until)},
                             {"note", started.account ? "the account is refused only to addresses that failed for it"
                                                      : "every login from this address is refused"}});
    if (started.ip) source_.login_event(user, address, ctx.proto, "blocked_ip");
    if (started.account) source_.login_event(user, address, ctx.proto, "blocked_account");
  }
  return r;
}

std::unique_ptr<exchange> authenticator::start_token(const context& ctx, std::string_view mechanism,
                                                     token_lookup tokens, std::shared_ptr<std::size_t> matched) {
  if (util::to_upper(mechanism.substr(0, 64)) != "HT-SHA-256-NONE") return nullptr;
  if (!ctx.tls) return std::make_unique<detail::refused_exchange>(*this, ctx, "HT-SHA-256-NONE");
  return std::make_unique<detail::ht_exchange>(*this, ctx, std::move(tokens), std::move(matched));
}

std::string authenticator::qualify(const context& ctx, std::string_view user) {
  if (ctx.user_domain.empty() || user.empty() || user.find('@') != std::string_view::npos) return std::string(user);
  return std::string(user) + "@" + ctx.user_domain;
}

auth_result authenticator::password_login(const context& ctx, std::string_view user_in,
                                          std::string_view password, std::string_view mech,
                                          bool account_only) {
  const std::string qualified = qualify(ctx, user_in);
  const std::string_view user = qualified;
  if (!ctx.tls) return failure(ctx, user, mech, "tls_required", {});
  std::chrono::milliseconds delay{0};
  if (auto blocked = refuse_if_blocked(ctx, user, delay)) return *blocked;
  if (user.empty() || user.size() > sasl::max_identity || password.empty() ||
      password.size() > max_password_size)
    return failure(ctx, user, mech, "malformed", delay);

  auto rec = source_.lookup(user);
  if (!rec) {
    (void)verify_password(dummy_credentials(), password);
    return failure(ctx, user, mech, "unknown_user", delay);
  }
  if (rec->disabled) {
    (void)verify_password(dummy_credentials(), password);  // same cost as a real check
    return failure(ctx, user, mech, "disabled", delay);
  }
  // Any credential set: the account password or one of its app passwords. Bounded so a
  // pathological account cannot make one login cost seconds.
  for (std::size_t i = 0; i < rec->credentials.size() && i < 64; ++i) {
    if (account_only && !rec->credentials[i].name.empty()) continue;
    if (verify_password(rec->credentials[i].creds, password))
      return succeed(ctx, mech, *rec, i, delay);
  }
  return failure(ctx, user, mech, "bad_password", delay);
}

auth_result authenticator::check_password(const context& ctx, std::string_view username,
                                          std::string_view password) {
  return password_login(ctx, username, password, "password", false);
}

auth_result authenticator::check_account_password(const context& ctx, std::string_view username,
                                                  std::string_view password) {
  return password_login(ctx, username, password, "password", true);
}

authenticator::scram_lookup authenticator::lookup_scram(crypto::hash h, std::string_view user) {
  scram_lookup out;
  out.user = source_.lookup(user);
  std::vector<std::pair<std::size_t, scram_entry>> parsed;  // (set index, entry)
  std::optional<scram_entry> primary;
  if (out.user && !out.user->disabled) {
    const auto& sets = out.user->credentials;
    for (std::size_t i = 0; i < sets.size() && i < 64; ++i) {
      const auto& c = sets[i].creds;
      auto e = parse_scram(h, h == crypto::hash::sha1 ? c.scram_sha1 : c.scram_sha256);
      if (!e) continue;
      if (sets[i].name.empty() && !primary) primary = *e;
      parsed.emplace_back(i, std::move(*e));
    }
    if (!primary && !parsed.empty()) primary = parsed.front().second;
  }
  if (primary) {
    out.salt = primary->salt;
    out.iterations = primary->iterations;
    // RFC 5802 sends one salt: only entries derived with it can verify (app passwords get the
    // account's salt, see derive_credentials(password, salt_from)).
    for (auto& [i, e] : parsed) {
      if (e.salt != out.salt || e.iterations != out.iterations) continue;
      out.candidates.push_back(std::move(e));
      out.set_index.push_back(i);
    }
    return out;
  }
  // Unknown or disabled user, or no SCRAM keys: a salt that is stable per name and secret, so asking twice
  // gives the same answer, as for a real account.
  std::string label = std::string(h == crypto::hash::sha1 ? "sha1" : "sha256") + '\0' +
                      util::to_lower(user);
  out.salt = crypto::hmac_sha256(opts_.secret, "hearth scram fake salt|" + label).substr(0, scram_salt_size);
  out.iterations = scram_iterations;
  return out;
}

std::unique_ptr<exchange> authenticator::start(const context& ctx, std::string_view mechanism) {
  using namespace detail;
  std::string mech = util::to_upper(mechanism.substr(0, 64));
  if (!ctx.tls) {
    if (mech == "PLAIN" || mech == "LOGIN" || mech.starts_with("SCRAM-SHA-"))
      return std::make_unique<refused_exchange>(*this, ctx, mech);
    return nullptr;
  }
  if (mech == "PLAIN") return std::make_unique<plain_exchange>(*this, ctx);
  if (mech == "LOGIN") return std::make_unique<login_exchange>(*this, ctx);
  bool plus = mech.ends_with("-PLUS");
  if (plus && !ctx.channel_binding && !ctx.channel_binding_end_point) return nullptr;
  crypto::hash h;
  if (mech == "SCRAM-SHA-1" || mech == "SCRAM-SHA-1-PLUS") h = crypto::hash::sha1;
  else if (mech == "SCRAM-SHA-256" || mech == "SCRAM-SHA-256-PLUS") h = crypto::hash::sha256;
  else return nullptr;
  sasl::scram_options so;
  so.hash = h;
  so.plus = plus;
  so.plus_offered = offers_plus(ctx);  // RFC 5802 §6: what was advertised decides a downgrade
  if (plus) {
    so.channel_binding = ctx.channel_binding;
    so.end_point_binding = ctx.channel_binding_end_point;
  }
  return std::make_unique<scram_exchange>(*this, ctx, mech, so, new_server_nonce());
}

}  // namespace hearth::auth
