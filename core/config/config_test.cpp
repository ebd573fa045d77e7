#include "core/config/config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/config/schema.hpp"

namespace cfg = hearth::config;
using cfg::service;

namespace {

// The error text of a parse that must fail.
std::string errors_of(std::string_view text) {
  auto r = cfg::parse(text, "/etc/hearth/test.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == "config.invalid");
  return r.error().message;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("a full valid config parses to the expected struct", "[config]") {
  const char* text = R"([server]
hostname = "mail.home.test"
data_dir = "/srv/hearth"
threads = 4
ip4 = "192.0.2.10"
ip6 = "2001:db8::10"

[log]
level = "debug"
file = "/var/log/hearth.log"

[listen]
addresses = ["127.0.0.1", "::1"]
read_timeout = 60
max_line_length = 4096
smtp = 2525
imaps = 0
https = 8443
addresses_for.smtp = ["192.0.2.10"]

[[tls.certificate]]
hosts = ["mail.home.test", "*.home.test"]
cert = "/etc/ssl/home.crt"
key = "/etc/ssl/home.key"

[[tls.certificate]]
hosts = ["other.test"]
cert = "/etc/ssl/other.crt"
key = "/etc/ssl/other.key"

[dns]
servers = ["127.0.0.53", "192.0.2.1:5353", "[::1]:53"]
dnssec = false

[auth]
delay_after = 2
block_after = 5
block_seconds = 60
window_seconds = 120

[smtp]
max_message_size = 10485760
max_recipients = 200

[smtp.outbound]
port = 2526

[dkim]
selector = "s2026"
)";
  auto r = cfg::parse(text, "/etc/hearth/hearth.toml");
  INFO((r ? "" : r.error().message));
  REQUIRE(r.has_value());
  const cfg::config& c = *r;
  CHECK(c.file == "/etc/hearth/hearth.toml");
  CHECK(c.hostname == "mail.home.test");
  CHECK(c.data_dir == "/srv/hearth");
  CHECK(c.threads == 4);
  CHECK(c.ip4 == "192.0.2.10");
  CHECK(c.ip6 == "2001:db8::10");
  CHECK(c.log_level == "debug");
  CHECK(c.log_file == "/var/log/hearth.log");
  CHECK(c.listen_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(c.read_timeout_seconds == 60);
  CHECK(c.max_line_length == 4096);
  REQUIRE(c.listeners.size() == std::size(cfg::all_services));
  for (std::size_t i = 0; i < c.listeners.size(); ++i) CHECK(c.listeners[i].svc == cfg::all_services[i]);
  CHECK(c.listen(service::smtp).port == 2525);
  CHECK(c.listen(service::imaps).port == 0);
  CHECK(c.listen(service::https).port == 8443);
  CHECK(c.listen(service::submission).port == 587);  // untouched: the default
  CHECK(c.listen(service::xmpps_server).port == 5270);
  CHECK(c.bind_addresses(service::smtp) == std::vector<std::string>{"192.0.2.10"});
  CHECK(c.bind_addresses(service::imap) == std::vector<std::string>{"127.0.0.1", "::1"});
  REQUIRE(c.certificates.size() == 2);
  CHECK(c.certificates[0].hosts == std::vector<std::string>{"mail.home.test", "*.home.test"});
  CHECK(c.certificates[0].cert_file == "/etc/ssl/home.crt");
  CHECK(c.certificates[0].key_file == "/etc/ssl/home.key");
  CHECK(c.certificates[1].hosts == std::vector<std::string>{"other.test"});
  CHECK(c.dns_servers == std::vector<std::string>{"127.0.0.53", "192.0.2.1:5353", "[::1]:53"});
  CHECK_FALSE(c.dnssec);
  CHECK(c.auth_delay_after == 2);
  CHECK(c.auth_block_after == 5);
  CHECK(c.auth_block_seconds == 60);
  CHECK(c.auth_window_seconds == 120);
  CHECK(c.smtp_max_message_size == 10485760);
  CHECK(c.smtp_max_recipients == 200);
  CHECK(c.smtp_outbound_port == 2526);
  CHECK(c.dkim_selector == "s2026");
}

TEST_CASE("a minimal config gets every default", "[config]") {
  auto r = cfg::parse("server.hostname = \"h.test\"\n", "/etc/hearth/hearth.toml");
  REQUIRE(r.has_value());
  const cfg::config def;
  CHECK(r->data_dir == "/var/lib/hearth");
  CHECK(r->log_level == def.log_level);
  CHECK(r->listen_addresses == def.listen_addresses);
  for (service s : cfg::all_services) CHECK(r->listen(s).port == cfg::standard_port(s));
  CHECK(r->certificates.empty());
  CHECK(r->dnssec);
  CHECK(r->smtp_max_message_size == def.smtp_max_message_size);
  CHECK(r->smtp_outbound_port == 25);
  CHECK(r->dkim_selector == "hearth");
}

TEST_CASE("schema defaults agree with the struct initializers", "[config]") {
  const cfg::config c;
  const cfg::certificate cert;
  const cfg::route route;
  const cfg::xmpp_component component;
  for (const auto& k : cfg::detail::keys()) {
    if (k.required) continue;
    INFO(k.path);
    const void* obj = k.where == cfg::detail::scope::config      ? static_cast<const void*>(&c)
                      : k.where == cfg::detail::scope::route     ? static_cast<const void*>(&route)
                      : k.where == cfg::detail::scope::component ? static_cast<const void*>(&component)
                                                                 : &cert;
    CHECK(k.get(obj) == k.def);
    // Every default passes its own key's checks.
    if (auto i = std::get_if<std::int64_t>(&k.def)) CHECK_FALSE(cfg::detail::check_integer(k, *i));
    if (auto s = std::get_if<std::string>(&k.def)) CHECK_FALSE(cfg::detail::check_string(k, *s));
  }
}

TEST_CASE("service names, ports and TLS modes", "[config]") {
  CHECK(std::string(cfg::service_name(service::xmpp_client)) == "xmpp_client");
  CHECK(cfg::standard_port(service::submissions) == 465);
  CHECK(cfg::standard_port(service::managesieve) == 4190);
  CHECK(cfg::service_tls(service::imaps) == cfg::tls_mode::implicit);
  CHECK(cfg::service_tls(service::submission) == cfg::tls_mode::starttls);
  cfg::config empty;
  empty.listeners.clear();
  CHECK(empty.listen(service::pop3).port == 0);
  CHECK(empty.listen(service::pop3).svc == service::pop3);
}

TEST_CASE("each kind of error is reported at its line", "[config]") {
  SECTION("TOML syntax") {
    auto e = errors_of("[server]\nhostname = \"a.test\"\nthreads = = 3\n");
    CHECK(e.rfind("/etc/hearth/test.toml:3:", 0) == 0);
    CHECK(e.find("TOML syntax") != std::string::npos);
  }
  SECTION("unknown key") {
    auto e = errors_of("[server]\nhostname = \"a.test\"\n\ncolour = \"blue\"\n");
    CHECK(e == "/etc/hearth/test.toml:4:1: unknown key server.colour");
  }
  SECTION("unknown table") {
    auto e = errors_of("server.hostname = \"a.test\"\n[webmail]\nport = 80\n");
    CHECK(e.rfind("/etc/hearth/test.toml:2:", 0) == 0);
    CHECK(e.find("unknown table webmail") != std::string::npos);
  }
  SECTION("wrong type") {
    auto e = errors_of("[server]\nhostname = \"a.test\"\nthreads = \"four\"\n");
    CHECK(e == "/etc/hearth/test.toml:3:11: server.threads: expected an integer, got a string");
  }
  SECTION("wrong type of array element") {
    auto e = errors_of("server.hostname = \"a.test\"\n[listen]\naddresses = [\"::1\", 7]\n");
    CHECK(e == "/etc/hearth/test.toml:3:21: listen.addresses: expected strings, got an integer");
  }
  SECTION("port out of range") {
    auto e = errors_of("server.hostname = \"a.test\"\n[listen]\nimap = 70000\n");
    CHECK(e == "/etc/hearth/test.toml:3:8: listen.imap: 70000 is out of range 0..65535");
  }
  SECTION("threads out of range") {
    auto e = errors_of("[server]\nhostname = \"a.test\"\nthreads = 257\n");
    CHECK(e.find(":3:11: server.threads: 257 is out of range 0..256") != std::string::npos);
  }
  SECTION("log level name") {
    auto e = errors_of("server.hostname = \"a.test\"\n\n[log]\nlevel = \"verbose\"\n");
    CHECK(e == "/etc/hearth/test.toml:4:9: log.level: \"verbose\" is not one of trace|debug|info|warn|error");
  }
  SECTION("IP syntax") {
    CHECK(errors_of("[server]\nhostname = \"a.test\"\nip4 = \"192.0.2\"\n").find(":3:7: server.ip4: \"192.0.2\" is not an IPv4 address") !=
          std::string::npos);
    CHECK(errors_of("[server]\nhostname = \"a.test\"\nip6 = \"192.0.2.1\"\n").find(":3:7: server.ip6:") != std::string::npos);
    CHECK(errors_of("server.hostname = \"a.test\"\nlisten.addresses = [\"localhost\"]\n").find(":2:21: listen.addresses:") !=
          std::string::npos);
    CHECK(errors_of("server.hostname = \"a.test\"\ndns.servers = [\"1.2.3.4:99999\"]\n").find(":2:16: dns.servers:") !=
          std::string::npos);
  }
  SECTION("missing required key") {
    auto e = errors_of("# nothing but a comment\n[server]\nthreads = 2\n");
    CHECK(e == "/etc/hearth/test.toml:2:1: missing required key server.hostname");
    CHECK(errors_of("") == "/etc/hearth/test.toml:1:1: missing required key server.hostname");
  }
  SECTION("incomplete certificate") {
    auto e = errors_of("server.hostname = \"a.test\"\n\n[[tls.certificate]]\nhosts = [\"a.test\"]\ncert = \"a.crt\"\n");
    CHECK(e == "/etc/hearth/test.toml:3:1: [[tls.certificate]]: missing required key key");
  }
  SECTION("certificate as a plain table") {
    auto e = errors_of("server.hostname = \"a.test\"\n[tls.certificate]\ncert = \"a.crt\"\n");
    CHECK(e.find("tls.certificate: expected [[tls.certificate]] blocks, got a table") != std::string::npos);
  }
  SECTION("two listeners on one port") {
    auto e = errors_of("server.hostname = \"a.test\"\n[listen]\nimap = 2000\npop3 = 2000\n");
    CHECK(e == "/etc/hearth/test.toml:4:1: listen.pop3: port 2000 is already used by listen.imap");
  }
  SECTION("a table where a key is expected, and the reverse") {
    CHECK(errors_of("listen = 3\nserver.hostname = \"a.test\"\n").find(":1:10: listen: expected a table, got an integer") !=
          std::string::npos);
    CHECK(errors_of("server.hostname = \"a.test\"\n[log.level]\nx = 1\n").find("log.level: expected a string, got a table") !=
          std::string::npos);
  }
}

TEST_CASE("several errors in one file are all reported, in line order", "[config]") {
  const char* text = R"([server]
threads = 1000
ip4 = "not an ip"

[listen]
smpt = 25
imap = -1

[dkim]
selector = ""
)";
  auto e = lines_of(errors_of(text));
  REQUIRE(e.size() == 6);
  CHECK(e[0] == "/etc/hearth/test.toml:1:1: missing required key server.hostname");
  CHECK(e[1].rfind("/etc/hearth/test.toml:2:11: server.threads:", 0) == 0);
  CHECK(e[2].rfind("/etc/hearth/test.toml:3:7: server.ip4:", 0) == 0);
  CHECK(e[3] == "/etc/hearth/test.toml:6:1: unknown key listen.smpt (did you mean listen.smtp?)");
  CHECK(e[4].rfind("/etc/hearth/test.toml:7:8: listen.imap: -1 is out of range", 0) == 0);
  CHECK(e[5] == "/etc/hearth/test.toml:10:12: dkim.selector: must not be empty");
}

TEST_CASE("unknown keys get the closest known key suggested", "[config]") {
  CHECK(errors_of("[server]\nhostnme = \"a.test\"\n").find("unknown key server.hostnme (did you mean server.hostname?)") !=
        std::string::npos);
  CHECK(errors_of("[server]\nhostname = \"a.test\"\nDNSSEC = true\n").find(
            "unknown key server.DNSSEC (did you mean dns.dnssec?)") != std::string::npos);
  CHECK(errors_of("server.hostname = \"a.test\"\n[smtp.outbund]\nport = 2525\n").find(
            "unknown table smtp.outbund (did you mean smtp.outbound?)") != std::string::npos);
  // Nothing near: no suggestion.
  auto e = errors_of("server.hostname = \"a.test\"\nzzzzzzzz = 1\n");
  CHECK(e == "/etc/hearth/test.toml:2:1: unknown key zzzzzzzz");
}

TEST_CASE("relative paths resolve against the config file's folder", "[config]") {
  const char* text = R"(
[server]
hostname = "a.test"
data_dir = "data"
[log]
file = "../log/hearth.log"
[[tls.certificate]]
hosts = ["a.test"]
cert = "tls/a.crt"
key = "/abs/a.key"
)";
  auto r = cfg::parse(text, "/srv/site/conf/hearth.toml");
  INFO((r ? "" : r.error().message));
  REQUIRE(r.has_value());
  CHECK(r->data_dir == "/srv/site/conf/data");
  CHECK(r->log_file == "/srv/site/log/hearth.log");
  CHECK(r->certificates.at(0).cert_file == "/srv/site/conf/tls/a.crt");
  CHECK(r->certificates.at(0).key_file == "/abs/a.key");
}

TEST_CASE("load reads a file and reports unreadable ones as config.io", "[config]") {
  auto missing = cfg::load("/nonexistent/hearth.toml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == "config.io");

  auto dir = std::filesystem::temp_directory_path() / ("hearth_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "hearth.toml";
  std::ofstream(file) << "server.hostname = \"a.test\"\nserver.data_dir = \"d\"\n";
  auto r = cfg::load(file);
  REQUIRE(r.has_value());
  CHECK(r->data_dir == dir / "d");
  CHECK(r->file == file);
  std::ofstream(file) << "server.hostname = 5\n";
  auto bad = cfg::load(file);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.rfind(file.string() + ":1:19:", 0) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("render with a port offset and one listen address round-trips", "[config]") {
  cfg::quickstart_values v;
  v.hostname = "mail.dev.test";
  v.data_dir = "state";
  v.port_offset = 10000;
  v.listen = "127.0.0.1";
  v.ip4 = "127.0.0.1";
  v.ip6 = "::1";
  v.dns_servers = {"127.0.0.1:5353"};
  v.certificates.push_back(cfg::certificate{{"mail.dev.test"}, "tls/dev.crt", "tls/dev.key"});
  const std::string text = cfg::render(v);
  // Every key is there, each under its comment.
  for (const auto& k : cfg::detail::keys()) {
    INFO(k.path);
    if (k.where == cfg::detail::scope::route || k.where == cfg::detail::scope::component) {
      // no route or component by default: the block is shown commented
      CHECK(text.find("\n# " + k.name() + " = ") != std::string::npos);
      continue;
    }
    auto at = text.find("\n" + k.name() + " = ");
    REQUIRE(at != std::string::npos);
    CHECK(text.rfind("\n# ", at) > text.rfind("\n[", at));
  }
  auto r = cfg::parse(text, "/home/me/hearth/hearth.toml");
  INFO((r ? "" : r.error().message));
  REQUIRE(r.has_value());
  CHECK(r->hostname == "mail.dev.test");
  CHECK(r->data_dir == "/home/me/hearth/state");
  CHECK(r->listen_addresses == std::vector<std::string>{"127.0.0.1"});
  for (service s : cfg::all_services) CHECK(r->listen(s).port == cfg::standard_port(s) + 10000);
  CHECK(r->ip4 == "127.0.0.1");
  CHECK(r->ip6 == "::1");
  CHECK(r->dns_servers == v.dns_servers);
  REQUIRE(r->certificates.size() == 1);
  CHECK(r->certificates[0].hosts == v.certificates[0].hosts);
  CHECK(r->certificates[0].cert_file == "/home/me/hearth/tls/dev.crt");
  CHECK(r->smtp_outbound_port == 25);
}

TEST_CASE("render without certificates documents the block and still parses", "[config]") {
  cfg::quickstart_values v;
  v.hostname = "h.test";
  auto text = cfg::render(v);
  CHECK(text.find("# [[tls.certificate]]") != std::string::npos);
  auto r = cfg::parse(text, "/x/hearth.toml");
  REQUIRE(r.has_value());
  CHECK(r->certificates.empty());
  CHECK(r->data_dir == "/var/lib/hearth");
}

TEST_CASE("render escapes strings so they parse back", "[config]") {
  cfg::quickstart_values v;
  v.hostname = "h.test";
  v.data_dir = "dir with \"quotes\" and \\ and \t tab";
  auto r = cfg::parse(cfg::render(v), "/x/hearth.toml");
  REQUIRE(r.has_value());
  CHECK(r->data_dir == "/x/dir with \"quotes\" and \\ and \t tab");
}

TEST_CASE("an offset pushing ports past 65535 is written as is and rejected", "[config]") {
  cfg::quickstart_values v;
  v.hostname = "h.test";
  v.port_offset = 62000;
  auto e = cfg::parse(cfg::render(v), "/x/hearth.toml");
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().message.find("listen.managesieve: 66190 is out of range 0..65535") != std::string::npos);
}

TEST_CASE("the example parses and matches conf/hearth.toml.example", "[config]") {
  auto ex = cfg::example();
  auto r = cfg::parse(ex, "/etc/hearth/hearth.toml");
  REQUIRE(r.has_value());
  CHECK(r->hostname == "mail.example.org");
  CHECK(r->data_dir == "/etc/hearth/data");
  REQUIRE(r->certificates.size() == 1);

  const char* src = std::getenv("HEARTH_SOURCE_DIR");
  REQUIRE(src != nullptr);  // set by CTest; run by hand with HEARTH_SOURCE_DIR=/path/to/repo
  std::ifstream in(std::filesystem::path(src) / "conf/hearth.toml.example", std::ios::binary);
  REQUIRE(in.good());
  std::stringstream committed;
  committed << in.rdbuf();
  // On a mismatch: regenerate with `hearth config example > conf/hearth.toml.example`.
  CHECK(committed.str() == ex);
}

TEST_CASE("parse_server_address accepts the documented forms only", "[config]") {
  auto a = cfg::parse_server_address("192.0.2.1");
  REQUIRE(a);
  CHECK(a->ip == "192.0.2.1");
  CHECK(a->port == 53);
  a = cfg::parse_server_address("192.0.2.1:5353");
  REQUIRE(a);
  CHECK(a->port == 5353);
  a = cfg::parse_server_address("[::1]:53");
  REQUIRE(a);
  CHECK(a->ip == "::1");
  a = cfg::parse_server_address("2001:db8::1");
  REQUIRE(a);
  CHECK(a->ip == "2001:db8::1");
  CHECK(a->port == 53);
  for (const char* bad : {"", "host:53", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536", "[::1", "[::1]x",
                          "[192.0.2.1]:53", "::1:53:x", "192.0.2.1:53x", "1.2.3.4.5"})
    CHECK_FALSE(cfg::parse_server_address(bad));
}

TEST_CASE("garbage and oversized input give errors, not crashes", "[config]") {
  CHECK_FALSE(cfg::parse(std::string(2 << 20, 'a'), "big.toml"));
  CHECK_FALSE(cfg::parse(std::string_view("\0\xff\xfe[[[", 7), "bin.toml"));
  std::string many = "server.hostname = \"a.test\"\n";
  for (int i = 0; i < 200; ++i) many += "k" + std::to_string(i) + " = 1\n";
  auto e = lines_of(errors_of(many));
  CHECK(e.size() == 51);
  CHECK(e.back() == "/etc/hearth/test.toml: 150 more problems");
}

TEST_CASE("[[smtp.route]] blocks: patterns, relays, credentials", "[config]") {
  auto r = cfg::parse("server.hostname = \"a.test\"\n"
                      "[[smtp.route]]\ndomains = [\"hotmail.com\", \"*.outlook.com\"]\nrelay = \"smtp.relay.example:587\"\n"
                      "username = \"me\"\npassword_file = \"relay.pw\"\n"
                      "[[smtp.route]]\nmx = [\"*.mail.protection.outlook.com\"]\nfallback_relay = \"[2001:db8::1]:2525\"\n",
                      "/etc/hearth/test.toml");
  REQUIRE(r.has_value());
  REQUIRE(r->smtp_routes.size() == 2);
  CHECK(r->smtp_routes[0].domains == std::vector<std::string>{"hotmail.com", "*.outlook.com"});
  CHECK(r->smtp_routes[0].relay == "smtp.relay.example:587");
  CHECK(r->smtp_routes[0].password_file == "/etc/hearth/relay.pw");
  CHECK(r->smtp_routes[1].mx == std::vector<std::string>{"*.mail.protection.outlook.com"});
  CHECK(r->smtp_routes[1].fallback_relay == "[2001:db8::1]:2525");

  auto errors = [](std::string_view text) {
    auto e = cfg::parse(text, "/etc/hearth/test.toml");
    return e ? std::string() : e.error().message;
  };
  const std::string head = "server.hostname = \"a.test\"\n[[smtp.route]]\n";
  CHECK(errors(head + "domains = [\"*\"]\nrelay = \"smtp.example\"\n").find("is not \"host:port\"") != std::string::npos);
  CHECK(errors(head + "domains = [\"*\"]\nrelay = \"smtp.example:70000\"\n").find("smtp.route.relay") != std::string::npos);
  CHECK(errors(head + "domains = [\"a*b\"]\nrelay = \"smtp.example:25\"\n").find("is not a DNS name, *.name or *") !=
        std::string::npos);
  CHECK(errors(head + "relay = \"smtp.example:25\"\n").find("needs domains or mx") != std::string::npos);
  CHECK(errors(head + "domains = [\"*\"]\n").find("needs relay or fallback_relay") != std::string::npos);
  CHECK(errors(head + "domains = [\"*\"]\nrelay = \"smtp.example:25\"\nusername = \"u\"\n").find("go together") !=
        std::string::npos);
  CHECK(errors(head + "domains = [\"*\"]\nrelay = \"smtp.example:25\"\nrelais = \"x\"\n").find("unknown key smtp.route.relais") !=
        std::string::npos);
  // The example config documents the block without enabling one.
  auto example = cfg::parse(cfg::example(), "/x/hearth.toml");
  REQUIRE(example.has_value());
  CHECK(example->smtp_routes.empty());
  CHECK(cfg::example().find("# [[smtp.route]]") != std::string::npos);
}

TEST_CASE("[database]: empty is SQLite; PostgreSQL URLs and libpq keywords; errors never show the URL",
          "[config]") {
  auto ok = [](std::string_view body) {
    auto r = cfg::parse("server.hostname = \"a.test\"\n[database]\n" + std::string(body) + "\n", "/etc/hearth/test.toml");
    INFO(body);
    REQUIRE(r.has_value());
    return *r;
  };
  SECTION("defaults: no url, blobs in the data directory") {
    auto c = ok("");
    CHECK(c.database_url.empty());
    CHECK(c.database_blobs.empty());
  }
  SECTION("accepted forms") {
    CHECK(ok("url = \"postgres://hearth:s3cret@db.example.org:5432/hearth\"").database_url ==
          "postgres://hearth:s3cret@db.example.org:5432/hearth");
    CHECK(ok("url = \"postgresql:///hearth?host=/run/postgresql\"").database_url.starts_with("postgresql://"));
    CHECK(ok("url = \"host=/tmp/pg port=5433 user=hearth dbname=postgres\"").database_url.starts_with("host="));
    CHECK(ok("url = \"dbname=hearth password='a b\\\\' c'\"").database_url.starts_with("dbname="));
  }
  SECTION("blobs: relative to the config file's folder") {
    CHECK(ok("blobs = \"shared/blobs\"").database_blobs == "/etc/hearth/shared/blobs");
    CHECK(ok("blobs = \"/srv/hearth-blobs\"").database_blobs == "/srv/hearth-blobs");
  }
  SECTION("refused, with the key and line but never the value") {
    for (std::string bad : {"mysql://root:s3cret@db/hearth", "/var/lib/hearth/hearth.db", "user=hearth password=s3cret",
                            "postgres://u:s3cret@db /x", "host='/tmp/pg password=s3cret", "s3cret"}) {
      INFO(bad);
      auto e = errors_of("server.hostname = \"a.test\"\n[database]\nurl = \"" + bad + "\"\n");
      CHECK(e.rfind("/etc/hearth/test.toml:3:", 0) == 0);
      CHECK(e.find("database.url:") != std::string::npos);
      CHECK(e.find("s3cret") == std::string::npos);
      CHECK(e.find("hearth.db") == std::string::npos);
    }
    auto e = errors_of("server.hostname = \"a.test\"\n[database]\nurl = \"postgres://u:s3cret@db/x\\u0001\"\n");
    CHECK(e.find("control character") != std::string::npos);
    CHECK(e.find("s3cret") == std::string::npos);
  }
}

TEST_CASE("xmpp.node_heartbeat must be under a third of xmpp.node_lease", "[config]") {
  auto ok = cfg::parse("server.hostname = \"a.test\"\n[xmpp]\nnode_lease = 4\nnode_heartbeat = 1\n", "/etc/hearth/test.toml");
  REQUIRE(ok.has_value());
  CHECK(ok->xmpp_node_lease == 4);
  CHECK(ok->xmpp_node_heartbeat == 1);
  auto d = cfg::parse("server.hostname = \"a.test\"\n", "/etc/hearth/test.toml");
  REQUIRE(d.has_value());
  CHECK(d->xmpp_node_lease == 90);
  CHECK(d->xmpp_node_heartbeat == 5);
  auto e = errors_of("server.hostname = \"a.test\"\n[xmpp]\nnode_lease = 30\nnode_heartbeat = 10\n");
  CHECK(e == "/etc/hearth/test.toml:4:1: xmpp.node_heartbeat: 10 s must be under a third of xmpp.node_lease (30 s)");
  e = errors_of("server.hostname = \"a.test\"\n[xmpp]\nnode_lease = 12\n");
  CHECK(e.find(":3:") != std::string::npos);
  CHECK(e.find("must be under a third of xmpp.node_lease (12 s)") != std::string::npos);
}
