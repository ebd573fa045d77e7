// IMAP load benchmark: N concurrent clients over implicit TLS run a realistic mix on
// one mailbox of M messages: SELECT, FETCH the headers of 50 messages, FETCH one whole body,
// STORE flags, SEARCH, APPEND, IDLE (enter and leave). Prints commands/s, p50/p99 latency per
// command and the server's RSS.
//
// Without --host it starts its own `hearth` (quickstart --dev into a temp folder, next to this
// program's folder: BUILD/hearth) on 127.0.0.77 and fills INBOX first. With --host/--port/
// --user/--password it runs against any IMAP server (e.g. Dovecot) — run both and compare.
//
//   build/bench/bench_imap [--clients 8] [--seconds 10] [--messages 10000] [--dir /tmp/keep]
//   (--dir keeps the instance and its filled mailbox for the next run instead of removing it)
//   build/bench/bench_imap --host 127.0.0.1 --port 993 --user u --password p [--pid PID]
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

#include "proc_stats.hpp"

namespace {
using hearth::bench::rss_kb;
using hearth::bench::run_capture;

struct options {
  std::string host, user, password;
  int port = 0;
  int clients = 8;
  int seconds = 10;
  int messages = 10000;
  long pid = 0;
  std::string dir;  // --dir: keep the instance there and reuse it (filled once)
};

class client {
 public:
  bool connect(const std::string& host, int port) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return false;
    fd_ = socket(res->ai_family, SOCK_STREAM, 0);
    bool ok = ::connect(fd_, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    if (!ok) return false;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // a benchmark on loopback
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) return false;
    return !line().empty();  // greeting
  }
  ~client() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }
  bool send(const std::string& s) { return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) > 0; }
  std::string line() {
    std::string out;
    for (;;) {
      if (pos_ >= len_) {
        int n = SSL_read(ssl_, buf_, sizeof buf_);
        if (n <= 0) return out;
        pos_ = 0, len_ = static_cast<std::size_t>(n);
      }
      char c = buf_[pos_++];
      out += c;
      if (c == '\n') return out;
    }
  }
  void skip(std::size_t n) {
    while (n > 0) {
      if (pos_ >= len_) {
        int r = SSL_read(ssl_, buf_, sizeof buf_);
        if (r <= 0) return;
        pos_ = 0, len_ = static_cast<std::size_t>(r);
      }
      std::size_t k = std::min(n, len_ - pos_);
      pos_ += k, n -= k;
    }
  }
  // Sends "tag cmd", reads up to the tagged reply (skipping literals). True on OK.
  bool command(const std::string& cmd) {
    std::string tag = "b" + std::to_string(++tag_);
    if (!send(tag + " " + cmd + "\r\n")) return false;
    return until_tagged(tag);
  }
  bool until_tagged(const std::string& tag) {
    for (;;) {
      std::string l = line();
      if (l.empty()) return false;
      if (l.size() > 3 && l[l.size() - 3] == '}') {
        auto b = l.rfind('{');
        skip(std::strtoull(l.c_str() + b + 1, nullptr, 10));
        continue;
      }
      if (l.compare(0, tag.size() + 1, tag + " ") == 0) return l.compare(tag.size() + 1, 2, "OK") == 0;
    }
  }
  bool append(const std::string& box, const std::string& msg) {
    std::string tag = "b" + std::to_string(++tag_);
    if (!send(tag + " APPEND " + box + " {" + std::to_string(msg.size()) + "}\r\n")) return false;
    if (!continuation()) return false;
    if (!send(msg + "\r\n")) return false;
    return until_tagged(tag);
  }
  // Skips untagged responses (other sessions' EXISTS...) up to the "+" continuation.
  bool continuation() {
    for (;;) {
      std::string l = line();
      if (l.empty()) return false;
      if (l[0] == '+') return true;
      if (l[0] != '*') return false;
    }
  }
  bool idle() {
    std::string tag = "b" + std::to_string(++tag_);
    if (!send(tag + " IDLE\r\n")) return false;
    if (!continuation()) return false;
    if (!send("DONE\r\n")) return false;
    return until_tagged(tag);
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  char buf_[16384];
  std::size_t pos_ = 0, len_ = 0;
  unsigned tag_ = 0;
};

std::string message(int i, std::mt19937& rng) {
  static const char* words[] = {"report", "meeting", "invoice", "holiday", "project", "budget", "lunch", "release"};
  std::string subj = std::string(words[rng() % 8]) + " " + words[rng() % 8] + " " + std::to_string(i);
  std::string body;
  for (int l = 0; l < 20 + static_cast<int>(rng() % 60); ++l)
    body += "Line " + std::to_string(l) + " of a message about the " + words[rng() % 8] + ".\r\n";
  return "From: Sender " + std::to_string(i % 50) + " <s" + std::to_string(i % 50) + "@example.org>\r\n" +
         "To: bench@example.test\r\nSubject: " + subj + "\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
         "Message-ID: <b" + std::to_string(i) + "." + std::to_string(rng()) + "@example.org>\r\n" +
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}


struct stats {
  std::mutex mu;
  std::map<std::string, std::vector<double>> ms;
  std::atomic<long> errors{0};
};

void worker(const options& o, int id, clock_type::time_point end, int count, stats& st) {
  client c;
  if (!c.connect(o.host, o.port) || !c.command("LOGIN " + o.user + " \"" + o.password + "\"")) {
    ++st.errors;
    return;
  }
  std::mt19937 rng(static_cast<unsigned>(id) * 7919u);
  std::map<std::string, std::vector<double>> local;
  int i = 0;
  auto timed = [&](const std::string& name, auto&& fn) {
    auto t0 = clock_type::now();
    if (!fn()) ++st.errors;
    local[name].push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  };
  while (clock_type::now() < end) {
    int n = std::max(1, count);
    int at = 1 + static_cast<int>(rng() % static_cast<unsigned>(n));
    int from = std::max(1, std::min(at, n - 49));
    timed("SELECT", [&] { return c.command("SELECT INBOX"); });
    timed("FETCH headers x50", [&] {
      return c.command("FETCH " + std::to_string(from) + ":" + std::to_string(from + 49) +
                       " (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])");
    });
    timed("FETCH body", [&] { return c.command("FETCH " + std::to_string(at) + " (BODYSTRUCTURE BODY.PEEK[])"); });
    timed("STORE", [&] {
      return c.command("STORE " + std::to_string(at) + (rng() % 2 ? " +FLAGS" : " -FLAGS") + " (\\Seen)");
    });
    timed("SEARCH", [&] { return c.command(rng() % 2 ? "UID SEARCH UNSEEN" : "UID SEARCH SUBJECT invoice"); });
    if (++i % 5 == 0) timed("APPEND", [&] { return c.append("Archive", message(i, rng)); });
    timed("IDLE", [&] { return c.idle(); });
  }
  c.command("LOGOUT");
  std::lock_guard lock(st.mu);
  for (auto& [k, v] : local) st.ms[k].insert(st.ms[k].end(), v.begin(), v.end());
}


}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v.c_str());
    else if (k == "--user") o.user = v;
    else if (k == "--password") o.password = v;
    else if (k == "--clients") o.clients = std::atoi(v.c_str());
    else if (k == "--seconds") o.seconds = std::atoi(v.c_str());
    else if (k == "--messages") o.messages = std::atoi(v.c_str());
    else if (k == "--pid") o.pid = std::atol(v.c_str());
    else if (k == "--dir") o.dir = v;
  }
  signal(SIGPIPE, SIG_IGN);
  pid_t server = 0;
  fs::path dir;
  if (o.host.empty()) {
    fs::path hearth = fs::canonical("/proc/self/exe").parent_path().parent_path() / "hearth";
    dir = o.dir.empty() ? fs::temp_directory_path() / ("hearth-bench-imap-" + std::to_string(getpid())) : fs::path(o.dir);
    std::string out;
    if (!o.dir.empty() && fs::exists(dir / "bench.password")) {
      std::ifstream(dir / "bench.password") >> o.password;
      out = "password: " + o.password;
    } else {
      out = run_capture(hearth.string() + " quickstart --dev bench@example.test --dir " + dir.string() +
                        " --listen 127.0.0.77 --port-offset 31000 2>&1");
    }
    auto p = out.find("assword:");
    if (p == std::string::npos) {
      std::fprintf(stderr, "quickstart failed:\n%s\n", out.c_str());
      return 1;
    }
    std::istringstream(out.substr(p + 8)) >> o.password;
    if (!o.dir.empty()) std::ofstream(dir / "bench.password") << o.password << "\n";
    o.host = "127.0.0.77", o.port = 31993, o.user = "bench@example.test";
    server = fork();
    if (server == 0) {
      std::string log = (dir / "serve.log").string();
      if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
      execl(hearth.c_str(), "hearth", "--config", (dir / "hearth.toml").c_str(), "serve", nullptr);
      _exit(127);
    }
    o.pid = server;
    for (int i = 0; i < 100; ++i) {
      client probe;
      if (probe.connect(o.host, o.port)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  // Fill INBOX up to --messages with parallel APPENDs.
  int have = 0;
  {
    client c;
    if (!c.connect(o.host, o.port) || !c.command("LOGIN " + o.user + " \"" + o.password + "\"")) {
      std::fprintf(stderr, "cannot log in to %s:%d\n", o.host.c_str(), o.port);
      if (server) kill(server, SIGTERM);
      return 1;
    }
    c.send("s STATUS INBOX (MESSAGES)\r\n");
    for (std::string l = c.line(); !l.empty(); l = c.line()) {
      if (auto p = l.find("MESSAGES "); p != std::string::npos && l[0] == '*') have = std::atoi(l.c_str() + p + 9);
      if (l.rfind("s ", 0) == 0) break;
    }
  }
  auto t_fill = clock_type::now();
  if (have < o.messages) {
    std::atomic<int> next{have};
    std::vector<std::thread> fill;
    for (int t = 0; t < 8; ++t)
      fill.emplace_back([&, t] {
        client c;
        if (!c.connect(o.host, o.port) || !c.command("LOGIN " + o.user + " \"" + o.password + "\"")) return;
        std::mt19937 rng(static_cast<unsigned>(t) + 1u);
        for (int i; (i = next++) < o.messages;) c.append("INBOX", message(i, rng));
      });
    for (auto& t : fill) t.join();
    std::fflush(stdout);
    std::printf("filled INBOX with %d messages in %.1f s\n", o.messages - have,
                std::chrono::duration<double>(clock_type::now() - t_fill).count());
  }
  stats st;
  auto end = clock_type::now() + std::chrono::seconds(o.seconds);
  auto t0 = clock_type::now();
  std::vector<std::thread> workers;
  for (int i = 0; i < o.clients; ++i)
    workers.emplace_back(worker, std::cref(o), i, end, std::max(have, o.messages), std::ref(st));
  for (auto& t : workers) t.join();
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::size_t total = 0;
  for (auto& [k, v] : st.ms) total += v.size();
  std::printf("server %s:%d, %d clients, %.1f s, mailbox of %d messages\n", o.host.c_str(), o.port, o.clients, secs,
              std::max(have, o.messages));
  std::printf("%-20s %8s %10s %10s\n", "command", "count", "p50 ms", "p99 ms");
  for (auto& [k, v] : st.ms) {
    std::sort(v.begin(), v.end());
    std::printf("%-20s %8zu %10.2f %10.2f\n", k.c_str(), v.size(), v[v.size() / 2], v[v.size() * 99 / 100]);
  }
  std::printf("total: %zu commands, %.0f commands/s, %ld errors\n", total, total / secs, st.errors.load());
  if (o.pid) std::printf("server RSS: %ld MiB\n", rss_kb(o.pid) / 1024);
  if (server) {
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
    std::error_code ec;
    if (o.dir.empty()) fs::remove_all(dir, ec);
  }
  return st.errors.load() ? 1 : 0;
}
