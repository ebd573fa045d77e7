// hearth sieve list|get|put|activate|deactivate|delete|rename: the script store from the command
// line (the same scripts ManageSieve serves), for users and for the global scripts (--global).
// `hearth sieve check` and `hearth sieve test` are the language's side (cmd_sieve.cpp).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/sieve_glue.hpp"
#include "mail/sieve_store/cached.hpp"
#include "mail/sieve_store/store.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] sieve COMMAND\n\n"
    "script store commands (the scripts ManageSieve serves):\n"
    "  list USER                      the user's scripts; the active one is marked\n"
    "  get USER NAME                  print a script\n"
    "  put USER NAME FILE [--activate]  store a script (FILE - = stdin), checked first\n"
    "  activate USER NAME             make NAME the one script run at delivery\n"
    "  deactivate USER                run no script (mail is kept as without Sieve)\n"
    "  delete USER NAME               delete an inactive script\n"
    "  rename USER OLD NEW            rename a script\n"
    "  list --global                  the global scripts (managesieve.before/after, include :global)\n"
    "  get --global NAME\n"
    "  put --global NAME FILE\n"
    "  delete --global NAME\n";

std::optional<std::string> read_source(const std::string& file) {
  std::ostringstream s;
  if (file == "-") {
    s << std::cin.rdbuf();
    return s.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::optional<std::pair<std::string, std::string>> stored_active_script(const globals& g, const std::string& user) {
  auto cfg = load_config(g);
  if (!cfg) return std::nullopt;
  auto dir = open_directory(*cfg);
  if (!dir) return std::nullopt;
  auto st = mail::sieve_store::store::open(database_target(*cfg), sieve_quota(*cfg));
  if (!st) {
    fail_with(1, st.error().message);
    return std::nullopt;
  }
  auto a = (*st)->active(user);
  if (!a) {
    fail_with(1, a.error().message);
    return std::nullopt;
  }
  if (!*a) {
    fail_with(1, user + " has no active script (give --script FILE)");
    return std::nullopt;
  }
  return std::make_pair((*a)->name, (*a)->content);
}

int cmd_sieve_store(const globals& g, const args& a) {
  auto p = parse_args(a, {}, {"--global", "--activate"});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string sub = p.positional[0];
  const std::size_t n = p.positional.size();
  const bool global = p.has("--global");
  bool ok = false;
  if (global)
    ok = (sub == "list" && n == 1) || ((sub == "get" || sub == "delete") && n == 2) || (sub == "put" && n == 3);
  else
    ok = ((sub == "list" || sub == "deactivate") && n == 2) ||
         ((sub == "get" || sub == "activate" || sub == "delete") && n == 3) || ((sub == "put" || sub == "rename") && n == 4);
  if (!ok) return usage_error("bad sieve command", usage);

  auto cfg = load_config(g);
  if (!cfg) return 1;
  // The directory is opened first: it owns the accounts the scripts belong to (and migrates).
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto st = mail::sieve_store::store::open(database_target(*cfg), sieve_quota(*cfg));
  if (!st) return fail_with(1, st.error().message);
  // Remembers nothing; its changes touch the stamp file, which a running server looks at
  // before its next delivery (mail/sieve_store/cached.hpp).
  auto through = mail::sieve_store::make_cached(
      **st, nullptr, {.max_entries = 0, .stamp = cfg->data_dir / mail::sieve_store::stamp_name});
  auto& s = *through;

  if (global) {
    if (sub == "list") {
      auto l = s.global_list();
      if (!l) return fail_with(1, l.error().message);
      for (auto& x : *l) std::printf("%s\t%llu\n", x.name.c_str(), static_cast<unsigned long long>(x.size));
      return 0;
    }
    const std::string& name = p.positional[1];
    if (sub == "get") {
      auto r = s.global_get(name);
      if (!r) return fail_with(1, r.error().message);
      if (!*r) return fail_with(1, "no global script named " + name);
      std::fwrite((*r)->data(), 1, (*r)->size(), stdout);
      return 0;
    }
    if (sub == "delete") {
      auto r = s.global_remove(name);
      if (!r) return fail_with(1, r.error().message);
      std::printf("deleted global script %s\n", name.c_str());
      return 0;
    }
    auto src = read_source(p.positional[2]);
    if (!src) return fail_with(1, "cannot read " + p.positional[2]);
    auto chk = sieve_check(*src);
    if (!chk.ok) return fail_with(1, p.positional[2] + ": " + chk.message);
    auto r = s.global_put(name, *src);
    if (!r) return fail_with(1, r.error().message);
    std::printf("stored global script %s\n", name.c_str());
    return 0;
  }

  const std::string& user = p.positional[1];
  if (sub == "list") {
    auto l = s.list(user);
    if (!l) return fail_with(1, l.error().message);
    for (auto& x : *l)
      std::printf("%s\t%llu%s\n", x.name.c_str(), static_cast<unsigned long long>(x.size), x.active ? "\tactive" : "");
    return 0;
  }
  if (sub == "deactivate") {
    auto r = s.set_active(user, std::nullopt);
    if (!r) return fail_with(1, r.error().message);
    std::printf("no script active for %s\n", user.c_str());
    return 0;
  }
  const std::string& name = p.positional[2];
  if (sub == "get") {
    auto r = s.get(user, name);
    if (!r) return fail_with(1, r.error().message);
    std::fwrite(r->data(), 1, r->size(), stdout);
    return 0;
  }
  if (sub == "activate") {
    auto r = s.set_active(user, std::string_view(name));
    if (!r) return fail_with(1, r.error().message);
    std::printf("%s is the active script of %s\n", name.c_str(), user.c_str());
    return 0;
  }
  if (sub == "delete") {
    auto r = s.remove(user, name);
    if (!r) return fail_with(1, r.error().message);
    std::printf("deleted %s of %s\n", name.c_str(), user.c_str());
    return 0;
  }
  if (sub == "rename") {
    auto r = s.rename(user, name, p.positional[3]);
    if (!r) return fail_with(1, r.error().message);
    std::printf("renamed %s to %s\n", name.c_str(), p.positional[3].c_str());
    return 0;
  }
  // put
  auto src = read_source(p.positional[3]);
  if (!src) return fail_with(1, "cannot read " + p.positional[3]);
  auto chk = sieve_check(*src);
  if (!chk.ok) return fail_with(1, p.positional[3] + ": " + chk.message);
  auto r = s.put(user, name, *src);
  if (!r) return fail_with(1, r.error().message);
  for (auto& w : chk.warnings) std::fprintf(stderr, "hearth: warning: %s\n", w.c_str());
  if (p.has("--activate")) {
    auto act = s.set_active(user, std::string_view(name));
    if (!act) return fail_with(1, act.error().message);
  }
  std::printf("stored %s for %s%s\n", name.c_str(), user.c_str(), p.has("--activate") ? " (active)" : "");
  return 0;
}

}  // namespace hearth::app
