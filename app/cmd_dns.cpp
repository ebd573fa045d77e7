// `hearth dns`: DNS tools. One table line per sub-subcommand; `dns zone` (rfc6764 zone generator)
// and `dns check` join the table later.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>
#include <set>
#include <filesystem>
#include <string>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "core/dns/resolver.hpp"
#include "core/util/strings.hpp"

namespace hearth::app {
namespace {

namespace asio = boost::asio;

struct subcommand {
  const char* name;
  int (*run)(const globals&, const args&);
  const char* summary;
};

int dns_lookup(const globals& g, const args& a);

const subcommand subcommands[] = {
    {"lookup", dns_lookup, "TYPE NAME: ask Hearth's resolver (MX A AAAA TXT SRV PTR TLSA CNAME CAA)"},
    {"zone", cmd_dns_zone, "DOMAIN: print every record the domain needs (zone file, or --json)"},
    {"check", cmd_dns_check, "DOMAIN: check what the world sees against what `dns zone` prints"},
};

void dns_usage(FILE* out) {
  std::fprintf(out, "usage: hearth [--config FILE] dns COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : subcommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\n`hearth dns COMMAND --help` for a command's own options.\n");
}

void lookup_usage(FILE* out) {
  std::fprintf(out,
               "usage: hearth [--config FILE] dns lookup [--server IP[:PORT]] [--timeout MS] [--no-dnssec] TYPE NAME\n\n"
               "Resolves NAME through the same resolver the server uses (libunbound, DNSSEC-validating)\n"
               "and prints one record per line, fields in zone-file order, names without the final dot,\n"
               "then a line \";; status=STATUS secure=yes|no [why=...]\".\n\n"
               "  TYPE            MX, A, AAAA, TXT, SRV, PTR (NAME is an IP address), TLSA, CNAME, CAA\n"
               "  --server S      ask S (\"ip\", \"ip:port\", \"[v6]:port\") instead of the config's dns.servers\n"
               "  --timeout MS    give up after MS milliseconds (default 5000)\n"
               "  --no-dnssec     do not validate\n\n"
               "The config (--config, else /etc/hearth/hearth.toml when it exists) gives dns.servers,\n"
               "dns.dnssec and dns.trust_anchor_file; without one the system resolver (/etc/resolv.conf)\n"
               "is used, validating against the DNS root's key.\n\n"
               "exit status: 0 records found, 1 nxdomain or nodata, 2 usage or config error,\n"
               "             3 temporary failure (SERVFAIL, timeout, network), 4 DNSSEC bogus\n");
}

std::string show_name(const std::string& n) { return n.empty() ? "." : n; }

template <class T, class Show>
int report(const dns::answer<T>& ans, Show show) {
  for (const auto& r : ans.records) std::printf("%s\n", show(r).c_str());
  std::string line = std::string(";; status=") + dns::status_name(ans.st) + " secure=" + (ans.secure ? "yes" : "no");
  if (!ans.why.empty()) line += " why=" + dns::quote_txt(ans.why);
  std::printf("%s\n", line.c_str());
  switch (ans.st) {
    case dns::status::ok: return 0;
    case dns::status::nxdomain:
    case dns::status::nodata: return 1;
    case dns::status::temporary: return 3;
    case dns::status::bogus: return 4;
  }
  return 3;
}

asio::awaitable<int> run_lookup(dns::resolver& res, std::string type, std::string name) {
  if (type == "MX")
    co_return report(co_await res.mx(name),
                     [](const dns::mx_record& r) { return std::to_string(r.preference) + " " + show_name(r.host); });
  if (type == "A") co_return report(co_await res.a(name), [](const auto& r) { return r.to_string(); });
  if (type == "AAAA") co_return report(co_await res.aaaa(name), [](const auto& r) { return r.to_string(); });
  if (type == "TXT") co_return report(co_await res.txt(name), [](const std::string& r) { return dns::quote_txt(r); });
  if (type == "SRV")
    co_return report(co_await res.srv(name), [](const dns::srv_record& r) {
      return std::to_string(r.priority) + " " + std::to_string(r.weight) + " " + std::to_string(r.port) + " " +
             show_name(r.target);
    });
  if (type == "PTR")
    co_return report(co_await res.ptr(asio::ip::make_address(name)), [](const std::string& r) { return show_name(r); });
  if (type == "CNAME") co_return report(co_await res.cname(name), [](const std::string& r) { return show_name(r); });
  if (type == "CAA") co_return report(co_await res.caa(name), [](const dns::caa_record& r) { return dns::format_caa(r); });
  // TLSA
  co_return report(co_await res.tlsa(name), [](const dns::tlsa_record& r) {
    return std::to_string(r.usage) + " " + std::to_string(r.selector) + " " + std::to_string(r.matching) + " " +
           (r.data.empty() ? "-" : r.data);
  });
}

int dns_lookup(const globals& g, const args& a) {
  auto p = parse_args(a, {"--server", "--timeout"}, {"--no-dnssec"});
  if (p.help) {
    lookup_usage(stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.size() != 2) {
    fail_with(2, p.error.empty() ? "dns lookup needs TYPE and NAME" : p.error);
    lookup_usage(stderr);
    return 2;
  }
  std::string type = util::to_upper(p.positional[0]);
  const std::string& name = p.positional[1];
  static const std::set<std::string> types{"MX", "A", "AAAA", "TXT", "SRV", "PTR", "TLSA", "CNAME", "CAA"};
  if (!types.count(type))
    return fail_with(2, "unknown record type " + p.positional[0] + " (MX A AAAA TXT SRV PTR TLSA CNAME CAA)");
  if (type == "PTR") {
    boost::system::error_code ec;
    asio::ip::make_address(name, ec);
    if (ec) return fail_with(2, "PTR needs an IP address, not " + name);
  }

  dns::options opts;
  std::error_code fec;
  if (g.config_given || std::filesystem::exists(g.config_path, fec)) {
    auto cfg = load_config(g);
    if (!cfg) return 2;
    opts.servers = cfg->dns_servers;
    opts.dnssec = cfg->dnssec;
    opts.trust_anchor_file = cfg->dns_trust_anchor_file.string();
  }
  if (auto s = p.option("--server")) {
    if (auto f = dns::unbound_forwarder(*s); !f) return fail_with(2, "--server: " + f.error().message);
    opts.servers = {*s};
  }
  if (auto t = p.option("--timeout")) {
    unsigned long ms = 0;
    try {
      ms = std::stoul(*t);
    } catch (...) {
      ms = 0;
    }
    if (ms == 0 || ms > 600000) return fail_with(2, "--timeout: milliseconds between 1 and 600000");
    opts.timeout = std::chrono::milliseconds(ms);
  }
  if (p.has("--no-dnssec")) opts.dnssec = false;

  asio::io_context ioc;
  dns::resolver res(ioc.get_executor(), opts);
  if (!res.init_error().empty()) return fail_with(2, "resolver: " + res.init_error());
  auto fut = asio::co_spawn(ioc, run_lookup(res, type, name), asio::use_future);
  ioc.run();
  try {
    return fut.get();
  } catch (const std::exception& e) {
    return fail_with(3, std::string("lookup failed: ") + e.what());
  }
}

}  // namespace

int cmd_dns(const globals& g, const args& a) {
  if (a.empty()) {
    dns_usage(stderr);
    return 2;
  }
  if (a[0] == "--help" || a[0] == "-h" || a[0] == "help") {
    dns_usage(stdout);
    return 0;
  }
  for (const auto& c : subcommands)
    if (a[0] == c.name) return c.run(g, args(a.begin() + 1, a.end()));
  std::fprintf(stderr, "hearth: dns: unknown command '%s'\n", a[0].c_str());
  dns_usage(stderr);
  return 2;
}

}  // namespace hearth::app
