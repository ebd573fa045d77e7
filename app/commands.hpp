// The `hearth` subcommands: one function per command, registered in main.cpp's table.
// Each takes the arguments after its own name and returns the process exit code
// (0 ok, 1 failure, 2 usage error). Errors are printed to stderr as "hearth: ...".
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hearth::app {

struct globals {
  std::string config_path = "/etc/hearth/hearth.toml";  // --config
  bool config_given = false;
};

using args = std::vector<std::string>;

extern const char* const version;  // main.cpp, from the project version in CMakeLists.txt

int cmd_serve(const globals& g, const args& a);       // serve.cpp
int cmd_quickstart(const globals& g, const args& a);  // quickstart.cpp
int cmd_domain(const globals& g, const args& a);      // cmd_domain.cpp
int cmd_user(const globals& g, const args& a);        // cmd_user.cpp
int cmd_alias(const globals& g, const args& a);       // cmd_alias.cpp
int cmd_dns(const globals& g, const args& a);         // cmd_dns.cpp
int cmd_config(const globals& g, const args& a);      // cmd_config.cpp
int cmd_dkim(const globals& g, const args& a);        // cmd_dkim.cpp
int cmd_queue(const globals& g, const args& a);       // cmd_queue.cpp
int cmd_import(const globals& g, const args& a);      // cmd_import.cpp
int cmd_sieve(const globals& g, const args& a);       // cmd_sieve.cpp
int cmd_backup(const globals& g, const args& a);      // cmd_backup.cpp
int cmd_restore(const globals& g, const args& a);     // cmd_backup.cpp
int cmd_export(const globals& g, const args& a);      // cmd_export.cpp
int cmd_share(const globals& g, const args& a);       // cmd_share.cpp
int cmd_migrate(const globals& g, const args& a);     // cmd_migrate.cpp
int cmd_token(const globals& g, const args& a);       // cmd_token.cpp
int cmd_db(const globals& g, const args& a);          // cmd_db.cpp
// `hearth sieve list|get|put|activate|deactivate|delete|rename` (cmd_sieve_store.cpp): the
// script store; a[0] is the subcommand. Dispatched from cmd_sieve.cpp's table.
int cmd_sieve_store(const globals& g, const args& a);
// The name and source of `user`'s active script, for `hearth sieve test` without --script;
// nullopt after printing why (no config, no account, no active script).
std::optional<std::pair<std::string, std::string>> stored_active_script(const globals& g, const std::string& user);
int cmd_spam(const globals& g, const args& a);        // cmd_spam.cpp
int cmd_reports(const globals& g, const args& a);     // cmd_reports.cpp
// `hearth dns zone` and `hearth dns check`, dispatched from cmd_dns.cpp's table.
int cmd_dns_zone(const globals& g, const args& a);    // cmd_dns_zone.cpp
int cmd_dns_check(const globals& g, const args& a);   // cmd_dns_check.cpp

}  // namespace hearth::app
