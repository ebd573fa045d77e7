// Shared pieces of the `hearth` subcommands: argument parsing, loading the config,
// opening the directory that a running `serve` uses, reading passwords, DKIM keys.
#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.hpp"
#include "core/config/config.hpp"
#include "directory/directory.hpp"

namespace hearth::app {

struct parsed_args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--name" -> value
  std::set<std::string> flags;                 // "--dev"
  bool help = false;
  std::string error;                           // non-empty: usage error

  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::optional<std::string> option(const std::string& name) const;
};

// Splits args into positionals, `--opt VALUE` / `--opt=VALUE` for names in `with_value`, and
// bare flags for names in `flags`. --help/-h sets help. Anything else starting with '-' is an error.
parsed_args parse_args(const args& a, std::initializer_list<const char*> with_value,
                       std::initializer_list<const char*> flags = {});

// Prints "hearth: MESSAGE" to stderr and returns `code`.
int fail_with(int code, const std::string& message);
// Prints "hearth: MESSAGE", then the command's usage text, to stderr; returns 2.
int usage_error(const std::string& message, const char* usage);

// Loads --config (or the default path); prints every problem and returns nullopt on error.
std::optional<config::config> load_config(const globals& g);

// [database]: where every store lives, for its open(). `database.url` when set (PostgreSQL, one
// database for every store and every node); otherwise the SQLite file DATA_DIR/`sqlite_file`
// (the stores that keep a file of their own, xmpp.db, spam.db, ..., name it).
std::string database_target(const config::config& c, std::string_view sqlite_file = "hearth.db");
bool on_postgres(const config::config& c);
// For logs and messages: the SQLite file, or "PostgreSQL host=H dbname=D", never a password.
std::string database_name(const config::config& c, std::string_view sqlite_file = "hearth.db");
// The blob store's folder: `database.blobs`, or DATA_DIR/blobs.
std::filesystem::path blob_dir(const config::config& c);
// `hearth backup` copies DATA_DIR (the SQLite files, blobs/, queue/) online: nothing to copy
// when the stores are in PostgreSQL or the blobs elsewhere. Returns why, or nullopt when it can run.
std::optional<std::string> backup_unsupported(const config::config& c);
// Opens the directory (creating and migrating it if needed); prints the error on failure.
std::unique_ptr<directory::directory> open_directory(const config::config& c);

// A new account password: --password-stdin reads one line from stdin; otherwise, on a
// terminal, asks twice without echo; otherwise generates one. `generated` tells the caller
// to print it. Returns nullopt (after printing why) on error.
std::optional<std::string> obtain_password(const parsed_args& p, bool& generated);

// Generates and stores an RSA-2048 key under `selector` and an Ed25519 key under
// `selector`-ed25519 (RFC 8463). Errors: "crypto.*", "directory.*" (an existing selector).
result<std::vector<directory::dkim_key>> add_dkim_pair(directory::directory& dir, const std::string& domain,
                                                       const std::string& selector);

// Generates and stores the domain's DKIM keys (RSA-2048 under `selector`, Ed25519 under
// `selector`-ed25519) unless it has keys already. Returns false after printing why.
bool ensure_dkim_keys(directory::directory& dir, const std::string& domain, const std::string& selector);

// The DKIM DNS records of a domain, one "NAME TXT \"...\"" line each, for printing.
std::vector<std::string> dkim_records(directory::directory& dir, const std::string& domain);

}  // namespace hearth::app
