// IMAP load benchmark: N concurrent clients over implicit TLS run a realistic mix on
// one mailbox of M messages: SELECT, FETCH the headers of 50 messages, FETCH one whole body,
// STORE flags, SEARCH, APPEND, IDLE (enter and leave). Prints commands/s, p50/p99 latency per
// command and the server's RSS, timed from the moment every client has logged in.
//
// Without --host it starts its own `hearth` (quickstart --dev into a temp folder, next to this
// program's folder: BUILD/hearth) on NET.77 (below) and fills INBOX first. With --host/--port/
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
//
// --pg runs the chosen load (the mix, or --state) on three Hearth configurations in turn, in one
// run: SQLite, PostgreSQL with one node, PostgreSQL with two nodes (hearth_nodes.hpp: two
// `hearth serve` on two loopback addresses, one database and blob folder, the clients
// alternating between them; both on this machine, so the figure shows what a second node
// costs, not what a second machine adds), then Dovecot with --dovecot, and prints their
// commands/s side by side with the load average. PostgreSQL is a private cluster started by
// tests/e2e/lib/pg_cluster.py (the bench re-runs itself under it unless HEARTH_TEST_PG_URL is
// set), with fsync on:
//
//   build/bench/bench_imap --pg --dovecot --messages 2000     (mix)
//   build/bench/bench_imap --pg --state --dovecot             (state-tracking load)
//
// Addresses: NET.77 (node A), NET.79 (node B), NET.78 (Dovecot), NET = 127.0.0 unless
// HEARTH_TEST_NET says another.
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
#include <latch>
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
#include "hearth_nodes.hpp"
#include "imap_bench_client.hpp"
#include "imap_state_load.hpp"
#include "proc_stats.hpp"

namespace {
using hearth::bench::load_average;
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
  bool pg = false;    // --pg: SQLite, PostgreSQL one node and two nodes in one run
  std::string host2;  // a second node: odd-numbered clients use it
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

// Each client logs in, waits until every client has (`logged_in`), then runs the mix for
// --seconds from then (`end`, set by the first client past the line): with 64 clients the
// logins (Argon2id on the server) take seconds, and commands timed among them measured the
// logins' CPU, not the mix.
struct start_line {
  std::latch logged_in;
  std::atomic<clock_type::rep> end{0};
  explicit start_line(int clients) : logged_in(clients) {}
};

void worker(const options& o, int id, start_line& start, int count, stats& st) {
  client c;
  const std::string& host = id % 2 && !o.host2.empty() ? o.host2 : o.host;
  if (!c.connect(host, o.port) || !c.command("LOGIN " + o.user + " \"" + o.password + "\"")) {
    ++st.errors;
    start.logged_in.count_down();
    return;
  }
  start.logged_in.arrive_and_wait();
  clock_type::rep e = 0, fresh = (clock_type::now() + std::chrono::seconds(o.seconds)).time_since_epoch().count();
  start.end.compare_exchange_strong(e, fresh);
  const clock_type::time_point end{clock_type::duration(start.end.load())};
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
    ds.host = hearth::bench::bench_net() + ".78", ds.port = 31994;
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
int run_mix(const options& o, const std::function<long()>& rss_mib, double* commands_per_second = nullptr) {
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
  start_line start(o.clients);
  std::vector<std::thread> workers;
  for (int i = 0; i < o.clients; ++i)
    workers.emplace_back(worker, std::cref(o), i, std::ref(start), std::max(have, o.messages), std::ref(st));
  for (auto& t : workers) t.join();
  // From the moment every client had logged in (the first to pass the line set the end).
  const clock_type::time_point t0 =
      clock_type::time_point(clock_type::duration(start.end.load())) - std::chrono::seconds(o.seconds);
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
  if (commands_per_second) *commands_per_second = total / secs;
  if (rss_mib) std::printf("server RSS: %ld MiB\n", rss_mib());
  return st.errors.load() ? 1 : 0;
}


hearth::bench::state_options state_of(const options& o) {
  hearth::bench::state_options so;
  so.host = o.host, so.host2 = o.host2, so.port = o.port, so.user = o.user, so.password = o.password;
  so.clients = o.clients, so.seconds = o.seconds, so.boxes = o.boxes, so.messages_per_box = o.per_box;
  return so;
}

// --pg: the load (mix or --state) on SQLite, on PostgreSQL with one node and with two nodes,
// then on Dovecot with --dovecot; each configuration's own table, then one summary with the
// commands/s of each, its ratio to SQLite's, the servers' RSS and the load average around it.
int run_configurations(const options& o) {
  using namespace hearth::bench;
  const char* env = std::getenv("HEARTH_TEST_PG_URL");
  const std::string base = env ? env : "";
  const fs::path hearth = fs::canonical("/proc/self/exe").parent_path().parent_path() / "hearth";
  struct configuration {
    std::string name, database;
    int nodes;
  };
  std::vector<configuration> configurations = {{"Hearth SQLite", "", 1},
                                               {"Hearth PG 1 node", pg_new_database(base, "bench_imap_pg1"), 1},
                                               {"Hearth PG 2 nodes", pg_new_database(base, "bench_imap_pg2"), 2}};
  struct row {
    std::string name;
    double cps = 0;
    long rss = 0, errors = 0;
    std::string load_before, load_after;
    std::optional<state_result> state;
  };
  std::vector<row> rows;
  int rc = 0;
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    const auto& c = configurations[i];
    if (i > 0 && c.database.empty()) {
      rc = 1;
      continue;
    }
    fs::path dir = fs::temp_directory_path() / ("hearth-bench-imap-" + std::to_string(getpid()) + "-" + std::to_string(i));
    hearth_nodes nodes;
    std::printf("== %s\n", c.name.c_str());
    std::fflush(stdout);
    if (!nodes.start(hearth, dir, c.database, c.nodes)) {
      rc = 1;
      continue;
    }
    options x = o;
    x.host = nodes.hosts[0], x.host2 = nodes.hosts.size() > 1 ? nodes.hosts[1] : "", x.port = nodes.imaps_port;
    x.user = nodes.user, x.password = nodes.password, x.pid = 0;
    row r;
    r.name = c.name;
    r.load_before = load_average();
    if (o.state) {
      state_options so = state_of(x);
      if (!state_prepare(so)) {
        std::fprintf(stderr, "%s: cannot prepare the mailboxes\n", c.name.c_str());
        rc = 1;
        continue;
      }
      r.state = state_run(so);
      r.cps = static_cast<double>(r.state->total()) / r.state->seconds;
      r.errors = r.state->errors;
    } else {
      rc |= run_mix(x, [&] { return nodes.rss_mib(); }, &r.cps);
    }
    r.rss = nodes.rss_mib();
    r.load_after = load_average();
    rows.push_back(std::move(r));
    nodes.stop();
  }
  if (o.dovecot) {
    fs::path ddir = fs::temp_directory_path() / ("hearth-bench-dovecot-" + std::to_string(getpid()));
    std::error_code ec;
    fs::remove_all(ddir, ec);
    dovecot_instance dv;
    options d = o;
    d.host = bench_net() + ".78", d.port = 31994, d.pid = 0, d.host2.clear();
    d.user = "bench@example.test", d.password = "bench-password";
    std::printf("== Dovecot\n");
    row r;
    r.name = "Dovecot";
    if (!dv.start(ddir, d.host, d.port, d.user, d.password)) {
      std::fprintf(stderr, "dovecot: cannot start; its log: %s\n", (ddir / "dovecot.log").c_str());
      rc = 1;
    } else {
      r.load_before = load_average();
      if (o.state) {
        state_options so = state_of(d);
        if (state_prepare(so)) {
          r.state = state_run(so);
          r.cps = static_cast<double>(r.state->total()) / r.state->seconds;
          r.errors = r.state->errors;
        } else {
          rc = 1;
        }
      } else {
        rc |= run_mix(d, [&] { return dv.tree_rss_kb() / 1024; }, &r.cps);
      }
      r.rss = dv.tree_rss_kb() / 1024;
      r.load_after = load_average();
      rows.push_back(std::move(r));
    }
    dv.stop();
    fs::remove_all(ddir, ec);
  }
  if (o.state) {
    const row* dovecot = nullptr;
    for (auto& r : rows)
      if (r.name == "Dovecot" && r.state) dovecot = &r;
    for (auto& r : rows)
      if (r.state && &r != dovecot) state_print(r.name, *r.state, "Dovecot", dovecot ? &*dovecot->state : nullptr);
  }
  std::printf("\n%s load, %d clients, %d s%s:\n", o.state ? "state-tracking" : "mixed", o.clients, o.seconds,
              o.state ? "" : (", mailbox of " + std::to_string(o.messages) + " messages").c_str());
  std::printf("%-20s %10s %10s %8s %7s  %s\n", "server", "cmd/s", "/SQLite", "RSS MiB", "errors", "load average");
  double sqlite = rows.empty() || rows[0].name != "Hearth SQLite" ? 0 : rows[0].cps;
  for (auto& r : rows)
    std::printf("%-20s %10.0f %9.2fx %8ld %7ld  %s -> %s\n", r.name.c_str(), r.cps, sqlite > 0 ? r.cps / sqlite : 0.0,
                r.rss, r.errors, r.load_before.substr(r.load_before.find(':') + 1).c_str(),
                r.load_after.substr(r.load_after.find(':') + 1).c_str());
  for (auto& r : rows) rc |= r.errors ? 1 : 0;
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--state" || k == "--dovecot" || k == "--pg") {
      (k == "--state" ? o.state : k == "--dovecot" ? o.dovecot : o.pg) = true;
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
  if (o.pg) {
    const char* url = std::getenv("HEARTH_TEST_PG_URL");
    if (!url || !*url) {
      // Run again inside a private PostgreSQL cluster, which passes its URL in the environment.
      std::string self = fs::canonical("/proc/self/exe").string();
      std::string script = std::string(HEARTH_SOURCE_DIR) + "/tests/e2e/lib/pg_cluster.py";
      std::vector<char*> args = {const_cast<char*>("python3"), script.data(), const_cast<char*>("run"),
                                 const_cast<char*>("--"), self.data()};
      for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
      args.push_back(nullptr);
      execvp("python3", args.data());
      std::perror("python3 pg_cluster.py");
      return 1;
    }
    return run_configurations(o);
  }
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
                        " --listen " + hearth::bench::bench_net() + ".77 --port-offset 31000 2>&1");
    }
    auto p = out.find("assword:");
    if (p == std::string::npos) {
      std::fprintf(stderr, "quickstart failed:\n%s\n", out.c_str());
      return 1;
    }
    std::istringstream(out.substr(p + 8)) >> o.password;
    if (!o.dir.empty()) std::ofstream(dir / "bench.password") << o.password << "\n";
    o.host = hearth::bench::bench_net() + ".77", o.port = 31993, o.user = "bench@example.test";
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
    d.host = hearth::bench::bench_net() + ".78", d.port = 31994, d.pid = 0;
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
