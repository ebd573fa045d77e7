// hearth: one binary, a table of subcommands (the Mox shape).
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "app/commands.hpp"
#include "core/log/log.hpp"

namespace hearth::app {
const char* const version = HEARTH_VERSION;
}

namespace {

struct command {
  const char* name;
  int (*run)(const hearth::app::globals&, const hearth::app::args&);
  const char* summary;
};

const command commands[] = {
    {"quickstart", hearth::app::cmd_quickstart, "create a domain, an account, a config and keys in one go"},
    {"serve", hearth::app::cmd_serve, "run every listener in one process"},
    {"domain", hearth::app::cmd_domain, "add, delete or list mail domains"},
    {"user", hearth::app::cmd_user, "add, delete, list, show accounts; change passwords; app passwords"},
    {"alias", hearth::app::cmd_alias, "add, delete or list aliases and catch-alls"},
    {"token", hearth::app::cmd_token, "create, list or revoke admin API tokens for scripts"},
    {"dkim", hearth::app::cmd_dkim, "generate and list the DKIM keys of a domain"},
    {"dns", hearth::app::cmd_dns, "the zone to publish, DNS checks, look-ups through Hearth's resolver"},
    {"config", hearth::app::cmd_config, "check a config file or print the example config"},
    {"spam", hearth::app::cmd_spam, "train the learning spam filter, classify a message, its statistics"},
    {"reports", hearth::app::cmd_reports, "DMARC and TLS-RPT reports received about our domains, with the failures"},
    {"queue", hearth::app::cmd_queue, "list, show, flush, delete or bounce messages in the outbound queue"},
    {"import", hearth::app::cmd_import, "import mail (mbox, Maildir), calendars (.ics) and contacts (.vcf)"},
    {"migrate", hearth::app::cmd_migrate, "copy a whole account from another IMAP server (Gmail too)"},
    {"sieve", hearth::app::cmd_sieve, "check Sieve scripts and test what they would do with a message"},
    {"backup", hearth::app::cmd_backup, "snapshot a running server's data into a folder; verify or list snapshots"},
    {"db", hearth::app::cmd_db, "copy a stopped instance's database to PostgreSQL, or back to SQLite"},
    {"restore", hearth::app::cmd_restore, "build a new data directory from a backup snapshot"},
    {"export", hearth::app::cmd_export, "write an account as files: Maildir, .ics, .vcf, chat roster and archive"},
    {"share", hearth::app::cmd_share, "share a calendar or address book with another account; list shares"},
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: hearth [--config FILE] COMMAND [ARGS...]\n\n"
               "Hearth: mail, calendars, contacts and chat for your own domain, in one program.\n\n"
               "options:\n"
               "  --config FILE   configuration file (default /etc/hearth/hearth.toml)\n"
               "  --help          this text; `hearth COMMAND --help` for a command's own\n"
               "  --version       print the version\n\n"
               "commands:\n");
  for (const auto& c : commands) std::fprintf(out, "  %-11s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  // Every file Hearth makes is private unless it says otherwise (certificates are chmod-ed
  // to 0644): databases and their -wal/-shm files, keys, blobs, the spool
  // (core/util/file_modes.hpp).
  ::umask(077);
  hearth::app::globals g;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" || a == "-c") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "hearth: --config needs a file\n");
        return 2;
      }
      g.config_path = argv[++i];
      g.config_given = true;
    } else if (a.rfind("--config=", 0) == 0) {
      g.config_path = a.substr(9);
      g.config_given = true;
    } else if (a == "--help" || a == "-h" || a == "help") {
      usage(stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("hearth %s\n", hearth::app::version);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "hearth: unknown option %s\n", a.c_str());
      usage(stderr);
      return 2;
    } else {
      break;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 2;
  }
  std::string name = argv[i];
  // Administrative commands print what they did; their library logs would only repeat it.
  // `serve` sets the level from the config.
  if (name != "serve") hearth::log::set_level(hearth::log::level::warn);
  hearth::app::args rest(argv + i + 1, argv + argc);
  for (const auto& c : commands)
    if (name == c.name) return c.run(g, rest);
  std::fprintf(stderr, "hearth: unknown command '%s'\n", name.c_str());
  usage(stderr);
  return 2;
}
