// XMPP load: N logged-in clients in pairs exchanging chat messages through the server, plus
// idle connections for memory. Prints login rate, messages/s delivered, p50/p99 delivery
// latency and the server's RSS per idle connection (with --pid), and its RSS once the idle
// connections are closed again.
//
// usage: bench_xmpp HOST PORT DOMAIN CAFILE PASSWORD USER_PREFIX N [--messages M] [--idle K] [--pid PID]
//                   [--accounts A] [--src NET]
//   Accounts USER_PREFIX0@DOMAIN .. USER_PREFIX{A-1}@DOMAIN must exist with PASSWORD (A = N by
//   default; bench/bench_xmpp.py and scripts/bench_xmpp.sh create them). Client i logs in as
//   account i % A with resource "b<i / A>", so N clients need N / A resources per account
//   (with --muc, account 0 is the room owner's alone and the others share accounts 1..A-1);
//   idle connections are further resources ("i<k>") that bind but send no presence.
//   Login is SCRAM-SHA-1 over STARTTLS, as every server here offers it; the client computes
//   the salted password once per (account, salt), as real clients cache it, so the login rate
//   measures the servers, not the client's PBKDF2. The same program runs against Prosody and
//   ejabberd. Connections come from 127.0.NET.1-250 (NET = 178 by default), 200 per address,
//   when HOST is a loopback address.
//   --muc ROOM@SERVICE: group chat instead of pairs. Client 0 creates the room (an instant
//   room), the others join it, then every occupant sends M groupchat messages at once; each
//   reflected message counts once per occupant that receives it (fan-out), its latency from
//   the sender's clock.
//   --seat-only: the joins only (joins/s and the time to seat everyone), no messages.
//   --broadcast ROLES: the room broadcasts only these roles' presence (comma-separated,
//   muc#roomconfig_presencebroadcast), as a large room would be configured.
//   --no-presence: clients send no initial presence (only the directed one that joins), so
//   the resources of one account do not each get the others' presence.
//   --probe TEXT [--sample K]: after seating, prints "muc seated", waits until K occupants
//   spread over the room (20 by default) have received TEXT (sent by someone else), prints
//   "muc sample: X/K received", then tries one more join and prints how it was answered
//   ("muc over capacity: refused CONDITION" or "... seated"). For e2e tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proc_stats.hpp"

namespace {
using hearth::bench::rss_kb;

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

std::string b64d(const std::string& in) {
  std::string out(3 * in.size() / 4 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                  static_cast<int>(in.size()));
  return out;
}

SSL_CTX* g_ctx = nullptr;
std::string g_host, g_domain, g_password;
int g_port = 0;
int g_src_net = 178;
bool g_available = true;

std::string hmac1(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha1(const std::string& d) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(d.data()), d.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

// SaltedPassword per (user, salt, iterations): computed once, as clients cache it.
std::string salted(const std::string& user, const std::string& salt, int iters) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  std::string key = user + '\0' + salt + '\0' + std::to_string(iters);
  {
    std::lock_guard lk(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  unsigned char out[SHA_DIGEST_LENGTH];
  PKCS5_PBKDF2_HMAC(g_password.data(), static_cast<int>(g_password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iters,
                    EVP_sha1(), sizeof out, out);
  std::string v(reinterpret_cast<char*>(out), sizeof out);
  std::lock_guard lk(mu);
  cache[key] = v;
  return v;
}

// The text between <tag ...> and </tag> in the buffer (after reading up to </tag>).
bool element_text(struct conn& c, const std::string& tag, std::string& text, bool& failed);

// RFC 5802 SCRAM-SHA-1 without channel binding ("n,,"): true on <success/> with a valid v=.
bool scram_login(struct conn& c, const std::string& localpart);

std::string header() {
  return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='" +
         g_domain + "' version='1.0'>";
}

std::unique_ptr<conn> login(const std::string& user, const std::string& resource, bool available = true) {
  auto c = std::make_unique<conn>();
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (g_host.rfind("127.", 0) == 0) {
    // Spread over 127.0.NET.1-250 sources, 200 each: no address runs out of ephemeral ports
    // (IP_BIND_ADDRESS_NO_PORT lets the kernel pick the port at connect time).
    static std::atomic<int> counter{0};
    sockaddr_in src{};
    src.sin_family = AF_INET;
    std::string ip = "127.0." + std::to_string(g_src_net) + "." + std::to_string(counter++ / 200 % 250 + 1);
    inet_pton(AF_INET, ip.c_str(), &src.sin_addr);
    int yes = 1;
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &yes, sizeof yes);
    bind(c->fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(g_port));
  inet_pton(AF_INET, g_host.c_str(), &sa.sin_addr);
  if (connect(c->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return nullptr;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{300, 0};  // no read waits forever: a stuck server ends the run
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!c->send(header()) || !c->until("</stream:features>")) return nullptr;
  if (!c->send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") || !c->until("<proceed")) return nullptr;
  c->buf.clear();
  c->ssl = SSL_new(g_ctx);
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_tlsext_host_name(c->ssl, g_domain.c_str());
  if (SSL_connect(c->ssl) != 1) return nullptr;
  if (!c->send(header()) || !c->until("</stream:features>")) return nullptr;
  if (!scram_login(*c, user.substr(0, user.find('@')))) return nullptr;
  if (!c->send(header()) || !c->until("</stream:features>")) return nullptr;
  if (!c->send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>") ||
      !c->until("</iq>"))
    return nullptr;
  if (available && g_available && !c->send("<presence/>")) return nullptr;
  return c;
}

bool element_text(conn& c, const std::string& tag, std::string& text, bool& failed) {
  for (;;) {
    auto f = c.buf.find("<failure");
    auto p = c.buf.find("<" + tag);
    if (f != std::string::npos && (p == std::string::npos || f < p)) {
      failed = true;
      return false;
    }
    if (p != std::string::npos) {
      auto gt = c.buf.find('>', p);
      if (gt != std::string::npos && c.buf[gt - 1] == '/') {
        text.clear();
        c.buf.erase(0, gt + 1);
        return true;
      }
      auto e = c.buf.find("</" + tag + ">", p);
      if (gt != std::string::npos && e != std::string::npos) {
        text = c.buf.substr(gt + 1, e - gt - 1);
        c.buf.erase(0, e + tag.size() + 3);
        return true;
      }
    }
    if (!c.fill()) return false;
  }
}

bool scram_login(conn& c, const std::string& localpart) {
  unsigned char rnd[18];
  RAND_bytes(rnd, sizeof rnd);
  std::string cnonce = b64(std::string(reinterpret_cast<char*>(rnd), sizeof rnd));
  std::string first_bare = "n=" + localpart + ",r=" + cnonce;
  if (!c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" + b64("n,," + first_bare) +
              "</auth>"))
    return false;
  std::string text;
  bool failed = false;
  if (!element_text(c, "challenge", text, failed)) return false;
  std::string server_first = b64d(text);
  std::string nonce, salt;
  int iters = 0;
  for (std::size_t i = 0; i < server_first.size();) {
    auto j = server_first.find(',', i);
    if (j == std::string::npos) j = server_first.size();
    std::string attr = server_first.substr(i, j - i);
    if (attr.rfind("r=", 0) == 0) nonce = attr.substr(2);
    else if (attr.rfind("s=", 0) == 0) salt = b64d(attr.substr(2));
    else if (attr.rfind("i=", 0) == 0) iters = std::atoi(attr.c_str() + 2);
    i = j + 1;
  }
  if (nonce.rfind(cnonce, 0) != 0 || iters <= 0) return false;
  std::string final_bare = "c=biws,r=" + nonce;
  std::string auth_msg = first_bare + "," + server_first + "," + final_bare;
  std::string sp = salted(localpart, salt, iters);
  std::string client_key = hmac1(sp, "Client Key");
  std::string sig = hmac1(sha1(client_key), auth_msg);
  std::string proof = client_key;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ sig[i]);
  if (!c.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + b64(final_bare + ",p=" + b64(proof)) +
              "</response>"))
    return false;
  if (!element_text(c, "success", text, failed)) return false;
  std::string expect = "v=" + b64(hmac1(hmac1(sp, "Server Key"), auth_msg));
  return b64d(text) == expect;
}


}  // namespace

// Joins `room` as `nick`: 1 seated, 0 refused (the error condition in `why`), -1 the
// connection failed. XEP-0045 §7.2: the subject is the last stanza of a join; §7.2.6-7.2.10: a
// refusal is the presence bounced with type='error'.
int join_room(conn& c, const std::string& room, const std::string& nick, std::string& why) {
  if (!c.send("<presence to='" + room + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>"
              "<history maxstanzas='0'/></x></presence>"))
    return -1;
  // Our own presence comes back from ROOM/NICK: with type='error' it is the refusal, without
  // it the join goes on until the subject.
  const std::string mine = "from='" + room + "/" + nick + "'";
  for (;;) {
    auto f = c.buf.find(mine);
    auto s = c.buf.find("<subject");
    if (f != std::string::npos && (s == std::string::npos || f < s)) {
      auto start = c.buf.rfind("<presence", f);
      auto end = c.buf.find("</presence>", f);
      if (start != std::string::npos && end != std::string::npos) {
        std::string p = c.buf.substr(start, end - start);
        c.buf.erase(0, end + 11);
        if (p.find("type='error'") == std::string::npos) continue;
        why = "error";
        for (const char* cond : {"service-unavailable", "conflict", "forbidden", "not-authorized", "registration-required",
                                 "item-not-found", "not-allowed", "resource-constraint"})
          if (p.find(cond) != std::string::npos) why = cond;
        return 0;
      }
    } else if (s != std::string::npos) {
      auto end = c.buf.find("</message>", s);
      if (end != std::string::npos) {
        c.buf.erase(0, end + 10);
        return 1;
      }
    }
    if (!c.fill()) return -1;
  }
}

struct muc_options {
  int messages = 0;
  bool seat_only = false;
  std::string broadcast;  // roles, comma-separated; "" = the room's default
  std::string probe;      // text to wait for after seating
  int sample = 20;
  std::string user;       // account and resource for the over-capacity join
};

// The e2e probe: a sample of the seated occupants receives `text`, then one more join.
int probe_room(std::vector<std::unique_ptr<conn>>& clients, const std::string& room, const muc_options& o) {
  const int n = static_cast<int>(clients.size());
  std::printf("muc seated\n");
  std::fflush(stdout);
  const int k = std::max(1, std::min(o.sample, n));
  int got = 0;
  for (int j = 0; j < k; ++j) {
    auto& c = *clients[static_cast<std::size_t>(static_cast<long>(j) * (n - 1) / std::max(1, k - 1))];
    timeval tv{60, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (c.until(o.probe)) ++got;
  }
  std::printf("muc sample: %d/%d received\n", got, k);
  std::fflush(stdout);
  auto extra = login(o.user, "over");
  std::string why;
  int r = extra ? join_room(*extra, room, "over", why) : -1;
  std::printf("muc over capacity: %s\n", r == 1 ? "seated" : r == 0 ? ("refused " + why).c_str() : "connection failed");
  return got == k ? 0 : 1;
}

// Group chat: joins, then everyone sends; returns the process exit code.
std::string broadcast_field(const std::string& roles) {
  if (roles.empty()) return {};
  std::string f = "<field var='muc#roomconfig_presencebroadcast'>";
  for (std::size_t i = 0; i <= roles.size();) {
    auto comma = roles.find(',', i);
    if (comma == std::string::npos) comma = roles.size();
    if (comma > i) f += "<value>" + roles.substr(i, comma - i) + "</value>";
    i = comma + 1;
  }
  return f + "</field>";
}

int run_muc(std::vector<std::unique_ptr<conn>>& clients, const std::string& room, const muc_options& o) {
  const int n = static_cast<int>(clients.size());
  const int messages = o.messages;
  auto join = [&](int i) {
    std::string why;
    return join_room(*clients[static_cast<std::size_t>(i)], room, "n" + std::to_string(i), why) == 1;
  };
  auto t0 = clk::now();
  if (!join(0)) {
    std::printf("muc: the first client could not create %s\n", room.c_str());
    return 1;
  }
  // XEP-0045 §10.1.2-10.1.3: the room is configured for N occupants (servers that lock new rooms
  // unlock it now; most default to at most 200).
  auto& owner = *clients[0];
  if (!owner.send("<iq type='set' id='instant' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                  "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
                  "http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_maxusers'><value>" +
                  std::to_string(n) + "</value></field>" + broadcast_field(o.broadcast) + "</x></query></iq>") ||
      !owner.until("id='instant'")) {
    std::printf("muc: the room could not be configured\n");
    return 1;
  }
  std::atomic<int> joined{1};
  {
    std::vector<std::thread> th;
    std::atomic<int> next{1};
    for (int t = 0; t < 16; ++t)
      th.emplace_back([&] {
        for (int i; (i = next++) < n;)
          if (join(i)) ++joined;
      });
    for (auto& t : th) t.join();
  }
  double join_s = std::chrono::duration<double>(clk::now() - t0).count();
  std::printf("muc joins: %d/%d in %.2f s (%.0f joins/s)\n", joined.load(), n, join_s, joined / join_s);
  std::fflush(stdout);
  if (joined != n) return 1;
  if (!o.probe.empty()) return probe_room(clients, room, o);
  if (o.seat_only) return 0;
  // Presences of the later joiners are still in the buffers; only bodies count below.
  const long expected = static_cast<long>(n) * messages;
  std::mutex mu;
  std::vector<double> lat_us;
  std::atomic<long> delivered{0};
  auto t1 = clk::now();
  std::vector<std::thread> th, rth;
  for (int i = 0; i < n; ++i)
    th.emplace_back([&, i] {
      auto& c = *clients[static_cast<std::size_t>(i)];
      for (int m = 0; m < messages; ++m) {
        long now = std::chrono::duration_cast<std::chrono::microseconds>(clk::now().time_since_epoch()).count();
        c.send("<message type='groupchat' to='" + room + "'><body>" + std::to_string(now) + "</body></message>");
      }
    });
  for (int i = 0; i < n; ++i)
    rth.emplace_back([&, i] {
      auto& c = *clients[static_cast<std::size_t>(i)];
      timeval tv{30, 0};  // a lost message ends the wait instead of hanging the run
      setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::vector<double> mine;
      while (static_cast<long>(mine.size()) < expected) {
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
  for (auto& t : th) t.join();
  for (auto& t : rth) t.join();
  double secs = std::chrono::duration<double>(clk::now() - t1).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) { return lat_us.empty() ? 0.0 : lat_us[static_cast<std::size_t>(p * (lat_us.size() - 1))] / 1000.0; };
  std::printf("muc messages: %ld/%ld delivered in %.2f s: %.0f msg/s, latency p50 %.2f ms p99 %.2f ms\n",
              delivered.load(), expected * n, secs, delivered / secs, pct(0.5), pct(0.99));
  return 0;
}

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
  int n = std::atoi(argv[7]);
  int messages = 200, idle = 0, pid = 0, accounts = 0;
  std::string muc_room;
  muc_options mo;
  for (int i = 8; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--messages")) messages = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--idle")) idle = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--pid")) pid = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--accounts")) accounts = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--src")) g_src_net = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--muc")) muc_room = argv[++i];
    else if (!std::strcmp(argv[i], "--broadcast")) mo.broadcast = argv[++i];
    else if (!std::strcmp(argv[i], "--probe")) mo.probe = argv[++i];
    else if (!std::strcmp(argv[i], "--sample")) mo.sample = std::atoi(argv[++i]);
  }
  for (int i = 8; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seat-only")) mo.seat_only = true;
    else if (!std::strcmp(argv[i], "--no-presence")) g_available = false;
  }
  // Pairs need an even number of clients; a room takes any.
  if (muc_room.empty()) n &= ~1;
  if (accounts <= 0 || accounts > n) accounts = n;
  // In a room, client 0 creates it and so owns it: its account serves no other client, or
  // every resource of the owner's account would join as an owner (a moderator, whose presence
  // every occupant gets) and the room would not be the one of participants it is meant to be.
  const bool room = !muc_room.empty() && accounts > 1;
  auto account_of = [&](int i) { return !room ? i % accounts : i == 0 ? 0 : 1 + (i - 1) % (accounts - 1); };
  auto jid_of = [&](int i) { return prefix + std::to_string(account_of(i)) + "@" + g_domain; };
  auto res_of = [&](int i) { return "b" + std::to_string(!room ? i / accounts : i == 0 ? 0 : (i - 1) / (accounts - 1)); };
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
        for (int i; (i = next++) < n;)
          for (int attempt = 0; attempt < 3 && !clients[static_cast<std::size_t>(i)]; ++attempt)
            clients[static_cast<std::size_t>(i)] = login(jid_of(i), res_of(i));
      });
    for (auto& t : th) t.join();
  }
  double login_s = std::chrono::duration<double>(clk::now() - t0).count();
  int ok = static_cast<int>(std::count_if(clients.begin(), clients.end(), [](auto& c) { return c != nullptr; }));
  std::printf("logins: %d/%d in %.2f s (%.0f logins/s)\n", ok, n, login_s, ok / login_s);
  if (ok != n) return 1;
  if (!muc_room.empty()) {
    mo.messages = messages;
    mo.user = jid_of(0);
    return run_muc(clients, muc_room, mo);
  }

  // Pairs (2k, 2k+1): each side sends `messages` messages to the other; receivers time them.
  std::mutex mu;
  std::vector<double> lat_us;
  std::atomic<long> delivered{0};
  auto t1 = clk::now();
  std::vector<std::thread> th;
  for (int i = 0; i < n; ++i) {
    th.emplace_back([&, i] {  // sender
      auto& c = *clients[static_cast<std::size_t>(i)];
      std::string to = jid_of(i ^ 1) + "/" + res_of(i ^ 1);
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
    std::vector<std::unique_ptr<conn>> idles(static_cast<std::size_t>(idle));
    auto ti = clk::now();
    {
      std::vector<std::thread> lt;
      std::atomic<int> next{0};
      for (int t = 0; t < 16; ++t)
        lt.emplace_back([&] {
          for (int i; (i = next++) < idle;)
            idles[static_cast<std::size_t>(i)] = login(prefix + std::to_string(i % accounts) + "@" + g_domain,
                                                       "i" + std::to_string(i), false);
        });
      for (auto& t : lt) t.join();
    }
    double idle_s = std::chrono::duration<double>(clk::now() - ti).count();
    std::erase_if(idles, [](auto& c) { return c == nullptr; });
    std::printf("idle logins: %zu/%d in %.2f s (%.0f logins/s)\n", idles.size(), idle, idle_s,
                static_cast<double>(idles.size()) / idle_s);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    long after = rss_kb(pid);
    std::printf("idle: %zu connections, server RSS %ld -> %ld kB: %.1f kB per connection\n", idles.size(), before, after,
                idles.empty() ? 0.0 : static_cast<double>(after - before) / static_cast<double>(idles.size()));
    // Does the server give the memory back once they are gone? (It trims after a burst of
    // closed connections; 5 s leaves it time to see every close and to trim.)
    const std::size_t closing = idles.size();
    idles.clear();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    long closed = rss_kb(pid);
    std::printf("idle closed: %zu connections closed, server RSS %ld kB (before them %ld kB, with them %ld kB): "
                "%.0f%% of their growth given back\n",
                closing, closed, before, after,
                after > before ? 100.0 * static_cast<double>(after - closed) / static_cast<double>(after - before) : 0.0);
  }
  return 0;
}
