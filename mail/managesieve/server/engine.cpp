#include "mail/managesieve/server/engine.hpp"

#include <array>

#include "auth/authenticator.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "mail/sieve_store/store.hpp"

namespace hearth::mail::managesieve {
namespace {

response ok(std::string_view text) { return {reply("OK", "", text)}; }
response no(std::string_view code, std::string_view text) { return {reply("NO", code, text)}; }

// Store errors in RFC 5804 §1.3 response codes.
response store_error(const hearth::error& e, std::string_view user) {
  if (e.code == "sieve.not_found") return no("NONEXISTENT", "There is no script by that name");
  if (e.code == "sieve.exists") return no("ALREADYEXISTS", "A script by that name already exists");
  if (e.code == "sieve.active") return no("ACTIVE", "The active script cannot be deleted");
  if (e.code == "sieve.quota_scripts") return no("QUOTA/MAXSCRIPTS", e.message);
  if (e.code == "sieve.quota_size") return no("QUOTA/MAXSIZE", e.message);
  if (e.code == "sieve.invalid") return no("", "Invalid script name");
  log::warn("managesieve.store_error", {{"user", std::string(user)}, {"code", e.code}, {"error", e.message}});
  return no("TRYLATER", "Temporary storage failure, try again later");
}

bool is_string(const argument& a) { return a.type == argument::kind::string; }

enum class when { any, unauthenticated, authenticated };

struct command_def {
  std::string_view name;
  when state;
  std::size_t min_args;
  std::size_t max_args;
};

// RFC 5804 §2: each command, the state it is allowed in, and its arity.
constexpr std::array<command_def, 14> table{{
    {"CAPABILITY", when::any, 0, 0},
    {"LOGOUT", when::any, 0, 0},
    {"NOOP", when::any, 0, 1},
    {"STARTTLS", when::unauthenticated, 0, 0},
    {"AUTHENTICATE", when::unauthenticated, 1, 2},
    {"UNAUTHENTICATE", when::authenticated, 0, 0},
    {"HAVESPACE", when::authenticated, 2, 2},
    {"PUTSCRIPT", when::authenticated, 2, 2},
    {"LISTSCRIPTS", when::authenticated, 0, 0},
    {"SETACTIVE", when::authenticated, 1, 1},
    {"GETSCRIPT", when::authenticated, 1, 1},
    {"DELETESCRIPT", when::authenticated, 1, 1},
    {"RENAMESCRIPT", when::authenticated, 2, 2},
    {"CHECKSCRIPT", when::authenticated, 1, 1},
}};

}  // namespace

std::string reply(std::string_view status, std::string_view code, std::string_view text) {
  std::string out(status);
  if (!code.empty()) {
    out += " (";
    out += code;
    out += ")";
  }
  if (!text.empty()) {
    out += " ";
    out += quote(text);
  }
  out += "\r\n";
  return out;
}

std::vector<std::string> engine::mechanisms() const {
  std::vector<std::string> out;
  if (!tls_ || !env_.authn) return out;
  auth::context ctx{"sieve", ip_, tls_, std::nullopt};
  for (auto& m : env_.authn->mechanisms(ctx))
    if (m == "PLAIN" || (m.starts_with("SCRAM-") && !m.ends_with("-PLUS"))) out.push_back(m);
  return out;
}

std::string engine::capabilities() const {
  // RFC 5804 §1.7: IMPLEMENTATION, SASL, SIEVE and VERSION are required; STARTTLS only while the
  // connection is in clear; OWNER once authenticated.
  std::string s = "\"IMPLEMENTATION\" " + quote(env_.implementation) + "\r\n";
  std::string mechs;
  for (auto& m : mechanisms()) mechs += (mechs.empty() ? "" : " ") + m;
  s += "\"SASL\" " + quote(mechs) + "\r\n";
  s += "\"SIEVE\" " + quote(env_.sieve_extensions) + "\r\n";
  if (!env_.notify_methods.empty()) s += "\"NOTIFY\" " + quote(env_.notify_methods) + "\r\n";
  if (env_.max_redirects > 0) s += "\"MAXREDIRECTS\" \"" + std::to_string(env_.max_redirects) + "\"\r\n";
  if (!tls_) s += "\"STARTTLS\"\r\n";
  if (!user_.empty()) s += "\"OWNER\" " + quote(user_) + "\r\n";
  s += "\"UNAUTHENTICATE\"\r\n";
  s += "\"VERSION\" \"1.0\"\r\n";
  return s;
}

std::string engine::greeting() const { return capabilities() + reply("OK", "", env_.hostname + " Hearth ManageSieve ready"); }

std::string engine::tls_started() {
  tls_ = true;
  return capabilities() + reply("OK", "", "TLS negotiation successful");
}

response engine::handle(const command& c) {
  const command_def* def = nullptr;
  for (const auto& d : table)
    if (d.name == c.name) def = &d;
  if (!def) return no("", "Unknown command");
  if (c.args.size() < def->min_args || c.args.size() > def->max_args) return no("", "Wrong number of arguments");
  // State is checked here once, before dispatch (RFC 5804 §2: which commands need a login).
  if (def->state == when::authenticated && user_.empty()) return no("", "Authenticate first");
  if (def->state == when::unauthenticated && !user_.empty()) return no("", "Already authenticated");

  if (c.name == "CAPABILITY") return {capabilities() + reply("OK", "", "Capability completed")};
  if (c.name == "LOGOUT") return {reply("OK", "", "Logout completed"), action::logout};
  if (c.name == "NOOP") {
    // RFC 5804 §2.11: the optional argument comes back as a TAG response code.
    if (c.args.empty()) return ok("NOOP completed");
    if (!is_string(c.args[0])) return no("", "NOOP takes a string");
    return {reply("OK", "TAG " + quote(c.args[0].text), "Done")};
  }
  if (c.name == "STARTTLS") {
    if (tls_) return no("", "TLS is already active");
    return {reply("OK", "", "Begin TLS negotiation now"), action::starttls};
  }
  if (c.name == "AUTHENTICATE") return unauthenticated(c);
  if (c.name == "UNAUTHENTICATE") {
    // RFC 5804 §2.14.1: back to the non-authenticated state; TLS stays.
    log::info("managesieve.unauthenticate", {{"user", user_}, {"ip", ip_}});
    user_.clear();
    return ok("Unauthenticate completed");
  }
  return script_command(c);
}

response engine::unauthenticated(const command& c) {
  for (const auto& a : c.args)
    if (!is_string(a)) return no("", "AUTHENTICATE takes strings");
  // RFC 5804 §2.1 and ARCHITECTURE.md principle 2: no credential on a connection in clear.
  if (!tls_) return no("ENCRYPT-NEEDED", "Use STARTTLS first");
  std::string mech = util::to_upper(c.args[0].text);
  bool offered = false;
  for (auto& m : mechanisms()) offered = offered || m == mech;
  if (!offered) return no("", "Unsupported mechanism");
  sasl_mech_ = mech;
  sasl_initial_.reset();
  if (c.args.size() == 2) sasl_initial_ = c.args[1].text;
  return {"", action::authenticate};
}

response engine::script_command(const command& c) {
  for (const auto& a : c.args)
    if (c.name != "HAVESPACE" && !is_string(a)) return no("", "Expected a string");
  auto& st = *env_.scripts;
  const std::string& name = c.args.empty() ? user_ : c.args[0].text;
  auto check = [&](std::string_view script) -> std::optional<response> {
    if (!env_.check) return std::nullopt;
    auto r = env_.check(script, user_);
    if (!r.ok) return no("", r.message);
    if (!r.warnings.empty()) {
      std::string w;
      for (auto& x : r.warnings) w += (w.empty() ? "" : "\n") + x;
      return response{reply("OK", "WARNINGS", w)};
    }
    return std::nullopt;
  };

  if (c.name == "LISTSCRIPTS") {
    auto l = st.list(user_);
    if (!l) return store_error(l.error(), user_);
    std::string out;
    for (auto& s : *l) out += quote(s.name) + (s.active ? " ACTIVE\r\n" : "\r\n");
    return {out + reply("OK", "", "Listscripts completed")};
  }
  if (c.name == "HAVESPACE") {
    if (!is_string(c.args[0]) || c.args[1].type != argument::kind::number) return no("", "HAVESPACE takes a name and a number");
    if (!sieve_store::valid_name(name)) return no("", "Invalid script name");
    auto r = st.check_space(user_, name, c.args[1].number);
    if (!r) return store_error(r.error(), user_);
    return ok("Putscript would succeed");
  }
  if (c.name == "PUTSCRIPT") {
    if (!sieve_store::valid_name(name)) return no("", "Invalid script name");
    const std::string& content = c.args[1].text;
    // RFC 5804 §2.6: a script with errors is not stored; the quota is checked first so that a
    // too-big script is refused as such rather than compiled.
    if (auto s = st.check_space(user_, name, content.size()); !s) return store_error(s.error(), user_);
    auto verdict = check(content);
    if (verdict && verdict->out.starts_with("NO")) return *verdict;
    auto r = st.put(user_, name, content);
    if (!r) return store_error(r.error(), user_);
    log::info("managesieve.put", {{"user", user_}, {"script", name}, {"size", std::to_string(content.size())}});
    if (verdict) return *verdict;  // OK (WARNINGS)
    return ok("Putscript completed");
  }
  if (c.name == "CHECKSCRIPT") {
    // RFC 5804 §2.12: like PUTSCRIPT without storing; the size limit applies all the same.
    if (c.args[0].text.size() > st.limits().max_script_bytes) return no("QUOTA/MAXSIZE", "Script too big");
    if (auto v = check(c.args[0].text)) return *v;
    return ok("Script is valid");
  }
  if (c.name == "SETACTIVE") {
    // RFC 5804 §2.8: the empty name deactivates.
    auto r = name.empty() ? st.set_active(user_, std::nullopt) : st.set_active(user_, std::string_view(name));
    if (!r) return store_error(r.error(), user_);
    log::info("managesieve.setactive", {{"user", user_}, {"script", name}});
    return ok(name.empty() ? "No script is active" : "Setactive completed");
  }
  if (c.name == "GETSCRIPT") {
    auto r = st.get(user_, name);
    if (!r) return store_error(r.error(), user_);
    // Always a literal: scripts are multi-line.
    return {"{" + std::to_string(r->size()) + "}\r\n" + *r + "\r\n" + reply("OK", "", "Getscript completed")};
  }
  if (c.name == "DELETESCRIPT") {
    auto r = st.remove(user_, name);
    if (!r) return store_error(r.error(), user_);
    log::info("managesieve.delete", {{"user", user_}, {"script", name}});
    return ok("Deletescript completed");
  }
  if (c.name == "RENAMESCRIPT") {
    if (!sieve_store::valid_name(c.args[1].text)) return no("", "Invalid script name");
    auto r = st.rename(user_, name, c.args[1].text);
    if (!r) return store_error(r.error(), user_);
    return ok("Renamescript completed");
  }
  return no("", "Unknown command");
}

}  // namespace hearth::mail::managesieve
