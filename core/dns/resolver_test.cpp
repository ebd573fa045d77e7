// The resolver against a real authoritative server: knotd (Debian: knot) on 127.0.21.1:5353,
// started here as a child process and stopped by PID. This is also the check that libunbound
// hands out RDATA with names uncompressed (MX, SRV, PTR below would not parse otherwise).
#include "core/dns/resolver.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace hearth::dns;

namespace {

constexpr const char* addr = "127.0.21.1";
constexpr int port = 5353;

const char* zone_example = R"($ORIGIN example.test.
$TTL 300
@        SOA ns hostmaster 1 3600 600 86400 300
@        NS  ns
ns       A   127.0.0.1
@        MX  10 Mail.Example.TEST.
@        MX  20 backup.example.test.
mail     A   192.0.2.10
mail     A   192.0.2.11
mail     AAAA 2001:db8::10
@        TXT "v=spf1 " "mx -all"
@        TXT "second"
_imaps._tcp        SRV 0 1 993 mail.example.test.
_xmpp-client._tcp  SRV 5 0 5222 xmpp.example.test.
_25._tcp.mail      TLSA 3 1 1 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef
alias    CNAME mail
Upper    CNAME Backup.Example.TEST.
@        CAA 0 issue "letsencrypt.org"
@        CAA 128 iodef "mailto:security@example.test"
nomail   MX  0 .
)";

const char* zone_reverse = R"($ORIGIN 21.0.127.in-addr.arpa.
$TTL 300
@        SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@        NS  ns.example.test.
1        PTR mail.example.test.
)";

struct knot_server {
  fs::path dir;
  pid_t pid = -1;

  knot_server() {
    dir = fs::temp_directory_path() / ("hearth-dns-test-" + std::to_string(::getpid()));
    fs::create_directories(dir / "zones");
    fs::create_directories(dir / "run");
    fs::create_directories(dir / "db");
    std::ofstream(dir / "zones" / "example.test.zone") << zone_example;
    std::ofstream(dir / "zones" / "21.0.127.in-addr.arpa.zone") << zone_reverse;
    std::ofstream conf(dir / "knot.conf");
    conf << "server:\n    rundir: \"" << (dir / "run").string() << "\"\n";
    if (::geteuid() == 0) conf << "    user: root:root\n";
    conf << "    listen: [ " << addr << "@" << port << " ]\n"
         << "database:\n    storage: \"" << (dir / "db").string() << "\"\n"
         << "log:\n  - target: " << (dir / "knot.log").string() << "\n    any: info\n"
         << "template:\n  - id: default\n    storage: \"" << (dir / "zones").string() << "\"\n"
         << "    zonefile-sync: -1\n    journal-content: none\n"
         << "zone:\n  - domain: example.test\n    file: example.test.zone\n"
         << "  - domain: 21.0.127.in-addr.arpa\n    file: 21.0.127.in-addr.arpa.zone\n";
    conf.close();
    pid = ::fork();
    if (pid == 0) {
      std::string c = (dir / "knot.conf").string();
      ::execlp("knotd", "knotd", "-c", c.c_str(), static_cast<char*>(nullptr));
      ::execl("/usr/sbin/knotd", "knotd", "-c", c.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when it answers; dig is in the setup script (bind9-dnsutils).
    std::string probe = "dig @" + std::string(addr) + " -p " + std::to_string(port) +
                        " +time=1 +tries=1 +short SOA example.test 2>/dev/null | grep -q hostmaster";
    for (int i = 0; i < 100; ++i) {
      if (std::system(probe.c_str()) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~knot_server() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

knot_server& knot() {
  static knot_server k;
  return k;
}

options knot_options() {
  options o;
  o.servers = {std::string(addr) + ":" + std::to_string(port)};
  o.timeout = std::chrono::milliseconds(3000);
  return o;
}

// Runs one awaitable to completion on a fresh io_context.
template <class F>
auto run(F f) {
  asio::io_context ioc;
  resolver res(ioc.get_executor(), knot_options());
  REQUIRE(res.init_error().empty());
  auto fut = asio::co_spawn(ioc, f(res), asio::use_future);
  ioc.run();
  return fut.get();
}

}  // namespace

TEST_CASE("forwarder syntax", "[dns]") {
  CHECK(unbound_forwarder("192.0.2.1").value() == "192.0.2.1@53");
  CHECK(unbound_forwarder("127.0.20.1:5353").value() == "127.0.20.1@5353");
  CHECK(unbound_forwarder("[::1]:5353").value() == "::1@5353");
  CHECK(unbound_forwarder("[::1]").value() == "::1@53");
  CHECK(unbound_forwarder("2001:db8::1").value() == "2001:db8::1@53");
  CHECK_FALSE(unbound_forwarder("dns.example"));
  CHECK_FALSE(unbound_forwarder("1.2.3.4:0"));
  CHECK_FALSE(unbound_forwarder("1.2.3.4:65536"));
  CHECK_FALSE(unbound_forwarder("1.2.3.4:x"));
  CHECK_FALSE(unbound_forwarder("[::1"));
  CHECK_FALSE(unbound_forwarder(""));
}

TEST_CASE("bad server in options: every query answers temporary", "[dns]") {
  asio::io_context ioc;
  resolver res(ioc.get_executor(), options{{"not-an-ip"}, true, std::chrono::milliseconds(500)});
  CHECK_FALSE(res.init_error().empty());
  auto fut = asio::co_spawn(ioc, res.a("example.test"), asio::use_future);
  ioc.run();
  auto r = fut.get();
  CHECK(r.st == status::temporary);
  CHECK(r.why == res.init_error());
}

TEST_CASE("resolver against knotd", "[dns][knot]") {
  REQUIRE(knot().pid > 0);

  SECTION("MX: names uncompressed, lowercase, no trailing dot") {
    auto r = run([](resolver& res) { return res.mx("EXAMPLE.test."); });
    REQUIRE(r.st == status::ok);
    CHECK_FALSE(r.secure);
    std::vector<mx_record> want{{10, "mail.example.test"}, {20, "backup.example.test"}};
    std::sort(r.records.begin(), r.records.end(), [](auto& x, auto& y) { return x.preference < y.preference; });
    CHECK(r.records == want);
  }
  SECTION("null MX") {
    auto r = run([](resolver& res) { return res.mx("nomail.example.test"); });
    REQUIRE(r.st == status::ok);
    REQUIRE(r.records.size() == 1);
    CHECK(r.records[0].host.empty());
  }
  SECTION("A, AAAA, CNAME followed") {
    auto a = run([](resolver& res) { return res.a("alias.example.test"); });
    REQUIRE(a.st == status::ok);
    std::vector<std::string> got;
    for (auto& x : a.records) got.push_back(x.to_string());
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{"192.0.2.10", "192.0.2.11"});
    auto aaaa = run([](resolver& res) { return res.aaaa("mail.example.test"); });
    REQUIRE(aaaa.st == status::ok);
    REQUIRE(aaaa.records.size() == 1);
    CHECK(aaaa.records[0].to_string() == "2001:db8::10");
  }
  SECTION("TXT: character-strings concatenated per record") {
    auto r = run([](resolver& res) { return res.txt("example.test"); });
    REQUIRE(r.st == status::ok);
    std::sort(r.records.begin(), r.records.end());
    CHECK(r.records == std::vector<std::string>{"second", "v=spf1 mx -all"});
  }
  SECTION("SRV") {
    auto r = run([](resolver& res) { return res.srv("_xmpp-client._tcp.example.test"); });
    REQUIRE(r.st == status::ok);
    REQUIRE(r.records.size() == 1);
    CHECK(r.records[0] == srv_record{5, 0, 5222, "xmpp.example.test"});
  }
  SECTION("TLSA") {
    auto r = run([](resolver& res) { return res.tlsa("_25._tcp.mail.example.test"); });
    REQUIRE(r.st == status::ok);
    REQUIRE(r.records.size() == 1);
    CHECK(r.records[0] ==
          tlsa_record{3, 1, 1, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"});
  }
  SECTION("CNAME: the record itself, not followed") {
    auto r = run([](resolver& res) { return res.cname("alias.example.test"); });
    REQUIRE(r.st == status::ok);
    CHECK(r.records == std::vector<std::string>{"mail.example.test"});
    auto u = run([](resolver& res) { return res.cname("UPPER.example.test."); });
    REQUIRE(u.st == status::ok);
    CHECK(u.records == std::vector<std::string>{"backup.example.test"});
    // A name with addresses but no CNAME; a name that does not exist.
    CHECK(run([](resolver& res) { return res.cname("mail.example.test"); }).st == status::nodata);
    CHECK(run([](resolver& res) { return res.cname("nope.example.test"); }).st == status::nxdomain);
  }
  SECTION("CAA") {
    auto r = run([](resolver& res) { return res.caa("example.test"); });
    REQUIRE(r.st == status::ok);
    std::sort(r.records.begin(), r.records.end(), [](auto& x, auto& y) { return x.flags < y.flags; });
    std::vector<caa_record> want{{0, "issue", "letsencrypt.org"}, {128, "iodef", "mailto:security@example.test"}};
    CHECK(r.records == want);
    CHECK(format_caa(r.records[0]) == "0 issue \"letsencrypt.org\"");
    CHECK(run([](resolver& res) { return res.caa("mail.example.test"); }).st == status::nodata);
  }
  SECTION("PTR in a 127.in-addr.arpa zone (unbound serves that locally unless told)") {
    auto r = run([](resolver& res) { return res.ptr(asio::ip::make_address("127.0.21.1")); });
    REQUIRE(r.st == status::ok);
    CHECK(r.records == std::vector<std::string>{"mail.example.test"});
  }
  SECTION("NXDOMAIN, NODATA, invalid name") {
    CHECK(run([](resolver& res) { return res.mx("nope.example.test"); }).st == status::nxdomain);
    CHECK(run([](resolver& res) { return res.aaaa("example.test"); }).st == status::nodata);
    CHECK(run([](resolver& res) { return res.a("a..example.test"); }).st == status::nxdomain);
  }
  SECTION("concurrent queries from two threads") {
    asio::io_context ioc;
    resolver res(ioc.get_executor(), knot_options());
    std::vector<std::future<answer<std::string>>> futs;
    for (int i = 0; i < 40; ++i)
      futs.push_back(asio::co_spawn(ioc, res.txt(i % 2 ? "example.test" : "nope.example.test"), asio::use_future));
    std::thread t([&] { ioc.run(); });
    ioc.run();
    t.join();
    for (int i = 0; i < 40; ++i) {
      auto r = futs[static_cast<std::size_t>(i)].get();
      CHECK(r.st == (i % 2 ? status::ok : status::nxdomain));
    }
  }
}

TEST_CASE("a server that does not answer: temporary within the timeout", "[dns]") {
  asio::io_context ioc;
  // Nothing listens on 127.0.21.9.
  resolver res(ioc.get_executor(), options{{"127.0.21.9:5353"}, false, std::chrono::milliseconds(700)});
  auto fut = asio::co_spawn(ioc, res.a("example.test"), asio::use_future);
  ioc.run();  // returns: an idle resolver keeps no work pending
  auto r = fut.get();
  CHECK(r.st == status::temporary);
}
