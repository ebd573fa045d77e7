#pragma once
// One or two `hearth serve` nodes for the C++ benches: quickstart --dev into a folder, on its
// default SQLite stores or on a PostgreSQL database; a second node gets node A's configuration
// with its own data directory (A's TLS files and auth.secret) and address, and both share the
// blob folder, as README "Several nodes" describes. Stopped (SIGTERM) and removed by stop().
//
// PostgreSQL comes from tests/e2e/lib/pg_cluster.py: a bench run under
// `pg_cluster.py run -- BENCH ...` finds the cluster's URL in HEARTH_TEST_PG_URL, and
// pg_new_database() makes a fresh database there for each configuration it measures.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "imap_bench_client.hpp"
#include "proc_stats.hpp"

namespace hearth::bench {

// The loopback network of the bench's servers ("127.0.0" unless HEARTH_TEST_NET says another),
// so that two benches on one machine can keep apart.
inline std::string bench_net() {
  const char* n = std::getenv("HEARTH_TEST_NET");
  return n && *n ? n : "127.0.0";
}

// Single-quotes s for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A new, empty database on the cluster of `base_url` (libpq keywords with dbname=...); returns
// its URL, or "" when psql fails (printed on stderr).
inline std::string pg_new_database(const std::string& base_url, const std::string& name) {
  std::string psql = run_capture("ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n 1");
  while (!psql.empty() && (psql.back() == '\n' || psql.back() == ' ')) psql.pop_back();
  if (psql.empty()) psql = "psql";
  std::string out = run_capture(psql + " -X -q -v ON_ERROR_STOP=1 " + sh_quote(base_url) + " -c " +
                                sh_quote("CREATE DATABASE " + name) + " 2>&1 && echo created");
  if (out.find("created") == std::string::npos) {
    std::fprintf(stderr, "psql: cannot create database %s: %s\n", name.c_str(), out.c_str());
    return "";
  }
  std::regex dbname(R"(dbname=\S+)");
  if (std::regex_search(base_url, dbname)) return std::regex_replace(base_url, dbname, "dbname=" + name);
  return base_url + " dbname=" + name;
}

// Sets `key = value` in [table] of a TOML file written by quickstart (the key added when
// missing, the table appended when absent): the C++ twin of hearth_test.set_key.
inline void toml_set(const std::filesystem::path& file, const std::string& table, const std::string& key,
                     const std::string& value) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  in.close();
  std::vector<std::string> out;
  bool in_table = false, done = false;
  for (auto& line : lines) {
    std::string t = line.substr(0, line.find_last_not_of(" \t\r") + 1);
    t.erase(0, t.find_first_not_of(" \t"));
    if (!t.empty() && t[0] == '[' && t.rfind("[[", 0) != 0) {
      if (in_table && !done) out.push_back(key + " = " + value), done = true;
      in_table = t == "[" + table + "]";
    }
    if (in_table && !done && t.rfind(key, 0) == 0 && t.find_first_not_of(" \t", key.size()) != std::string::npos &&
        t[t.find_first_not_of(" \t", key.size())] == '=') {
      out.push_back(key + " = " + value);
      done = true;
      continue;
    }
    out.push_back(line);
  }
  if (!done) {
    if (!in_table) out.push_back("[" + table + "]");
    out.push_back(key + " = " + value);
  }
  std::ofstream o(file, std::ios::trunc);
  for (auto& l : out) o << l << "\n";
}

class hearth_nodes {
 public:
  std::vector<std::string> hosts;  // node A first
  int imaps_port = 0;
  std::string user = "bench@example.test", password;

  // Starts `nodes` (1 or 2) nodes of a new instance in `dir` from the `hearth` binary, on
  // `database_url` ("" = SQLite). Nodes listen on NET.77 and NET.79, IMAPS on port 31993.
  // False (with a line on stderr) when quickstart fails or a node does not answer in 20 s.
  bool start(const std::filesystem::path& hearth, const std::filesystem::path& dir, const std::string& database_url,
             int nodes) {
    namespace fs = std::filesystem;
    dir_ = dir;
    const std::string net = bench_net();
    hosts = {net + ".77"};
    imaps_port = 31993;
    std::string out = run_capture(hearth.string() + " quickstart --dev " + user + " --dir " + sh_quote(dir.string()) +
                                  " --listen " + hosts[0] + " --port-offset 31000" +
                                  (database_url.empty() ? "" : " --database-url " + sh_quote(database_url)) + " 2>&1");
    auto p = out.find("assword:");
    if (p == std::string::npos) {
      std::fprintf(stderr, "quickstart failed:\n%s\n", out.c_str());
      return false;
    }
    std::istringstream(out.substr(p + 8)) >> password;
    fs::path cfg = dir / "hearth.toml";
    // Every bench client comes from one address.
    toml_set(cfg, "server", "max_connections_per_ip", "0");
    fs::path b = dir / "node-b";
    if (nodes == 2) {
      toml_set(cfg, "database", "blobs", "\"" + (dir / "shared-blobs").string() + "\"");
      fs::create_directories(b / "data");
      fs::copy(dir / "data" / "tls", b / "data" / "tls", fs::copy_options::recursive);
      fs::copy_file(cfg, b / "hearth.toml");
      toml_set(b / "hearth.toml", "server", "data_dir", "\"" + (b / "data").string() + "\"");
      toml_set(b / "hearth.toml", "listen", "addresses", "[\"" + net + ".79\"]");
      hosts.push_back(net + ".79");
    }
    if (!serve(hearth, cfg, dir / "serve.log", hosts[0])) return false;
    if (nodes == 2) {
      // A makes its secret at its first start; every node must have the same one.
      std::error_code ec;
      fs::copy_file(dir / "data" / "auth.secret", b / "data" / "auth.secret", fs::copy_options::overwrite_existing, ec);
      if (!serve(hearth, b / "hearth.toml", b / "serve.log", hosts[1])) return false;
    }
    return true;
  }

  std::vector<pid_t> pids() const { return pids_; }

  long rss_mib() const {
    long sum = 0;
    for (pid_t p : pids_) sum += std::max(0L, rss_kb(p));
    return sum / 1024;
  }

  void stop(bool remove = true) {
    for (pid_t p : pids_) kill(p, SIGTERM);
    for (pid_t p : pids_) waitpid(p, nullptr, 0);
    pids_.clear();
    std::error_code ec;
    if (remove && !dir_.empty()) std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
  ~hearth_nodes() { stop(); }

 private:
  bool serve(const std::filesystem::path& hearth, const std::filesystem::path& cfg, const std::filesystem::path& log,
             const std::string& host) {
    pid_t pid = fork();
    if (pid == 0) {
      if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
      execl(hearth.c_str(), "hearth", "--config", cfg.c_str(), "serve", nullptr);
      _exit(127);
    }
    pids_.push_back(pid);
    for (int i = 0; i < 200; ++i) {
      imap_client probe;
      if (probe.connect(host, imaps_port)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "hearth did not answer on %s:%d; see %s\n", host.c_str(), imaps_port, log.c_str());
    return false;
  }

  std::filesystem::path dir_;
  std::vector<pid_t> pids_;
};

}  // namespace hearth::bench
