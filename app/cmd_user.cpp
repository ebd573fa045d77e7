// hearth user add|del|passwd|list|show|disable|enable|admin|logins|app-password
#include <cstdio>
#include <ctime>

#include "app/common.hpp"
#include "auth/password.hpp"
#include "core/crypto/crypto.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] user COMMAND\n\n"
    "commands:\n"
    "  add ADDRESS [--name NAME] [--quota BYTES] [--password-stdin]\n"
    "                          add an account (its domain must exist); without --password-stdin\n"
    "                          the password is asked for on a terminal, or generated and printed\n"
    "  del ADDRESS             delete an account\n"
    "  passwd ADDRESS [--password-stdin]   set a new password\n"
    "  list [DOMAIN]           list accounts\n"
    "  show ADDRESS            show an account, its aliases and app passwords\n"
    "  disable ADDRESS | enable ADDRESS    refuse or allow every login of an account\n"
    "  admin ADDRESS on|off    let an account run the server from the web console, or not\n"
    "  logins ADDRESS          the addresses that logged in, then failed logins and blocks\n"
    "  app-password add ADDRESS NAME       create an app password (printed once)\n"
    "  app-password del ADDRESS NAME       revoke it\n"
    "  app-password list ADDRESS           list them\n";

std::string when(std::int64_t t) {
  if (t <= 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

int app_password(directory::directory& d, const parsed_args& p) {
  const auto& pos = p.positional;
  if (pos.size() < 3) return usage_error("app-password needs add|del|list and ADDRESS", usage);
  const std::string& op = pos[1];
  const std::string& address = pos[2];
  if (op == "list" && pos.size() == 3) {
    for (const auto& ap : d.app_passwords(address))
      std::printf("%s\tcreated %s\tlast used %s\n", ap.name.c_str(), when(ap.created).c_str(),
                  ap.last_used ? when(*ap.last_used).c_str() : "never");
    return 0;
  }
  if (pos.size() != 4) return usage_error("app-password add|del needs ADDRESS NAME", usage);
  if (op == "add") {
    auto main = d.credentials(address);
    if (!main) return fail_with(1, "no such account: " + address);
    std::string pw = crypto::generate_password();
    // SCRAM announces one salt per account: the app password reuses the account's SCRAM salt
    // so that SCRAM logins work with it too.
    auto r = d.add_app_password(address, pos[3], auth::derive_credentials(pw, *main));
    if (!r) return fail_with(1, r.error().message);
    std::printf("app password %s for %s\npassword: %s\n", pos[3].c_str(), address.c_str(), pw.c_str());
    return 0;
  }
  if (op == "del") {
    auto r = d.revoke_app_password(address, pos[3]);
    if (!r) return fail_with(1, r.error().message);
    std::printf("revoked app password %s of %s\n", pos[3].c_str(), address.c_str());
    return 0;
  }
  return usage_error("unknown app-password command", usage);
}

// What the login throttle knows of an account: the client addresses that logged in (never
// refused because of the account's failures), then failed logins and blocks, newest first.
int logins(directory::directory& d, const std::string& address) {
  auto acc = d.find_account(address);
  if (!acc) return fail_with(1, "no such account: " + address);
  for (const auto& l : d.login_addresses(acc->address))
    std::printf("known %s\tfirst %s\tlast %s\n", l.ip.c_str(), when(l.first_seen).c_str(), when(l.last_seen).c_str());
  for (const auto& e : d.login_events(acc->address, directory::max_login_events))
    std::printf("%s\t%s\t%s\t%s\n", when(e.at).c_str(), e.event.c_str(), e.proto.c_str(), e.ip.c_str());
  return 0;
}

}  // namespace

int cmd_user(const globals& g, const args& a) {
  auto p = parse_args(a, {"--name", "--quota"}, {"--password-stdin"});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string sub = p.positional[0];
  auto need = [&](size_t n) { return p.positional.size() == n; };
  bool known = (sub == "list" && p.positional.size() <= 2) || sub == "app-password" ||
               (sub == "admin" && need(3) && (p.positional[2] == "on" || p.positional[2] == "off")) ||
               ((sub == "add" || sub == "del" || sub == "passwd" || sub == "show" || sub == "disable" ||
                 sub == "enable" || sub == "logins") && need(2));
  if (!known) return usage_error("bad user command", usage);

  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto d = open_directory(*cfg);
  if (!d) return 1;

  if (sub == "app-password") return app_password(*d, p);
  if (sub == "list") {
    std::optional<std::string> dom;
    if (p.positional.size() == 2) dom = p.positional[1];
    for (const auto& acc : d->accounts(dom))
      std::printf("%s%s%s%s\n", acc.address.c_str(), acc.disabled ? "\t(disabled)" : "", acc.admin ? "\t(admin)" : "",
                  acc.display_name.empty() ? "" : ("\t" + acc.display_name).c_str());
    return 0;
  }
  const std::string& address = p.positional[1];
  if (sub == "logins") return logins(*d, address);
  if (sub == "add") {
    std::int64_t quota = 0;
    if (auto q = p.option("--quota")) {
      try {
        quota = std::stoll(*q);
      } catch (const std::exception&) {
        return fail_with(2, "--quota takes a number of bytes");
      }
    }
    bool generated = false;
    auto pw = obtain_password(p, generated);
    if (!pw) return 1;
    auto r = d->add_account(address, auth::derive_credentials(*pw), p.option("--name").value_or(""), quota);
    if (!r) return fail_with(1, r.error().message);
    std::printf("added %s\n", r->address.c_str());
    if (generated) std::printf("password: %s\n", pw->c_str());
    return 0;
  }
  if (sub == "del") {
    auto r = d->remove_account(address);
    if (!r) return fail_with(1, r.error().message);
    std::printf("deleted %s\n", address.c_str());
    return 0;
  }
  if (sub == "passwd") {
    auto old = d->credentials(address);
    if (!old) return fail_with(1, "no such (enabled) account: " + address);
    bool generated = false;
    auto pw = obtain_password(p, generated);
    if (!pw) return 1;
    // Keep the account's SCRAM salt: app passwords share it (see app-password add), and
    // SCRAM can announce only one salt per account.
    auto r = d->set_credentials(address, auth::derive_credentials(*pw, *old));
    if (!r) return fail_with(1, r.error().message);
    std::printf("password changed for %s\n", address.c_str());
    if (generated) std::printf("password: %s\n", pw->c_str());
    return 0;
  }
  if (sub == "admin") {
    bool on = p.positional[2] == "on";
    auto r = d->set_admin(address, on);
    if (!r) return fail_with(1, r.error().message);
    std::printf("%s is %s an administrator\n", address.c_str(), on ? "now" : "no longer");
    return 0;
  }
  if (sub == "disable" || sub == "enable") {
    auto r = d->set_disabled(address, sub == "disable");
    if (!r) return fail_with(1, r.error().message);
    std::printf("%s %s\n", sub == "disable" ? "disabled" : "enabled", address.c_str());
    return 0;
  }
  // show
  auto acc = d->find_account(address);
  if (!acc) return fail_with(1, "no such account: " + address);
  std::printf("address:   %s\n", acc->address.c_str());
  std::printf("name:      %s\n", acc->display_name.c_str());
  std::printf("quota:     %s\n", acc->quota_bytes ? std::to_string(acc->quota_bytes).c_str() : "unlimited");
  std::printf("disabled:  %s\n", acc->disabled ? "yes" : "no");
  std::printf("admin:     %s\n", acc->admin ? "yes" : "no");
  std::printf("created:   %s\n", when(acc->created).c_str());
  std::string domain = acc->address.substr(acc->address.find('@') + 1);
  for (const auto& al : d->aliases(domain))
    for (const auto& t : al.targets)
      if (t == acc->address) std::printf("alias:     %s\n", al.source.c_str());
  for (const auto& ap : d->app_passwords(acc->address))
    std::printf("app password: %s (created %s)\n", ap.name.c_str(), when(ap.created).c_str());
  return 0;
}

}  // namespace hearth::app
