// Golden tests of the zone generator: each configuration's output is compared byte for byte
// with rfc6764/testdata/NAME.zone (and one .json), and each zone file is also given to
// kzonecheck and named-checkzone, which must both accept it. HEARTH_UPDATE_GOLDEN=1 rewrites
// the files instead and fails, so unchecked output is never committed by accident.
#include "rfc6764/zone.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rfc6764/autoconfig.hpp"

using namespace hearth;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

fs::path testdata() {
  const char* src = std::getenv("HEARTH_SOURCE_DIR");
  if (!src) FAIL("HEARTH_SOURCE_DIR is not set (ctest sets it)");
  return fs::path(src) / "rfc6764" / "testdata";
}

// A scratch folder, removed at the end of the test case.
struct scratch {
  fs::path dir;
  scratch() {
    std::string tmpl = (fs::temp_directory_path() / "hearth-zone-test-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// The one place a golden file is compared (or rewritten).
void golden(const std::string& name, const std::string& actual) {
  fs::path file = testdata() / name;
  if (const char* u = std::getenv("HEARTH_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    write_file(file, actual);
    FAIL_CHECK("rewrote " << file.string() << ": check the diff, then run again without HEARTH_UPDATE_GOLDEN");
    return;
  }
  REQUIRE(fs::exists(file));
  std::string expected = read_file(file);
  if (expected != actual) {
    fs::path got = fs::temp_directory_path() / ("hearth-golden-actual-" + name);
    write_file(got, actual);
    FAIL("output differs from " << file.string() << "; actual output in " << got.string());
  }
}

// Both validators must accept the file. A zone needs a SOA and NS, which are the DNS host's
// and so not in our output: a test SOA/NS (and an address for the NS) go in front.
void validate(const scratch& s, const std::string& domain, const std::string& zone_text) {
  fs::path f = s.dir / (domain + ".zone");
  fs::path log = s.dir / "validate.log";
  write_file(f, domain + ". 3600 IN SOA ns." + domain + ". hostmaster." + domain + ". 1 3600 600 86400 300\n" +
                    domain + ". 3600 IN NS ns." + domain + ".\n" + "ns." + domain + ". 3600 IN A 192.0.2.53\n" +
                    zone_text);
  for (std::string tool : {"kzonecheck -o", "named-checkzone"}) {
    std::string cmd = tool + " " + domain + " " + f.string() + " >" + log.string() + " 2>&1";
    int rc = std::system(cmd.c_str());
    INFO(cmd << "\n" << read_file(log));
    CHECK(rc == 0);
  }
}

// What the PACC digest is taken of; the real document comes from the autoconfig module.
const char* const pacc_doc = "{\"test\": \"a fixed PACC document\"}\n";

// A directory in a scratch file holding `domains`, with the fixed test keys added by add_key.
struct fixture {
  scratch s;
  std::unique_ptr<directory::directory> dir;
  config::config c;

  explicit fixture(std::initializer_list<const char*> domains) {
    auto d = directory::directory::open(s.dir / "hearth.db");
    REQUIRE(d);
    dir = std::move(*d);
    for (const char* name : domains) REQUIRE(dir->add_domain(name));
    c.hostname = "mail.example.org";
    c.ip4 = "203.0.113.7";
    c.ip6 = "2001:db8::7";
  }
  void add_key(const char* domain, const char* selector, const char* algorithm, const char* pem_file) {
    REQUIRE(dir->add_dkim_key(domain, selector, algorithm, read_file(testdata() / pem_file)));
  }
  void add_default_keys(const char* domain) {
    add_key(domain, "hearth", "rsa-sha256", "dkim-rsa.pem");
    add_key(domain, "hearth-ed25519", "ed25519-sha256", "dkim-ed25519.pem");
  }
  void set_port(config::service svc, std::uint16_t port) {
    for (auto& l : c.listeners)
      if (l.svc == svc) l.port = port;
  }
  rfc6764::zone_plan plan(rfc6764::zone_input in) {
    auto p = rfc6764::plan_zone(c, *dir, in);
    REQUIRE(p);
    return *p;
  }
  // Prints the plan, compares it with the golden file and validates it.
  // The PACC digest is taken of fixed bytes, so the golden files do not follow the PACC
  // document's own changes (autoconfig's tests cover that document).
  rfc6764::zone_plan check_zone(const std::string& golden_name, rfc6764::zone_input in) {
    if (!in.pacc_document) in.pacc_document = pacc_doc;
    auto p = plan(std::move(in));
    std::string text = rfc6764::to_bind(p, c.zone_ttl);
    golden(golden_name, text);
    validate(s, p.domain, text);
    return p;
  }
};

const rfc6764::zone_record* find(const rfc6764::zone_plan& p, const std::string& name, const std::string& type) {
  for (const auto& r : p.records)
    if (r.name == name && r.type == type) return &r;
  return nullptr;
}

int count(const rfc6764::zone_plan& p, const std::string& name, const std::string& type) {
  int n = 0;
  for (const auto& r : p.records) n += r.name == name && r.type == type;
  return n;
}


}  // namespace

TEST_CASE("zone: single domain, golden zone and JSON") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  f.c.zone_caa = {"letsencrypt.org"};
  f.c.zone_spf_extra = {"198.51.100.0/24", "2001:db8:1::/48"};
  auto p = f.check_zone("single.zone", {"example.org"});
  golden("single.json", rfc6764::to_json(p));

  CHECK(p.domain == "example.org");
  REQUIRE(find(p, "example.org", "MX"));
  CHECK(find(p, "example.org", "MX")->value == "10 mail.example.org");
  CHECK(find(p, "mail.example.org", "A")->value == "203.0.113.7");
  CHECK(find(p, "_imaps._tcp.example.org", "SRV")->value == "0 1 993 mail.example.org");
  CHECK(find(p, "_sieve._tcp.example.org", "SRV")->value == "0 1 4190 mail.example.org");  // RFC 5804 §1.8
  CHECK(find(p, "_caldav._tcp.example.org", "SRV")->value == "0 0 0 .");
  CHECK(find(p, "_caldavs._tcp.example.org", "TXT")->value == "path=/.well-known/caldav");
  // XEP-0156 §3: both web transports, at the same name.
  CHECK(count(p, "_xmppconnect.example.org", "TXT") == 2);
  CHECK(find(p, "_xmppconnect.example.org", "TXT")->value == "_xmpp-client-websocket=wss://mail.example.org/xmpp-websocket");
  CHECK(p.records[find(p, "_xmppconnect.example.org", "TXT") - p.records.data() + 1].value ==
        "_xmpp-client-xbosh=https://mail.example.org/http-bind");
  CHECK(find(p, "example.org", "TXT")->value ==
        "v=spf1 mx ip4:203.0.113.7 ip6:2001:db8::7 ip4:198.51.100.0/24 ip6:2001:db8:1::/48 -all");
  CHECK(find(p, "_dmarc.example.org", "TXT")->value == "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org");
  CHECK(find(p, "hearth-ed25519._domainkey.example.org", "TXT")->value.starts_with("v=DKIM1; k=ed25519; p="));
  CHECK(find(p, "_ua-auto-config.example.org", "TXT")->value.starts_with("v=UAAC1; a=sha256; d="));
  // Exactly one SRV per service name.
  for (const auto& r : p.records)
    if (r.type == "SRV") CHECK(count(p, r.name, "SRV") == 1);
  // The PTR is the provider's: a note, not a record.
  bool ptr_note = false;
  for (const auto& n : p.notes) ptr_note |= n.find("7.113.0.203.in-addr.arpa. PTR mail.example.org.") != std::string::npos;
  CHECK(ptr_note);
  CHECK(count(p, "mail.example.org", "PTR") == 0);
}

TEST_CASE("zone: the second of several domains") {
  fixture f({"example.org", "example.net"});
  f.add_default_keys("example.org");
  f.add_key("example.net", "hearth", "rsa-sha256", "dkim-rsa2.pem");
  auto p = f.check_zone("several.zone", {"example.net"});
  CHECK(find(p, "example.net", "MX")->value == "10 mail.example.org");
  // The host lives in the other domain's zone: its address records are planned under their
  // absolute name, and a note says where they belong.
  CHECK(find(p, "mail.example.org", "A"));
  bool other_zone = false;
  for (const auto& n : p.notes) other_zone |= n.find("not part of example.net") != std::string::npos;
  CHECK(other_zone);
  CHECK(find(p, "autoconfig.example.net", "CNAME")->value == "mail.example.org");
  CHECK(count(p, "hearth-ed25519._domainkey.example.net", "TXT") == 0);
}

TEST_CASE("zone: group chat, upload and external components are reachable over s2s") {
  fixture f({"example.org", "example.net"});
  f.c.xmpp_components = {{"push.example.org", "Push", "/dev/null"},
                         {"bot.example.net", "Bot", "/dev/null"},
                         {"gateway.elsewhere.test", "Gateway", "/dev/null"}};
  f.set_port(config::service::xmpp_server, 5270);
  auto p = f.plan({"example.org"});
  // RFC 6120 §3.2.1: other servers look up _xmpp-server._tcp.NAME for every name we serve.
  REQUIRE(find(p, "_xmpp-server._tcp.conference.example.org", "SRV"));
  CHECK(find(p, "_xmpp-server._tcp.conference.example.org", "SRV")->value == "0 1 5270 mail.example.org");
  REQUIRE(find(p, "_xmpp-server._tcp.upload.example.org", "SRV"));
  CHECK(find(p, "_xmpp-server._tcp.upload.example.org", "SRV")->value == "0 1 5270 mail.example.org");
  CHECK(find(p, "upload.example.org", "CNAME"));
  REQUIRE(find(p, "_xmpp-server._tcp.push.example.org", "SRV"));
  CHECK(find(p, "_xmpp-server._tcp.push.example.org", "SRV")->value == "0 1 5270 mail.example.org");
  CHECK(find(p, "_xmpps-server._tcp.push.example.org", "SRV"));
  // A component under the other local domain belongs to that zone, not this one.
  CHECK(!find(p, "_xmpp-server._tcp.bot.example.net", "SRV"));
  auto q = f.plan({"example.net"});
  CHECK(find(q, "_xmpp-server._tcp.bot.example.net", "SRV"));
  CHECK(!find(q, "_xmpp-server._tcp.push.example.org", "SRV"));
  // A component under no local domain: a note with the record to publish elsewhere.
  bool noted = false;
  for (const auto& n : p.notes)
    noted |= n.find("gateway.elsewhere.test") != std::string::npos && n.find("SRV 0 1 5270 mail.example.org.") != std::string::npos;
  CHECK(noted);
  for (const auto& r : p.records)
    if (r.type == "SRV") CHECK(count(p, r.name, "SRV") == 1);
}

TEST_CASE("zone: backup MX") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  f.c.zone_backup_mx = {"backup.example.net", "MX2.example.org."};
  auto p = f.check_zone("backup_mx.zone", {"example.org"});
  CHECK(count(p, "example.org", "MX") == 3);
  CHECK(p.records[1].value == "20 backup.example.net");
  CHECK(p.records[2].value == "30 mx2.example.org");
}

TEST_CASE("zone: IPv6 only, address given on the command line") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  f.c.ip4.clear();
  f.c.ip6.clear();
  auto p = f.check_zone("ipv6_only.zone", {"example.org", "", "2001:DB8:0:0::25"});
  CHECK(find(p, "mail.example.org", "AAAA")->value == "2001:db8::25");
  CHECK(!find(p, "mail.example.org", "A"));
  CHECK(find(p, "example.org", "TXT")->value == "v=spf1 mx ip6:2001:db8::25 -all");
  bool ptr6 = false;
  for (const auto& n : p.notes)
    ptr6 |= n.find("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.") != std::string::npos;
  CHECK(ptr6);
}

TEST_CASE("zone: outgoing source addresses (smtp.queue.bind_addresses) join SPF and need a PTR") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  f.c.smtp_queue_bind_addresses = {"203.0.113.7", "198.51.100.25", "2001:DB8:0::26"};
  rfc6764::zone_input in{"example.org"};
  in.pacc_document = "{}";
  auto p = f.plan(in);
  // The server's own address is not repeated; the others are canonical.
  CHECK(find(p, "example.org", "TXT")->value == "v=spf1 mx ip4:203.0.113.7 ip6:2001:db8::7 ip4:198.51.100.25 ip6:2001:db8::26 -all");
  CHECK(p.outgoing == std::vector<std::string>{"198.51.100.25", "2001:db8::26"});
  bool ptr = false;
  for (const auto& n : p.notes) ptr |= n.find("25.100.51.198.in-addr.arpa. PTR mail.example.org.") != std::string::npos;
  CHECK(ptr);
}

TEST_CASE("zone: several DKIM selectors") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  f.add_key("example.org", "s2026", "rsa-sha256", "dkim-rsa2.pem");
  auto p = f.check_zone("dkim_selectors.zone", {"example.org"});
  CHECK(count(p, "hearth._domainkey.example.org", "TXT") == 1);
  CHECK(count(p, "hearth-ed25519._domainkey.example.org", "TXT") == 1);
  CHECK(count(p, "s2026._domainkey.example.org", "TXT") == 1);
  CHECK(find(p, "s2026._domainkey.example.org", "TXT")->value != find(p, "hearth._domainkey.example.org", "TXT")->value);
}

TEST_CASE("zone: disabled listeners publish \"0 0 0 .\" and ports follow the config") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  f.set_port(config::service::pop3, 0);
  f.set_port(config::service::pop3s, 0);
  f.set_port(config::service::xmpps_server, 0);
  f.set_port(config::service::imaps, 10993);
  auto p = f.check_zone("disabled.zone", {"example.org"});
  CHECK(find(p, "_pop3._tcp.example.org", "SRV")->value == "0 0 0 .");
  CHECK(find(p, "_pop3s._tcp.example.org", "SRV")->value == "0 0 0 .");
  CHECK(find(p, "_xmpps-server._tcp.example.org", "SRV")->value == "0 0 0 .");
  CHECK(find(p, "_imaps._tcp.example.org", "SRV")->value == "0 1 10993 mail.example.org");
}

TEST_CASE("zone: without HTTPS, nothing that HTTPS serves is announced") {
  fixture f({"example.org"});
  f.set_port(config::service::https, 0);
  auto p = f.plan({"example.org"});
  CHECK(find(p, "_caldavs._tcp.example.org", "SRV")->value == "0 0 0 .");
  CHECK(!find(p, "_caldavs._tcp.example.org", "TXT"));
  CHECK(!find(p, "_mta-sts.example.org", "TXT"));
  CHECK(!find(p, "_xmppconnect.example.org", "TXT"));
  CHECK(!find(p, "autoconfig.example.org", "CNAME"));
  bool dkim_note = false;
  for (const auto& n : p.notes) dkim_note |= n.find("hearth dkim generate example.org") != std::string::npos;
  CHECK(dkim_note);
  scratch s;
  validate(s, p.domain, rfc6764::to_bind(p, 300));
}

TEST_CASE("zone: a host name that is one of the CNAME names gets no CNAME") {
  fixture f({"example.org"});
  f.c.hostname = "autoconfig.example.org";
  auto p = f.plan({"example.org"});
  CHECK(!find(p, "autoconfig.example.org", "CNAME"));
  CHECK(find(p, "autoconfig.example.org", "A"));
  CHECK(find(p, "autodiscover.example.org", "CNAME")->value == "autoconfig.example.org");
  f.c.hostname = "example.org";
  p = f.plan({"example.org"});
  CHECK(find(p, "example.org", "A"));
  CHECK(find(p, "example.org", "MX")->value == "10 example.org");
  scratch s;
  validate(s, p.domain, rfc6764::to_bind(p, 300));
}

TEST_CASE("zone: the PACC record vouches for the document the server serves") {
  fixture f({"example.org"});
  auto p = f.plan({"example.org"});
  REQUIRE(find(p, "_ua-auto-config.example.org", "TXT"));
  CHECK(find(p, "_ua-auto-config.example.org", "TXT")->value == rfc6764::pacc_txt_record(f.c, "example.org"));
  CHECK(find(p, "ua-auto-config.example.org", "CNAME")->value == "mail.example.org");
}

TEST_CASE("zone: errors") {
  fixture f({"example.org"});
  auto e = rfc6764::plan_zone(f.c, *f.dir, {"example.com"});
  REQUIRE(!e);
  CHECK(e.error().code == "zone.not_ours");
  CHECK(rfc6764::plan_zone(f.c, *f.dir, {"not a domain"}).error().code == "zone.not_ours");
  CHECK(rfc6764::plan_zone(f.c, *f.dir, {"example.org", "300.1.2.3"}).error().code == "zone.invalid");
  CHECK(rfc6764::plan_zone(f.c, *f.dir, {"example.org", "", "192.0.2.1"}).error().code == "zone.invalid");
  CHECK(rfc6764::plan_zone(f.c, *f.dir, {"EXAMPLE.org"}));
}

TEST_CASE("zone: TXT quoting and splitting") {
  CHECK(rfc6764::quote_txt_rdata("") == "\"\"");
  CHECK(rfc6764::quote_txt_rdata("v=spf1 mx -all") == "\"v=spf1 mx -all\"");
  CHECK(rfc6764::quote_txt_rdata("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(rfc6764::quote_txt_rdata(std::string("x\ny\x7f", 4)) == "\"x\\010y\\127\"");
  std::string long_text(255, 'a');
  long_text += "b\"";
  // Split on raw octets: the quote after the boundary is escaped inside the second string.
  CHECK(rfc6764::quote_txt_rdata(long_text) == "\"" + std::string(255, 'a') + "\" \"b\\\"\"");
  CHECK(rfc6764::quote_txt_rdata(std::string(510, 'z')) ==
        "\"" + std::string(255, 'z') + "\" \"" + std::string(255, 'z') + "\"");
}

TEST_CASE("zone: reverse names and JSON escaping") {
  CHECK(rfc6764::reverse_name("203.0.113.7") == "7.113.0.203.in-addr.arpa");
  CHECK(rfc6764::reverse_name("::1") == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
  CHECK(rfc6764::reverse_name("mail.example.org").empty());
  rfc6764::zone_plan p;
  p.domain = "example.org";
  p.records.push_back({"example.org", "TXT", "say \"hi\"\\", "tab\there, caf\xc3\xa9, bad \xff, \xf0\x9f\x93\xa7", "G"});
  std::string j = rfc6764::to_json(p);
  CHECK(j.find(R"("value": "say \"hi\"\\")") != std::string::npos);
  CHECK(j.find(R"("comment": "tab\there, caf\u00e9, bad \ufffd, \ud83d\udce7")") != std::string::npos);
  CHECK(j.find("\"notes\": []") != std::string::npos);
}

TEST_CASE("zone: DANE publishes TLSA 3 1 1 of the current and the next key at the MX host") {
  fixture f({"example.org"});
  f.add_default_keys("example.org");
  rfc6764::zone_input in{"example.org"};
  const std::string cur = "3 1 1 " + std::string(64, 'a'), next = "3 1 1 " + std::string(64, 'b');
  in.tlsa = {cur, next};
  auto p = f.check_zone("dane.zone", in);
  REQUIRE(count(p, "_25._tcp.mail.example.org", "TLSA") == 2);
  CHECK(find(p, "_25._tcp.mail.example.org", "TLSA")->value == cur);
  const std::string text = rfc6764::to_bind(p, 3600);
  CHECK(text.find("_25._tcp.mail ") != std::string::npos);
  CHECK(text.find("TLSA  " + cur) != std::string::npos);
  // Without keys, nothing.
  CHECK(count(f.plan({"example.org"}), "_25._tcp.mail.example.org", "TLSA") == 0);
}
