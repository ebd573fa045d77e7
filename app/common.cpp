#include "app/common.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "auth/password.hpp"
#include "core/crypto/crypto.hpp"
#include "core/crypto/keys.hpp"
#include "core/pg/describe.hpp"
#include "core/sql/pool.hpp"
#include "directory/address.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {

std::optional<std::string> parsed_args::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

parsed_args parse_args(const args& a, std::initializer_list<const char*> with_value,
                       std::initializer_list<const char*> flags) {
  parsed_args p;
  auto takes_value = [&](const std::string& n) {
    for (auto* w : with_value)
      if (n == w) return true;
    return false;
  };
  auto is_flag = [&](const std::string& n) {
    for (auto* f : flags)
      if (n == f) return true;
    return false;
  };
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& s = a[i];
    if (s == "--help" || s == "-h") {
      p.help = true;
    } else if (s.size() > 1 && s[0] == '-') {
      std::string name = s, value;
      bool inline_value = false;
      if (auto eq = s.find('='); eq != std::string::npos) {
        name = s.substr(0, eq);
        value = s.substr(eq + 1);
        inline_value = true;
      }
      if (takes_value(name)) {
        if (!inline_value) {
          if (i + 1 >= a.size()) {
            p.error = name + " needs a value";
            return p;
          }
          value = a[++i];
        }
        p.options[name] = value;
      } else if (is_flag(name) && !inline_value) {
        p.flags.insert(name);
      } else {
        p.error = "unknown option " + s;
        return p;
      }
    } else {
      p.positional.push_back(s);
    }
  }
  return p;
}

int fail_with(int code, const std::string& message) {
  std::fprintf(stderr, "hearth: %s\n", message.c_str());
  return code;
}

int usage_error(const std::string& message, const char* usage) {
  std::fprintf(stderr, "hearth: %s\n%s", message.c_str(), usage);
  return 2;
}

std::optional<config::config> load_config(const globals& g) {
  auto c = config::load(g.config_path);
  if (!c) {
    std::fprintf(stderr, "%s\n", c.error().message.c_str());
    if (!g.config_given) std::fprintf(stderr, "hearth: give the config file with --config FILE\n");
    return std::nullopt;
  }
  // Before any store opens: every store of this process shares the pool sized here.
  sql::configure_pool({.size = c->database_pool ? c->database_pool : sql::default_pool_size(c->threads)});
  return std::move(*c);
}

bool on_postgres(const config::config& c) { return !c.database_url.empty(); }

std::string database_target(const config::config& c, std::string_view sqlite_file) {
  return on_postgres(c) ? c.database_url : (c.data_dir / sqlite_file).string();
}

std::string database_name(const config::config& c, std::string_view sqlite_file) {
  return on_postgres(c) ? "PostgreSQL " + pg::describe(c.database_url) : (c.data_dir / sqlite_file).string();
}

std::filesystem::path blob_dir(const config::config& c) {
  return c.database_blobs.empty() ? c.data_dir / "blobs" : c.database_blobs;
}

std::optional<std::string> backup_unsupported(const config::config& c) {
  if (on_postgres(c))
    return "hearth backup works on the SQLite engine only; with database.url, back up PostgreSQL with its own tools "
           "(pg_dump, or base backups and WAL archiving) and the blob folder " + blob_dir(c).string() + " with rsync";
  if (!c.database_blobs.empty())
    return "hearth backup copies the blobs under server.data_dir; database.blobs puts them in " +
           c.database_blobs.string() + ": copy that folder yourself";
  return std::nullopt;
}

std::unique_ptr<directory::directory> open_directory(const config::config& c) {
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  auto d = directory::directory::open(database_target(c));
  if (!d) {
    fail_with(1, "cannot open " + database_name(c) + ": " + d.error().message);
    return nullptr;
  }
  return std::move(*d);
}

namespace {

std::optional<std::string> prompt_hidden(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios old{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fprintf(stderr, "\n");
  if (!ok) return std::nullopt;
  return line;
}

}  // namespace

std::optional<std::string> obtain_password(const parsed_args& p, bool& generated) {
  generated = false;
  if (p.has("--password-stdin")) {
    std::string line;
    if (!std::getline(std::cin, line)) {
      fail_with(1, "--password-stdin: nothing on standard input");
      return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      fail_with(1, "the password is empty");
      return std::nullopt;
    }
    return line;
  }
  if (isatty(STDIN_FILENO)) {
    auto first = prompt_hidden("New password (empty to generate one): ");
    if (!first) return std::nullopt;
    if (!first->empty()) {
      auto second = prompt_hidden("Again: ");
      if (!second || *second != *first) {
        fail_with(1, "the passwords differ");
        return std::nullopt;
      }
      return first;
    }
  }
  generated = true;
  return crypto::generate_password();
}

result<std::vector<directory::dkim_key>> add_dkim_pair(directory::directory& dir, const std::string& domain,
                                                       const std::string& selector) {
  auto rsa = crypto::generate_rsa(2048);
  if (!rsa) return rsa.error();
  auto ed = crypto::generate_ed25519();
  if (!ed) return ed.error();
  auto r1 = dir.add_dkim_key(domain, selector, "rsa-sha256", rsa->private_pem);
  if (!r1) return r1.error();
  auto r2 = dir.add_dkim_key(domain, selector + "-ed25519", "ed25519-sha256", ed->private_pem);
  if (!r2) return r2.error();
  return std::vector<directory::dkim_key>{*r1, *r2};
}

bool ensure_dkim_keys(directory::directory& dir, const std::string& domain, const std::string& selector) {
  if (!dir.dkim_keys(domain).empty()) return true;
  auto r = add_dkim_pair(dir, domain, selector);
  if (!r) {
    fail_with(1, "cannot make DKIM keys: " + r.error().message);
    return false;
  }
  return true;
}

std::vector<std::string> dkim_records(directory::directory& dir, const std::string& domain) {
  // The same text `hearth dns zone` and `hearth dkim list` print (rfc6764/zone.hpp).
  std::vector<std::string> out;
  for (const auto& k : dir.dkim_keys(domain)) {
    auto value = rfc6764::dkim_txt_value(k);
    if (!value) continue;
    // RFC 6376 §3.6.2.2: the record lives at SELECTOR._domainkey.DOMAIN.
    out.push_back(k.selector + "._domainkey." + domain + ". TXT " + rfc6764::quote_txt_rdata(*value));
  }
  return out;
}

}  // namespace hearth::app
