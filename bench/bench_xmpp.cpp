// XMPP load: N logged-in clients in pairs exchanging chat messages through the server, plus
// idle connections for memory. Prints login rate, messages/s delivered, p50/p99 delivery
// latency and the server's RSS per idle connection (with --pid).
//
// usage: bench_xmpp HOST PORT DOMAIN CAFILE PASSWORD USER_PREFIX N [--messages M] [--idle K] [--pid PID]
//   Accounts USER_PREFIX0@DOMAIN .. USER_PREFIX{N-1}@DOMAIN must exist with PASSWORD
//   (scripts/bench_xmpp.sh creates them). Login is PLAIN over STARTTLS (the SCRAM cost is
//   bench_auth's business). The same program runs against Prosody and ejabberd.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

struct conn {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string buf;
  ~conn() {
    if (ssl) SSL_free(ssl);
    if (fd >= 0) close(fd);
  }
  bool send(const std::string& s) {
    if (ssl) return SSL_write(ssl, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  bool fill() {
    char tmp[16384];
    int n = ssl ? SSL_read(ssl, tmp, sizeof tmp) : static_cast<int>(::recv(fd, tmp, sizeof tmp, 0));
    if (n <= 0) return false;
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  bool until(const std::string& needle) {
    while (buf.find(needle) == std::string::npos)
      if (!fill()) return false;
    buf.erase(0, buf.find(needle) + needle.size());
    return true;
  }
};

std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                  static_cast<int>(in.size()));
  return out;
}

SSL_CTX* g_ctx = nullptr;
std::string g_host, g_domain, g_password;
int g_port = 0;

std::string header() {
  return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='" +
         g_domain + "' version='1.0'>";
}

std::unique_ptr<conn> login(const std::string& user, const std::string& resource = "bench") {
  auto c = std::make_unique<conn>();
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (g_host.rfind("127.", 0) == 0) {
    // The server admits 50 connections per client IP: spread over 127.0.178.x sources.
    static std::atomic<int> counter{0};
    sockaddr_in src{};
    src.sin_family = AF_INET;
    std::string ip = "127.0.178." + std::to_string(counter++ / 40 + 1);
    inet_pton(AF_INET, ip.c_str(), &src.sin_addr);
    bind(c->fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(g_port));
  inet_pton(AF_INET, g_host.c_str(), &sa.sin_addr);
  if (connect(c->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return nullptr;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!c->send(header()) || !c->until("</stream:features>")) return nullptr;
  if (!c->send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") || !c->until("<proceed")) return nullptr;
  c->buf.clear();
  c->ssl = SSL_new(g_ctx);
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_tlsext_host_name(c->ssl, g_domain.c_str());
  if (SSL_connect(c->ssl) != 1) return nullptr;
  if (!c->send(header()) || !c->until("</stream:features>")) return nullptr;
  std::string cred = std::string(1, '\0') + user + std::string(1, '\0') + g_password;
  if (!c->send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64(cred) + "</auth>") ||
      !c->until("success"))
    return nullptr;
  if (!c->send(header()) || !c->until("</stream:features>")) return nullptr;
  if (!c->send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>") ||
      !c->until("</iq>"))
    return nullptr;
  if (!c->send("<presence/>")) return nullptr;
  return c;
}

long rss_kb(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1) {
    // `make bench` runs every program without arguments: this one needs a server.
    std::printf("bench_xmpp: needs a running server; scripts/bench_xmpp.sh starts one and runs it\n");
    return 0;
  }
  if (argc < 8) {
    std::fprintf(stderr, "usage: %s HOST PORT DOMAIN CAFILE PASSWORD USER_PREFIX N [--messages M] [--idle K] [--pid PID]\n", argv[0]);
    return 64;
  }
  g_host = argv[1];
  g_port = std::atoi(argv[2]);
  g_domain = argv[3];
  std::string cafile = argv[4];
  g_password = argv[5];
  std::string prefix = argv[6];
  int n = std::atoi(argv[7]) & ~1;
  int messages = 200, idle = 0, pid = 0;
  for (int i = 8; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--messages")) messages = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--idle")) idle = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--pid")) pid = std::atoi(argv[++i]);
  }
  g_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(g_ctx, cafile.c_str(), nullptr);
  SSL_CTX_set_verify(g_ctx, SSL_VERIFY_PEER, nullptr);

  std::vector<std::unique_ptr<conn>> clients(static_cast<std::size_t>(n));
  auto t0 = clk::now();
  {
    std::vector<std::thread> th;
    std::atomic<int> next{0};
    for (int t = 0; t < 16; ++t)
      th.emplace_back([&] {
        for (int i; (i = next++) < n;) clients[static_cast<std::size_t>(i)] = login(prefix + std::to_string(i) + "@" + g_domain);
      });
    for (auto& t : th) t.join();
  }
  double login_s = std::chrono::duration<double>(clk::now() - t0).count();
  int ok = static_cast<int>(std::count_if(clients.begin(), clients.end(), [](auto& c) { return c != nullptr; }));
  std::printf("logins: %d/%d in %.2f s (%.0f logins/s)\n", ok, n, login_s, ok / login_s);
  if (ok != n) return 1;

  // Pairs (2k, 2k+1): each side sends `messages` messages to the other; receivers time them.
  std::mutex mu;
  std::vector<double> lat_us;
  std::atomic<long> delivered{0};
  auto t1 = clk::now();
  std::vector<std::thread> th;
  for (int i = 0; i < n; ++i) {
    th.emplace_back([&, i] {  // sender
      auto& c = *clients[static_cast<std::size_t>(i)];
      std::string to = prefix + std::to_string(i ^ 1) + "@" + g_domain + "/bench";
      for (int m = 0; m < messages; ++m) {
        long now = std::chrono::duration_cast<std::chrono::microseconds>(clk::now().time_since_epoch()).count();
        c.send("<message type='chat' to='" + to + "'><body>" + std::to_string(now) + "</body></message>");
      }
    });
  }
  std::vector<std::thread> rth;
  for (int i = 0; i < n; ++i) {
    rth.emplace_back([&, i] {  // receiver
      auto& c = *clients[static_cast<std::size_t>(i)];
      std::vector<double> mine;
      while (static_cast<int>(mine.size()) < messages) {
        auto p = c.buf.find("<body>");
        auto e = p == std::string::npos ? p : c.buf.find("</body>", p);
        if (e == std::string::npos) {
          if (!c.fill()) break;
          continue;
        }
        long sent = std::atol(c.buf.c_str() + p + 6);
        c.buf.erase(0, e + 7);
        long now = std::chrono::duration_cast<std::chrono::microseconds>(clk::now().time_since_epoch()).count();
        mine.push_back(static_cast<double>(now - sent));
        ++delivered;
      }
      std::lock_guard lk(mu);
      lat_us.insert(lat_us.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : th) t.join();
  for (auto& t : rth) t.join();
  double secs = std::chrono::duration<double>(clk::now() - t1).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) { return lat_us.empty() ? 0.0 : lat_us[static_cast<std::size_t>(p * (lat_us.size() - 1))] / 1000.0; };
  std::printf("messages: %ld/%ld delivered in %.2f s: %.0f msg/s, latency p50 %.2f ms p99 %.2f ms\n", delivered.load(),
              static_cast<long>(n) * messages, secs, delivered / secs, pct(0.5), pct(0.99));

  if (idle > 0 && pid > 0) {
    long before = rss_kb(pid);
    std::vector<std::unique_ptr<conn>> idles;
    for (int i = 0; i < idle; ++i) {
      auto c = login(prefix + std::to_string(i % n) + "@" + g_domain, "idle" + std::to_string(i));
      if (c) idles.push_back(std::move(c));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    long after = rss_kb(pid);
    std::printf("idle: %zu connections, server RSS %ld -> %ld kB: %.1f kB per connection\n", idles.size(), before, after,
                idles.empty() ? 0.0 : static_cast<double>(after - before) / static_cast<double>(idles.size()));
  }
  return 0;
}
