// `hearth sieve`: Sieve scripts. One table line per sub-subcommand; `check` and `test` work on
// files (mail/sieve), the script store's commands join the table beside them.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "mail/message/header.hpp"
#include "mail/sieve/run.hpp"

namespace hearth::app {
namespace {

namespace sieve = mail::sieve;

struct subcommand {
  const char* name;
  int (*run)(const globals&, const args&);
  const char* summary;
};

int sieve_check(const globals& g, const args& a);
int sieve_test(const globals& g, const args& a);

// The store's commands take their own name as the first argument.
args with_name(const char* name, const args& a) {
  args out{name};
  out.insert(out.end(), a.begin(), a.end());
  return out;
}
int sieve_store_list(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("list", a)); }
int sieve_store_get(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("get", a)); }
int sieve_store_put(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("put", a)); }
int sieve_store_activate(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("activate", a)); }
int sieve_store_deactivate(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("deactivate", a)); }
int sieve_store_delete(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("delete", a)); }
int sieve_store_rename(const globals& g, const args& a) { return cmd_sieve_store(g, with_name("rename", a)); }

const subcommand subcommands[] = {
    {"check", sieve_check, "FILE...: compile scripts and print FILE:LINE:COLUMN: error"},
    {"test", sieve_test, "--user U MESSAGE --script FILE: print the actions a script would take"},
    // The script store's commands (cmd_sieve_store.cpp: the scripts ManageSieve serves).
    {"list", sieve_store_list, "USER | --global: the stored scripts, the active one marked"},
    {"get", sieve_store_get, "USER NAME | --global NAME: print a stored script"},
    {"put", sieve_store_put, "USER NAME FILE [--activate] | --global NAME FILE: store a script"},
    {"activate", sieve_store_activate, "USER NAME: the script run at delivery"},
    {"deactivate", sieve_store_deactivate, "USER: run no script"},
    {"delete", sieve_store_delete, "USER NAME | --global NAME: delete a script"},
    {"rename", sieve_store_rename, "USER OLD NEW: rename a script"},
};

void sieve_usage(FILE* out) {
  std::fprintf(out, "usage: hearth [--config FILE] sieve COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : subcommands) std::fprintf(out, "  %-9s %s\n", c.name, c.summary);
  std::fprintf(out, "\n`hearth sieve COMMAND --help` for a command's own options.\n");
}

const char* check_usage =
    "usage: hearth sieve check FILE...\n\n"
    "Compiles each Sieve script (RFC 5228 and the extensions Hearth supports) and prints\n"
    "FILE:LINE:COLUMN: message for the first error of each. Exit status 1 if any has one.\n";

const char* test_usage =
    "usage: hearth sieve test --user USER [--script FILE] [--from ADDR] [--to ADDR]\n"
    "                         [--spam-score 0-10] [--spam-percent 0-100] [--virus-score 0-5]\n"
    "                         [--include-dir DIR]\n"
    "                         [--global-dir DIR] MESSAGE-FILE\n\n"
    "Runs a Sieve script on a message and prints the actions it would take, one per line,\n"
    "without delivering anything (like Pigeonhole's sieve-test).\n\n"
    "  --user U         the account the script runs for (its address, for vacation)\n"
    "  --script FILE    the script to run (default: the user's active script in the store)\n"
    "  --from ADDR      envelope sender (default: the message's Return-Path, else From; \"\" for <>)\n"
    "  --to ADDR        envelope recipient (default: the user)\n"
    "  --spam-score N   spamtest value (1-10; 0 = not tested)\n"
    "  --spam-percent N spamtestplus :percent value (default: from --spam-score)\n"
    "  --virus-score N  virustest value (1-5; 0 = not tested)\n"
    "  --include-dir D  personal scripts for include: D/NAME.sieve\n"
    "  --global-dir D   global scripts for include :global: D/NAME.sieve\n\n"
    "exit status: 0 ran (a runtime error is printed as \"error: ...\" and falls back to keep),\n"
    "             1 the script does not compile or a file cannot be read, 2 usage error\n";

std::optional<std::string> read_file(const std::string& path, std::size_t max) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::string s;
  s.resize(max + 1);
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<std::size_t>(f.gcount()));
  return s;
}

int sieve_check(const globals&, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::fputs(check_usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing FILE" : p.error, check_usage);
  sieve::limits lim;
  int rc = 0;
  for (auto& file : p.positional) {
    auto src = read_file(file, lim.max_script_bytes);
    if (!src) {
      rc = fail_with(1, "cannot read " + file);
      continue;
    }
    auto r = sieve::compile(*src, lim);
    if (!r) {
      std::cout << file << ':' << r.error() << '\n';
      rc = 1;
    }
  }
  return rc;
}

// The address in a Return-Path or From field, without angle brackets.
std::string header_address(std::string_view message, std::string_view name) {
  auto h = mail::parse_header(message);
  auto* f = h.find(name);
  if (!f) return {};
  std::string v = mail::unfold(f->value);
  auto lt = v.find('<'), gt = v.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) return v.substr(lt + 1, gt - lt - 1);
  return v;
}

int sieve_test(const globals& g, const args& a) {
  auto p = parse_args(a, {"--user", "--script", "--from", "--to", "--spam-score", "--spam-percent", "--virus-score",
                          "--include-dir", "--global-dir"});
  if (p.help) {
    std::fputs(test_usage, stdout);
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, test_usage);
  if (p.positional.size() != 1) return usage_error("expected one MESSAGE-FILE", test_usage);
  auto user = p.option("--user");
  if (!user) return usage_error("--user is required", test_usage);
  auto script_file = p.option("--script");
  sieve::limits lim;
  std::optional<std::string> src;
  if (script_file) {
    src = read_file(*script_file, lim.max_script_bytes);
    if (!src) return fail_with(1, "cannot read " + *script_file);
  } else {
    // Without --script: the user's active script in the store (what delivery would run).
    auto stored = stored_active_script(g, *user);
    if (!stored) return 1;
    script_file = "stored:" + stored->first;
    src = std::move(stored->second);
  }
  auto message = read_file(p.positional[0], 64u * 1024 * 1024);
  if (!message) return fail_with(1, "cannot read " + p.positional[0]);
  auto prog = sieve::compile(*src, lim);
  if (!prog) {
    std::cout << *script_file << ':' << prog.error() << '\n';
    return 1;
  }
  sieve::environment env;
  env.auth_user = *user;
  env.user_addresses = {*user};
  env.envelope_to = p.option("--to").value_or(*user);
  if (auto f = p.option("--from")) env.envelope_from = *f;
  else {
    env.envelope_from = header_address(*message, "return-path");
    if (env.envelope_from.empty()) env.envelope_from = header_address(*message, "from");
  }
  try {
    if (auto s = p.option("--spam-score")) env.spam_score = std::stoi(*s);
    if (auto s = p.option("--spam-percent")) env.spam_percent = std::stoi(*s);
    if (auto s = p.option("--virus-score")) env.virus_score = std::stoi(*s);
  } catch (const std::exception&) {
    return usage_error("--spam-score, --spam-percent and --virus-score take a number", test_usage);
  }
  auto personal = p.option("--include-dir");
  auto global = p.option("--global-dir");
  env.load_include = [personal, global, max = lim.max_script_bytes](std::string_view name, sieve::script_location where)
      -> std::optional<std::string> {
    const auto& dir = where == sieve::script_location::global ? global : personal;
    if (!dir) return std::nullopt;
    return read_file(*dir + "/" + std::string(name) + ".sieve", max);
  };
  auto out = sieve::run(**prog, *message, env, lim);
  if (out.error) std::cout << "error: " << *script_file << ':' << *out.error << '\n';
  for (auto& e : out.header_edits)
    std::cout << (e.op == sieve::header_edit::kind::add ? "addheader " : "deleteheader ") << e.name
              << (e.op == sieve::header_edit::kind::add ? " " + e.value : std::string()) << '\n';
  for (auto& act : out.actions) std::cout << sieve::describe(act) << '\n';
  for (auto& n : out.notes) std::cout << "note: " << n << '\n';
  return 0;
}

}  // namespace

int cmd_sieve(const globals& g, const args& a) {
  if (a.empty() || a[0] == "--help" || a[0] == "-h" || a[0] == "help") {
    sieve_usage(a.empty() ? stderr : stdout);
    return a.empty() ? 2 : 0;
  }
  for (const auto& c : subcommands)
    if (a[0] == c.name) return c.run(g, args(a.begin() + 1, a.end()));
  std::fprintf(stderr, "hearth: unknown sieve command '%s'\n", a[0].c_str());
  sieve_usage(stderr);
  return 2;
}

}  // namespace hearth::app
