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
//   build/bench/bench_imap --dovecot [--clients 8] [--messages 10000]: the same mix, then against
//   a private Dovecot from Debian (dovecot_bench.hpp, needs root) filled to the same size.
//
// --state runs the state-tracking load instead (imap_state_load.hpp: 10 clients, 30 s, LIST,
// STATUS, SELECT, FETCH, STORE, EXPUNGE, APPEND on --boxes 12 small mailboxes of --per-box 20
// messages, three sessions on each selected mailbox); --dovecot then runs the same load against
// a private Dovecot from Debian (dovecot_bench.hpp, needs root) right after, and prints both
// side by side with the machine's load average:
//
//   build/bench/bench_imap --state --dovecot [--clients 10] [--seconds 30]
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

#include "dovecot_bench.hpp"
#include "imap_bench_client.hpp"
#include "imap_state_load.hpp"
#include "proc_stats.hpp"

namespace {
using hearth::bench::rss_kb;
using hearth::bench::run_capture;

struct options {
  std::string host, user, password;
  int port = 0;
  int clients = 0;  // default 8, 10 with --state
  int seconds = 0;  // default 10, 30 with --state
  int messages = 10000;
  long pid = 0;
  std::string dir;  // --dir: keep the instance there and reuse it (filled once)
  bool state = false;    // --state: the state-tracking load (imap_state_load.hpp) instead
  bool dovecot = false;  // --dovecot: then the same load against a private Dovecot, same run
  int boxes = 12;        // --boxes, --per-box: the state load's mailboxes and their size
  int per_box = 20;
};

using client = hearth::bench::imap_client;

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


std::string load_average() {
  std::string u = run_capture("uptime");
  auto p = u.find("load average");
  return p == std::string::npos ? u : u.substr(p, u.find_first_of("\r\n", p) - p);
}

// --state: the state-tracking load against the server in `o` (Hearth unless --host), then with
// --dovecot against a private Dovecot right after, and one table of both.
int run_state(const options& o, const fs::path& dir, bool own_hearth) {
  using namespace hearth::bench;
  state_options so;
  so.host = o.host, so.port = o.port, so.user = o.user, so.password = o.password;
  so.clients = o.clients, so.seconds = o.seconds, so.boxes = o.boxes, so.messages_per_box = o.per_box;
  std::string name_a = own_hearth ? "Hearth" : "server";
  if (!state_prepare(so)) {
    std::fprintf(stderr, "cannot prepare the mailboxes on %s:%d\n", so.host.c_str(), so.port);
    return 1;
  }
  std::printf("state-tracking load: %d clients, %d s, %d mailboxes of %d messages, %d sessions a mailbox\n",
              so.clients, so.seconds, so.boxes, so.messages_per_box, so.sessions_per_box);
  std::printf("%s on %s:%d, before: %s\n", name_a.c_str(), so.host.c_str(), so.port, load_average().c_str());
  std::fflush(stdout);
  state_result a = state_run(so);
  long rss_a = o.pid ? rss_kb(o.pid) / 1024 : 0;
  std::printf("%s done, %s\n", name_a.c_str(), load_average().c_str());
  std::optional<state_result> b;
  long rss_b = 0;
  if (o.dovecot) {
    // Beside Hearth's folder, on the same disk; not inside it: Hearth's is private (0700) and
    // Dovecot's auth process reads the passwd-file as its own user.
    fs::path ddir = fs::temp_directory_path() / ("hearth-bench-dovecot-" + std::to_string(getpid()));
    std::error_code ec;
    fs::remove_all(ddir, ec);
    dovecot_instance dv;
    state_options ds = so;
    ds.host = "127.0.0.78", ds.port = 31994;
    if (!dv.start(ddir, ds.host, ds.port, so.user, so.password) || !state_prepare(ds)) {
      std::fprintf(stderr, "dovecot: cannot run the load; its log: %s\n", (ddir / "dovecot.log").c_str());
      return 1;
    } else {
      std::printf("Dovecot on %s:%d, before: %s\n", ds.host.c_str(), ds.port, load_average().c_str());
      std::fflush(stdout);
      b = state_run(ds);
      rss_b = dv.tree_rss_kb() / 1024;
      std::printf("Dovecot done, %s\n", load_average().c_str());
    }
    dv.stop();
    fs::remove_all(ddir, ec);
  }
  state_print(name_a, a, "Dovecot", b ? &*b : nullptr);
  if (rss_a) std::printf("%s RSS %ld MiB", name_a.c_str(), rss_a);
  if (rss_b) std::printf(", Dovecot RSS %ld MiB (all its processes)", rss_b);
  std::printf("\n");
  return a.errors || (b && b->errors) ? 1 : 0;
}

// The original mix against the server in `o`: fills INBOX up to --messages, then runs the
// clients for --seconds and prints p50/p99 per command. rss_mib, when given, is the server's.
int run_mix(const options& o, const std::function<long()>& rss_mib) {
  std::printf("%s:%d, before: %s\n", o.host.c_str(), o.port, load_average().c_str());
  // Fill INBOX up to --messages with parallel APPENDs.
  int have = 0;
  {
    client c;
    if (!c.connect(o.host, o.port) || !c.command("LOGIN " + o.user + " \"" + o.password + "\"")) {
      std::fprintf(stderr, "cannot log in to %s:%d\n", o.host.c_str(), o.port);
      return 1;
    }
    // The mix APPENDs to Archive, which a fresh Dovecot does not have (Hearth makes it).
    (void)c.command("CREATE Archive");
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
  if (rss_mib) std::printf("server RSS: %ld MiB\n", rss_mib());
  return st.errors.load() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--state" || k == "--dovecot") {
      (k == "--state" ? o.state : o.dovecot) = true;
      continue;
    }
    if (i + 1 >= argc) break;
    std::string v = argv[++i];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v.c_str());
    else if (k == "--user") o.user = v;
    else if (k == "--password") o.password = v;
    else if (k == "--clients") o.clients = std::atoi(v.c_str());
    else if (k == "--seconds") o.seconds = std::atoi(v.c_str());
    else if (k == "--messages") o.messages = std::atoi(v.c_str());
    else if (k == "--pid") o.pid = std::atol(v.c_str());
    else if (k == "--dir") o.dir = v;
    else if (k == "--boxes") o.boxes = std::atoi(v.c_str());
    else if (k == "--per-box") o.per_box = std::atoi(v.c_str());
  }
  if (o.clients <= 0) o.clients = o.state ? 10 : 8;
  if (o.seconds <= 0) o.seconds = o.state ? 30 : 10;
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
  if (o.state) {
    int rc = run_state(o, dir, server != 0);
    if (server) {
      kill(server, SIGTERM);
      waitpid(server, nullptr, 0);
      std::error_code ec;
      if (o.dir.empty()) fs::remove_all(dir, ec);
    }
    return rc;
  }
  int rc = run_mix(o, [&]() -> long { return o.pid ? rss_kb(o.pid) / 1024 : 0; });
  std::printf("done, %s\n", load_average().c_str());
  if (server) {
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
    std::error_code ec;
    if (o.dir.empty()) fs::remove_all(dir, ec);
  }
  if (o.dovecot && rc == 0) {
    // The same mix against a private Dovecot right after (dovecot_bench.hpp; needs root), with
    // its own INBOX filled to the same size.
    fs::path ddir = fs::temp_directory_path() / ("hearth-bench-dovecot-" + std::to_string(getpid()));
    std::error_code ec;
    fs::remove_all(ddir, ec);
    hearth::bench::dovecot_instance dv;
    options d = o;
    d.host = "127.0.0.78", d.port = 31994, d.pid = 0;
    if (!dv.start(ddir, d.host, d.port, o.user, o.password)) {
      std::fprintf(stderr, "dovecot: cannot start; its log: %s\n", (ddir / "dovecot.log").c_str());
      return 1;
    }
    std::printf("Dovecot:\n");
    rc = run_mix(d, [&]() -> long { return dv.tree_rss_kb() / 1024; });
    std::printf("done, %s\n", load_average().c_str());
    dv.stop();
    fs::remove_all(ddir, ec);
  }
  return rc;
}
