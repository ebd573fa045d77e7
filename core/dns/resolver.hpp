// Hearth's DNS resolver: libunbound (DNSSEC-validating) driven from Asio.
//
//   hearth::dns::resolver res(ioc.get_executor(), {.servers = cfg.dns_servers, .dnssec = cfg.dnssec});
//   auto mx = co_await res.mx("example.org");
//   if (mx.st == dns::status::ok) for (auto& r : mx.records) ... r.preference, r.host
//
// libunbound runs its own worker thread (ub_ctx_async(ctx, 1)); answers come back through a
// pipe (ub_fd) that an asio::posix::stream_descriptor waits on, and ub_process() runs on the
// resolver's strand. Each query has a deadline (options::timeout); past it the query is
// cancelled and answers `temporary`. Answers that may be kept (answer_cache.hpp: positive ones
// for their TTL, negative ones per RFC 2308) are answered from the process's own cache on the
// caller's thread, without the hop to unbound's thread.
//
// Resolver configuration (see resolver.cpp for the reasons):
// - servers empty: the system resolvers from /etc/resolv.conf (full recursion if none);
//   otherwise forward to exactly these ("ip", "ip:port", "[v6]:port", bare "v6").
// - RFC 6761 special-use names test., example., invalid. are resolved normally (unbound answers
//   them locally by default) and are treated as DNSSEC-insecure; with custom servers so are the
//   loopback and documentation reverse zones (127.in-addr.arpa, 192.0.2/24 etc.).
// - dnssec: validate against trust_anchor_file (default /usr/share/dns/root.key, Debian:
//   dns-root-data) when it exists. The special-use zones above stay insecure unless the anchor
//   is for a name inside them (a test's own signed zone).
//
// Thread-safety: one resolver per process is enough; every member may be called from any thread
// concurrently. The io_context must run while queries are pending. Destroying the resolver
// answers every pending query with `temporary` ("resolver stopped").
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/rdata.hpp"
#include "core/util/result.hpp"

namespace hearth::dns {

struct options {
  std::vector<std::string> servers;  // "ip:port", "ip", "[v6]:port"; empty = /etc/resolv.conf
  bool dnssec = true;
  std::chrono::milliseconds timeout{5000};
  // DS or DNSKEY records in zone-file syntax; validation is on only when it can be read. The
  // root's by default; a private one for a test zone or an internal root.
  std::string trust_anchor_file = "/usr/share/dns/root.key";
};

enum class status {
  ok,         // records is not empty
  nxdomain,   // the name does not exist (also: a name that cannot be asked, e.g. "a..b")
  nodata,     // the name exists, no record of this type
  temporary,  // SERVFAIL, timeout, network error, malformed answer: try again later
  bogus,      // DNSSEC validation failed (why says why): treat as an attack, not as absence
};
const char* status_name(status s);  // "ok", "nxdomain", "nodata", "temporary", "bogus"

template <class T>
struct answer {
  status st = status::temporary;
  std::vector<T> records;
  bool secure = false;  // DNSSEC-validated (RFC 4033 §5); for DANE (RFC 7672) and MTA-STS
  std::string why;      // for logs when st is not ok
};

// "192.0.2.1:5353" -> "192.0.2.1@5353", "[::1]:53" -> "::1@53", "::1" -> "::1@53"
// (libunbound's forwarder syntax). Errors: "dns.server" with a sentence.
result<std::string> unbound_forwarder(std::string_view server);

class resolver {
 public:
  // Never throws for bad options: the problem is logged, kept in init_error(), and every query
  // answers `temporary` with that reason.
  resolver(boost::asio::any_io_executor ex, options opts);
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  // Empty when the context was set up; otherwise what went wrong (bad server, unbound error).
  const std::string& init_error() const;
  // True when DNSSEC validation is active (dnssec requested and a trust anchor was loaded).
  bool validating() const;

  // Each resolves `name` (a host name in ASCII/A-labels, trailing dot optional). Records keep
  // the order of the answer; callers that need an order (MX preference, SRV weight) sort.
  boost::asio::awaitable<answer<mx_record>> mx(std::string name);
  boost::asio::awaitable<answer<boost::asio::ip::address_v4>> a(std::string name);
  boost::asio::awaitable<answer<boost::asio::ip::address_v6>> aaaa(std::string name);
  // One string per TXT record, its character-strings concatenated (RFC 7208 §3.3).
  boost::asio::awaitable<answer<std::string>> txt(std::string name);
  boost::asio::awaitable<answer<srv_record>> srv(std::string name);
  // Names under in-addr.arpa / ip6.arpa for the address (v4-mapped v6 is asked as v4).
  boost::asio::awaitable<answer<std::string>> ptr(boost::asio::ip::address addr);
  boost::asio::awaitable<answer<tlsa_record>> tlsa(std::string name);
  // The CNAME record of `name` itself (RFC 1035 §3.3.1), not followed: the target name
  // (lowercase, no trailing dot). A name that has other records but no CNAME answers nodata.
  boost::asio::awaitable<answer<std::string>> cname(std::string name);
  // The CAA records at exactly `name` (RFC 8659 §4.1). The tree climb of RFC 8659 §3 (asking
  // the parent when a name has none) is the caller's business.
  boost::asio::awaitable<answer<caa_record>> caa(std::string name);

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace hearth::dns
