// IMAP IDLE benchmark: N connections sit in IDLE over implicit TLS. Prints the
// server's CPU time over a quiet minute (from /proc/PID/stat) and how long a new message takes
// to reach idling clients: another session APPENDs to INBOX and each probe waits for its
// untagged EXISTS.
//
// The probes (--probes) idle on INBOX; the other connections idle on "Archive" of the same
// account, so a delivery wakes the probes only, as a delivery to one user among many would.
// Logins use SCRAM-SHA-256 with the salted password computed once (the server's side of SCRAM is
// a few hashes), so 10 000 logins do not cost 10 000 Argon2id checks.
//
// It starts its own `hearth` (quickstart --dev in a temp folder, BUILD/hearth, or --hearth
// PATH to time another build) on NET.78 with the per-IP connection limit lifted, and stops it
// at the end.
//
// The time from the APPEND to the client's read of its EXISTS has three parts: the server
// storing the message (fsyncs), the server waking the session and writing, and this program's
// own thread getting a CPU to read it. On a 2-core machine the last one is not small: the
// bench shares the cores with the server and with anything else running. So the probes and
// the appender read the kernel's receive timestamp of their data (SO_TIMESTAMPNS, peeked
// before the TLS read): "in the socket" times are when the server's bytes reached the
// client's socket, whoever was scheduled after that.
//
//   build/bench/bench_imap_idle [--connections 10000] [--probes 10] [--seconds 60] [--deliveries 200]
//                               [--hearth PATH]
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
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
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

#include "proc_stats.hpp"

namespace {
using hearth::bench::cpu_ticks;
using hearth::bench::load_average;
using hearth::bench::rss_kb;
using hearth::bench::run_capture;

// NET.78, NET = HEARTH_TEST_NET or 127.0.0 (another bench on the machine may use another NET).
const std::string host_name = [] {
  const char* n = std::getenv("HEARTH_TEST_NET");
  return std::string(n && *n ? n : "127.0.0") + ".78";
}();
const char* host = host_name.c_str();
const int port = 32993;  // --port-offset 32000

std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string unb64(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t pad = in.size() >= 2 && in[in.size() - 1] == '=' ? (in[in.size() - 2] == '=' ? 2 : 1) : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string hmac256(const std::string& key, const std::string& data) {
  unsigned char out[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(const std::string& data) {
  unsigned char out[32];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), 32);
}

// The client's PBKDF2 result, the same for every login of the account (one salt per account).
struct salted_cache {
  std::mutex mu;
  std::map<std::string, std::string> by_salt;
  std::string get(const std::string& password, const std::string& salt, int iterations) {
    std::lock_guard lock(mu);
    auto key = salt + "/" + std::to_string(iterations);
    auto it = by_salt.find(key);
    if (it != by_salt.end()) return it->second;
    unsigned char out[32];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                      EVP_sha256(), 32, out);
    return by_salt[key] = std::string(reinterpret_cast<char*>(out), 32);
  }
};

class client {
 public:
  explicit client(SSL_CTX* ctx) : ctx_(ctx) {}
  client(const client&) = delete;
  ~client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  bool connect() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) return false;
    return line().rfind("* OK", 0) == 0;
  }
  bool send(const std::string& s) { return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) > 0; }
  // One line with its CRLF; "" on error or EOF.
  std::string line() {
    std::string out;
    for (;;) {
      if (pos_ >= len_) {
        int n = SSL_read(ssl_, buf_, sizeof buf_);
        if (n <= 0) return {};
        pos_ = 0, len_ = static_cast<std::size_t>(n);
      }
      char c = buf_[pos_++];
      out += c;
      if (c == '\n') return out;
    }
  }
  bool buffered() const { return pos_ < len_ || SSL_pending(ssl_) > 0; }
  int fd() const { return fd_; }
  // Asks the kernel to timestamp what this socket receives (socket(7) SO_TIMESTAMPNS).
  void timestamp_input() {
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  }
  // CLOCK_REALTIME ns at which the first unread bytes reached the socket, peeked without
  // consuming them; 0 when there is nothing unread or no timestamp. Call only when nothing is
  // buffered above the socket (buffered() false), or the bytes read next are not these.
  long long arrival_ns() const {
    char byte;
    iovec v{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr m{};
    m.msg_iov = &v, m.msg_iovlen = 1, m.msg_control = control, m.msg_controllen = sizeof control;
    if (recvmsg(fd_, &m, MSG_PEEK | MSG_DONTWAIT) <= 0) return 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t;
        std::memcpy(&t, CMSG_DATA(c), sizeof t);
        return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
      }
    return 0;
  }
  bool command(const std::string& tag, const std::string& cmd) {
    if (!send(tag + " " + cmd + "\r\n")) return false;
    for (;;) {
      std::string l = line();
      if (l.empty()) return false;
      if (l.rfind(tag + " ", 0) == 0) return l.compare(tag.size() + 1, 2, "OK") == 0;
    }
  }
  // RFC 5802 SCRAM-SHA-256 with SASL-IR (RFC 4959).
  bool login(const std::string& user, const std::string& password, salted_cache& cache) {
    unsigned char rnd[18];
    RAND_bytes(rnd, sizeof rnd);
    std::string nonce = b64(std::string(reinterpret_cast<char*>(rnd), sizeof rnd));
    std::string bare = "n=" + user + ",r=" + nonce;
    if (!send("a AUTHENTICATE SCRAM-SHA-256 " + b64("n,," + bare) + "\r\n")) return false;
    std::string l = line();
    if (l.rfind("+ ", 0) != 0) return false;
    std::string first = unb64(l.substr(2, l.size() - 4));
    std::string r, s;
    int iterations = 0;
    std::istringstream fields(first);
    for (std::string f; std::getline(fields, f, ',');) {
      if (f.rfind("r=", 0) == 0) r = f.substr(2);
      if (f.rfind("s=", 0) == 0) s = unb64(f.substr(2));
      if (f.rfind("i=", 0) == 0) iterations = std::atoi(f.c_str() + 2);
    }
    if (r.rfind(nonce, 0) != 0 || s.empty() || iterations <= 0) return false;
    std::string salted = cache.get(password, s, iterations);
    std::string without_proof = "c=" + b64("n,,") + ",r=" + r;
    std::string auth_message = bare + "," + first + "," + without_proof;
    std::string client_key = hmac256(salted, "Client Key");
    std::string signature = hmac256(sha256(client_key), auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
    if (!send(b64(without_proof + ",p=" + b64(proof)) + "\r\n")) return false;
    l = line();
    if (l.rfind("+ ", 0) == 0) {  // server-final-message as a last challenge
      if (!send("\r\n")) return false;
      l = line();
    }
    return l.rfind("a OK", 0) == 0;
  }
  bool idle(const std::string& mailbox) {
    if (!command("s", "SELECT " + mailbox)) return false;
    if (!send("i IDLE\r\n")) return false;
    return line().rfind("+", 0) == 0;
  }

 private:
  SSL_CTX* ctx_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  char buf_[2048];
  std::size_t pos_ = 0, len_ = 0;
};




long long realtime_ns() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

double pct(std::vector<double> v, int p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * static_cast<std::size_t>(p) / 100)];
}

}  // namespace

int main(int argc, char** argv) {
  int connections = 10000, probes = 10, seconds = 60, deliveries = 200;
  fs::path hearth = fs::canonical("/proc/self/exe").parent_path().parent_path() / "hearth";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (k == "--hearth") hearth = fs::absolute(argv[i + 1]);
    else if (k == "--connections") connections = v;
    else if (k == "--probes") probes = v;
    else if (k == "--seconds") seconds = v;
    else if (k == "--deliveries") deliveries = v;
  }
  probes = std::max(1, std::min(probes, connections));
  signal(SIGPIPE, SIG_IGN);
  // Both sides hold one descriptor per connection; the server inherits the raised limit.
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur < static_cast<rlim_t>(connections) + 200) {
    std::fprintf(stderr, "open-file limit %llu is too low for %d connections (ulimit -n)\n",
                 static_cast<unsigned long long>(nofile.rlim_cur), connections);
    return 1;
  }

  std::printf("server %s, %s\n", hearth.c_str(), load_average().c_str());
  std::fflush(stdout);  // before fork(): the child's freopen would print the buffer again
  fs::path dir = fs::temp_directory_path() / ("hearth-bench-idle-" + std::to_string(getpid()));
  std::string out = run_capture(hearth.string() + " quickstart --dev bench@example.test --dir " + dir.string() +
                                " --listen " + host + " --port-offset 32000 2>&1");
  auto p = out.find("assword:");
  if (p == std::string::npos) {
    std::fprintf(stderr, "quickstart failed:\n%s\n", out.c_str());
    return 1;
  }
  std::string password;
  std::istringstream(out.substr(p + 8)) >> password;
  {
    // Lift the per-IP connection limit: every bench connection comes from one address.
    std::ifstream in(dir / "hearth.toml");
    std::string conf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string key = "\nmax_connections_per_ip = ";
    auto at = conf.find(key);
    if (at == std::string::npos) {
      std::fprintf(stderr, "no server.max_connections_per_ip in %s\n", (dir / "hearth.toml").c_str());
      return 1;
    }
    conf.replace(at, conf.find('\n', at + 1) - at, key + "0");
    std::ofstream(dir / "hearth.toml") << conf;
  }
  pid_t server = fork();
  if (server == 0) {
    std::string log = (dir / "serve.log").string();
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
    execl(hearth.c_str(), "hearth", "--config", (dir / "hearth.toml").c_str(), "serve", nullptr);
    _exit(127);
  }
  auto stop = [&](int rc) {
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
    std::error_code ec;
    if (rc == 0) fs::remove_all(dir, ec);  // kept for its serve.log otherwise
    return rc;
  };

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // a benchmark on loopback
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);    // idle connections keep no buffers
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  for (int i = 0; i < 100; ++i) {
    client probe(ctx);
    if (probe.connect()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string user = "bench@example.test";
  salted_cache cache;
  {
    client c(ctx);
    if (!c.connect() || !c.login(user, password, cache)) {
      std::fprintf(stderr, "cannot log in (see %s)\n", (dir / "serve.log").c_str());
      return stop(1);
    }
    c.command("c", "CREATE Archive");  // NO if quickstart made it already

  }

  // Connect, log in, SELECT and IDLE: the probes first, then the rest, four threads at a time.
  std::vector<std::unique_ptr<client>> conns(static_cast<std::size_t>(connections));
  std::atomic<int> next{0}, failed{0};
  auto t_connect = clock_type::now();
  std::vector<std::thread> setup;
  for (int t = 0; t < 4; ++t)
    setup.emplace_back([&] {
      for (int i; (i = next++) < connections;) {
        auto c = std::make_unique<client>(ctx);
        if (!c->connect() || !c->login(user, password, cache) || !c->idle(i < probes ? "INBOX" : "Archive")) {
          ++failed;
          continue;
        }
        conns[static_cast<std::size_t>(i)] = std::move(c);
      }
    });
  for (auto& t : setup) t.join();
  double setup_s = std::chrono::duration<double>(clock_type::now() - t_connect).count();
  std::printf("%d connections in IDLE (%d on INBOX, the rest on Archive), %d failed, set up in %.1f s\n",
              connections - failed.load(), probes, failed.load(), setup_s);
  if (failed.load() > 0) return stop(1);
  std::fflush(stdout);

  // The quiet minute.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long hz = sysconf(_SC_CLK_TCK);
  long cpu0 = cpu_ticks(server);
  auto t0 = clock_type::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  long cpu1 = cpu_ticks(server);
  double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
  double cpu_s = static_cast<double>(cpu1 - cpu0) / static_cast<double>(hz);
  std::printf("server CPU over %.0f s with %d idle connections: %.2f s (%.2f%% of one core), RSS %ld MiB, %s\n",
              wall, connections, cpu_s, 100.0 * cpu_s / wall, rss_kb(server) / 1024, load_average().c_str());
  std::fflush(stdout);

  // Deliveries: APPEND to INBOX from another session; every probe waits for its EXISTS.
  client appender(ctx);
  if (!appender.connect() || !appender.login(user, password, cache)) return stop(1);
  appender.timestamp_input();
  for (int i = 0; i < probes; ++i) conns[static_cast<std::size_t>(i)]->timestamp_input();
  std::vector<double> push_ms, append_ms, after_ok_ms;
  // From the kernel's receive timestamps (see the top of this file): the APPEND sent -> its
  // EXISTS in the probe's socket; the APPEND's OK in the appender's socket -> the EXISTS in
  // the probe's (the server's wake and write, without the fsyncs); in the socket -> read by
  // this program (the bench's own wait for a CPU).
  std::vector<double> in_socket_ms, ok_to_exists_socket_ms, socket_to_read_ms;
  const long long cpu_before_deliveries = cpu_ticks(server);
  const auto t_deliveries = clock_type::now();
  const std::string msg =
      "From: a@example.org\r\nTo: bench@example.test\r\nSubject: idle bench\r\n\r\nhello\r\n";
  int lost = 0;
  for (int d = 1; d <= deliveries; ++d) {
    auto sent = clock_type::now();
    const long long sent_ns = realtime_ns();
    std::string tag = "d" + std::to_string(d);
    // LITERAL+ (RFC 7888): no round trip for the continuation.
    if (!appender.send(tag + " APPEND INBOX {" + std::to_string(msg.size()) + "+}\r\n" + msg + "\r\n")) return stop(1);
    std::vector<bool> heard(static_cast<std::size_t>(probes), false);
    int waiting = probes;
    bool appended = false;
    double ok_at = 0;
    long long ok_socket_ns = 0;
    std::vector<double> heard_at;
    std::vector<long long> heard_socket_ns;
    auto deadline = sent + std::chrono::seconds(5);
    const std::string want = "* " + std::to_string(d) + " EXISTS\r\n";
    while ((waiting > 0 || !appended) && clock_type::now() < deadline) {
      std::vector<pollfd> fds;
      std::vector<int> who;
      for (int i = 0; i < probes; ++i)
        if (!heard[static_cast<std::size_t>(i)]) fds.push_back({conns[static_cast<std::size_t>(i)]->fd(), POLLIN, 0}), who.push_back(i);
      if (!appended) fds.push_back({appender.fd(), POLLIN, 0}), who.push_back(-1);
      bool ready = false;
      for (int w : who)
        if ((w < 0 ? appender : *conns[static_cast<std::size_t>(w)]).buffered()) ready = true;
      if (!ready && poll(fds.data(), fds.size(), 100) <= 0) continue;
      for (std::size_t k = 0; k < fds.size(); ++k) {
        int w = who[k];
        client& c = w < 0 ? appender : *conns[static_cast<std::size_t>(w)];
        if (!(fds[k].revents & POLLIN) && !c.buffered()) continue;
        const long long arrived_ns = c.buffered() ? 0 : c.arrival_ns();
        do {
          std::string l = c.line();
          auto now = clock_type::now();
          if (w < 0 && l.rfind(tag + " ", 0) == 0) {
            appended = true;
            ok_at = std::chrono::duration<double, std::milli>(now - sent).count();
            append_ms.push_back(ok_at);
            ok_socket_ns = arrived_ns;
          } else if (w >= 0 && l == want) {
            heard[static_cast<std::size_t>(w)] = true;
            --waiting;
            heard_at.push_back(std::chrono::duration<double, std::milli>(now - sent).count());
            push_ms.push_back(heard_at.back());
            if (arrived_ns) {
              in_socket_ms.push_back(static_cast<double>(arrived_ns - sent_ns) / 1e6);
              socket_to_read_ms.push_back(static_cast<double>(realtime_ns() - arrived_ns) / 1e6);
              heard_socket_ns.push_back(arrived_ns);
            }
          }
        } while (c.buffered() && (w >= 0 ? !heard[static_cast<std::size_t>(w)] : !appended));
      }
    }
    lost += waiting;
    if (appended)
      for (double t : heard_at) after_ok_ms.push_back(t - ok_at);
    if (ok_socket_ns)
      for (long long t : heard_socket_ns) ok_to_exists_socket_ms.push_back(static_cast<double>(t - ok_socket_ns) / 1e6);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("%d deliveries to INBOX, %d probes each: APPEND sent -> EXISTS at the idling client p50 %.2f ms, "
              "p99 %.2f ms, max %.2f ms (%d never arrived)\n",
              deliveries, probes, pct(push_ms, 50), pct(push_ms, 99), pct(push_ms, 100), lost);
  std::printf("for comparison, the APPEND round trip itself (stored and fsynced): p50 %.2f ms, p99 %.2f ms\n",
              pct(append_ms, 50), pct(append_ms, 99));
  // The server publishes once the message is committed, before it answers the APPEND: the
  // EXISTS and the tagged OK race, so this is the push's own delay (negative: it came first).
  std::printf("EXISTS at the idling client minus the APPEND's OK at the appender: p50 %.2f ms, p99 %.2f ms\n",
              pct(after_ok_ms, 50), pct(after_ok_ms, 99));
  const double busy_s = static_cast<double>(cpu_ticks(server) - cpu_before_deliveries) / static_cast<double>(sysconf(_SC_CLK_TCK));
  const double busy_wall = std::chrono::duration<double>(clock_type::now() - t_deliveries).count();
  std::printf("kernel receive timestamps (%zu of %zu EXISTS): APPEND sent -> EXISTS in the probe's socket p50 %.2f ms, "
              "p99 %.2f ms; APPEND's OK in its socket -> EXISTS in the probe's p50 %.2f ms, p99 %.2f ms; "
              "in the socket -> read by this bench p50 %.2f ms, p99 %.2f ms\n",
              in_socket_ms.size(), push_ms.size(), pct(in_socket_ms, 50), pct(in_socket_ms, 99),
              pct(ok_to_exists_socket_ms, 50), pct(ok_to_exists_socket_ms, 99), pct(socket_to_read_ms, 50),
              pct(socket_to_read_ms, 99));
  std::printf("server CPU during the deliveries: %.2f s in %.1f s; %s\n", busy_s, busy_wall, load_average().c_str());
  conns.clear();
  SSL_CTX_free(ctx);
  return stop(lost ? 1 : 0);
}
