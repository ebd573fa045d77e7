#pragma once
// A private Dovecot (Debian's dovecot-imapd, scripts/packages/imap.txt) for the IMAP benchmarks
// to compare with: its own config, a passwd-file account, Maildir in a folder on the same disk
// as Hearth's data, implicit TLS with a throw-away certificate, stopped by PID.
//
// Dovecot keeps its default durability (mail_fsync = optimized: a delivered message is
// fsync'd, flag changes and expunges are not), which is what a user of the Debian package gets.
// Needs root (Dovecot drops to `nobody` for the mail processes).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "imap_bench_client.hpp"
#include "proc_stats.hpp"

namespace hearth::bench {

class dovecot_instance {
 public:
  // Starts Dovecot on ip:port with one account user/password under dir. False (with a line on
  // stderr) when Dovecot is missing, we are not root, or it does not answer within 10 s.
  bool start(const std::filesystem::path& dir, const std::string& ip, int port, const std::string& user,
             const std::string& password) {
    namespace fs = std::filesystem;
    if (geteuid() != 0 || access("/usr/sbin/dovecot", X_OK) != 0) {
      std::fprintf(stderr, "dovecot: needs root and /usr/sbin/dovecot (apt-get install dovecot-imapd)\n");
      return false;
    }
    dir_ = dir;
    fs::create_directories(dir / "mail");
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    std::string chown = "chown nobody:nogroup " + (dir / "mail").string();
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    std::string mk = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost"
                     " -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(chown.c_str()) != 0 || std::system(mk.c_str()) != 0) {
      std::fprintf(stderr, "dovecot: cannot prepare %s\n", dir.c_str());
      return false;
    }
    std::ofstream(dir / "users") << user << ":{PLAIN}" << password << "::::::\n";
    std::ofstream(dir / "dovecot.conf")
        << "base_dir = " << (dir / "run").string() << "\nstate_dir = " << (dir / "state").string()
        << "\ninstance_name = hearth-bench-" << ip << "\nprotocols = imap\nlisten = " << ip
        << "\nlog_path = " << (dir / "dovecot.log").string() << "\nssl = yes\nssl_cert = <" << cert
        << "\nssl_key = <" << key << "\nauth_mechanisms = plain login\nmail_location = maildir:"
        << (dir / "mail").string() << "/%n\nmail_uid = nobody\nmail_gid = nogroup\nfirst_valid_uid = 1\n"
        << "first_valid_gid = 1\nimap_max_line_length = 1M\n"
        // As many sessions of one user from one address as the bench opens (default 10).
        << "mail_max_userip_connections = 1000\n"
        << "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u " << (dir / "users").string()
        << "\n}\nuserdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=" << (dir / "mail").string()
        << "/%n\n}\nnamespace inbox {\n  inbox = yes\n  separator = /\n}\n"
        << "service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n  inet_listener imaps {\n    address = "
        << ip << "\n    port = " << port << "\n    ssl = yes\n  }\n}\n";
    pid_ = fork();
    if (pid_ == 0) {
      std::string conf = (dir / "dovecot.conf").string();
      execl("/usr/sbin/dovecot", "dovecot", "-F", "-c", conf.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      imap_client probe;
      if (probe.connect(ip, port)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "dovecot did not answer on %s:%d; see %s\n", ip.c_str(), port,
                 (dir / "dovecot.log").c_str());
    stop();
    return false;
  }

  // The master's PID; its children (imap-login, imap, auth...) are its process group's.
  pid_t pid() const { return pid_; }

  // RSS of the master and every process whose parent is one of them (Dovecot forks one imap
  // process per session), in KiB.
  long tree_rss_kb() const {
    if (pid_ <= 0) return 0;
    std::string out = run_capture("ps -o pid= --ppid " + std::to_string(pid_) + " 2>/dev/null");
    long sum = rss_kb(pid_);
    std::size_t p = 0;
    while (p < out.size()) {
      long child = std::strtol(out.c_str() + p, nullptr, 10);
      if (child > 0) sum += std::max(0L, rss_kb(child));
      p = out.find('\n', p);
      if (p == std::string::npos) break;
      ++p;
    }
    return sum;
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
  }
  ~dovecot_instance() { stop(); }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = 0;
};

}  // namespace hearth::bench
