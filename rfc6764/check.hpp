// `hearth dns check`: compares what the world sees in DNS with what `hearth dns zone` expects.
//
// Two layers, so the judgement is unit-testable without a DNS server:
// - pure functions (check_records.cpp, check_spf.cpp, check_host.cpp) that take the expected
//   zone_plan and the observed answers, already in zone_record presentation form, and return
//   findings;
// - run_checks() (check_run.cpp), the one coroutine that asks hearth::dns::resolver the
//   questions, feeds the answers to the pure functions and, with --connect, reads the SMTP
//   banner of every MX host.
//
// Every finding is one output line: "OK   what", "WARN what: detail — fix" or
// "FAIL what: detail — fix", the fix in plain words. A temporary DNS failure is a WARN (the
// answer says nothing about the record); NXDOMAIN/NODATA is a FAIL for an expected record;
// a DNSSEC-bogus answer is a FAIL (receivers would treat the record as absent).
// Thread-safety: all pure functions are reentrant.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/dns/resolver.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::rfc6764 {

struct finding {
  enum level { ok, warn, fail } lvl = ok;
  std::string what;    // "MX example.org", "PTR 203.0.113.7"
  std::string detail;  // what is wrong (empty for ok)
  std::string fix;     // what to do, in plain words (empty for ok)
};

inline finding make_finding(finding::level l, std::string what, std::string detail = {}, std::string fix = {}) {
  return finding{l, std::move(what), std::move(detail), std::move(fix)};
}

// "OK   what" / "WARN what: detail — fix" / "FAIL what: detail — fix" (no newline; parts that
// are empty are left out with their separator).
std::string format_finding(const finding& f);

struct tally {
  unsigned ok = 0, warnings = 0, failures = 0;
};
tally count(const std::vector<finding>& fs);
// "N ok, N warnings, N failures"
std::string format_tally(const tally& t);

// What one DNS question returned. values are in zone_record presentation form: MX
// "10 mail.example.org", A/AAAA the address as asio prints it, TXT the character-strings
// concatenated and unquoted, SRV "prio weight port target" (root target "."), CNAME the target
// name, CAA as dns::format_caa() writes it (`0 issue "letsencrypt.org"`), names lowercase
// without the trailing dot.
struct rrset {
  dns::status st = dns::status::temporary;
  std::vector<std::string> values;
  std::string why;  // the resolver's reason when st is not ok
};

// A question: name (lowercase, no trailing dot) and type ("MX", "A", "AAAA", "TXT", "SRV", "PTR",
// "CNAME", "CAA", "TLSA": values "usage selector matching hex", hex lowercase).
struct question {
  std::string name, type;
  auto operator<=>(const question&) const = default;
};

// The answers the driver collected, by question. find() returns nullptr for a question that
// was never asked (a checker then reports a WARN rather than guessing).
class observations {
 public:
  void put(const question& q, rrset r);
  const rrset* find(const question& q) const;

 private:
  std::map<question, rrset> sets_;
};

// The questions needed to check the plan's records, each once: (name, type) of every record;
// for a CNAME also A and AAAA of the alias and of its target (to explain an alias published as
// addresses instead of a CNAME).
std::vector<question> questions_for(const zone_plan& plan);

// One finding per expected RRset of the plan (MX set, A, AAAA, each TXT kind, SRV, CNAME, CAA).
// CNAME: the alias's CNAME target must equal the planned target (RFC 1035 §3.3.1); an alias
// with A/AAAA records instead is a WARN when they equal the target's addresses (it works until
// the target's address changes), else a FAIL. CAA: every expected record must be present
// exactly (flags, tag case-insensitively, value, RFC 8659 §4.1); extra issue/issuewild records
// naming other CAs are a WARN (they let those CAs issue too), other extra tags are fine.
// TXT records are matched by kind (the "v=..." tag, else the key before '='): the expected
// record must be the only one of its kind at its name (RFC 7208 §4.5 SPF, RFC 7489 §6.6.3
// DMARC, RFC 8461 §3.1 MTA-STS, RFC 8460 §3 TLS-RPT: several records of a kind = none) and
// equal to it; TXT records of other kinds at the same name are left alone. SRV, MX and
// address sets must be equal (one SRV per service: clients disagree on how to sort several).
// DKIM records (SELECTOR._domainkey.DOMAIN) whose selector is in dkim_public (selector ->
// p= value of the private key in the directory) are judged by check_dkim instead.
std::vector<finding> check_records(const zone_plan& plan, const observations& obs,
                                   const std::map<std::string, std::string>& dkim_public);

// DKIM key record at `name`: exactly one record with a p= tag (RFC 6376 §3.6.1), its p= equal
// to `expected_p` (whitespace in the DNS value ignored, RFC 6376 §3.6.2.2) and its k= equal to
// the expected record's k= (default "rsa"). `expected` is the whole expected TXT value.
finding check_dkim(const std::string& name, const std::string& expected, const std::string& expected_p,
                   const rrset& observed);

// The answer problems every record check shares, for the RRset `r` of the finding `what`:
// nullptr = WARN "not asked"; NXDOMAIN/NODATA = FAIL `absent` with the fix `publish`;
// temporary = WARN; bogus = FAIL. nullopt when the answer has records to judge.
std::optional<finding> answer_problem(const rrset* r, const std::string& what, const std::string& absent,
                                      const std::string& publish);

// The CNAME check of check_records (check_cname_caa.cpp): `alias` and `target` lowercase
// without trailing dot; uses the CNAME question of the alias and A/AAAA of both.
finding check_cname(const std::string& alias, const std::string& target, const observations& obs);
// The CAA check of check_records: `expected` in zone presentation (`0 issue "ca.example"`).
finding check_caa(const std::string& name, const std::vector<std::string>& expected, const observations& obs);

// The TLSA check of check_records (check_tlsa.cpp): `expected` is "3 1 1 HEX" of the current
// key, then of the next one. FAIL when DNS lacks the current key's record (senders that use
// DANE would defer our mail): the fix says what to publish, and to publish the next key
// beside it before a rotation. WARN when the next key is not published yet. Other records
// (an old key still published during a rotation) are left alone.
finding check_tlsa(const std::string& name, const std::vector<std::string>& expected, const observations& obs);

// `0 issue "letsencrypt.org"` (zone file presentation, RFC 8659 §4.1.1; the value quoted or
// not, with \" \\ and \DDD escapes) -> the record; nullopt when it is not CAA syntax.
std::optional<dns::caa_record> parse_caa_text(std::string_view text);

// --- SPF (RFC 7208) ------------------------------------------------------------------------

// The SPF records among a name's TXT records: those that are exactly "v=spf1" or start with
// "v=spf1 " (RFC 7208 §4.5, case-insensitive).
std::vector<std::string> spf_records(const std::vector<std::string>& txt);
// Domains an SPF record refers to through include: and redirect= (lowercase, no trailing dot),
// in order; terms with macros ('%') are skipped since they are expanded per message.
std::vector<std::string> spf_references(std::string_view record);

struct spf_count {
  unsigned lookups = 0;               // terms that cause DNS queries, through includes
  std::vector<std::string> problems;  // "include:x.example has no SPF record", loops, depth
};
// RFC 7208 §4.6.4: include, a, mx, ptr, exists and redirect each count one DNS-querying term,
// and so do those of included and redirected records, recursively. `fetched` maps a
// referenced domain to its TXT answer (absent = not fetched). A redirect is ignored when the
// record has an "all" mechanism (RFC 7208 §6.1). Recursion stops at 20 levels and at loops.
spf_count count_spf_lookups(std::string_view record, const std::map<std::string, rrset>& fetched);
// OK when at most 10 lookups; FAIL when more (RFC 7208 §4.6.4: permerror); WARN for problems.
finding check_spf_lookups(const std::string& domain, std::string_view record,
                          const std::map<std::string, rrset>& fetched);

// --- the host: reverse DNS, blocklists, banner (check_host.cpp) ------------------------------

// PTR of `ip`: exists and names `hostname`, the name this server gives in HELO/EHLO
// (receivers compare the two; RFC 8601 §3 "iprev" and the bulk-sender rules of the big
// mailbox providers). The fix asks the hosting provider, who owns the reverse zone.
finding check_ptr(const std::string& ip, const std::string& hostname, const rrset& ptr);
// Forward confirmation (FCrDNS): `host_addrs` (A for an IPv4 ip, AAAA for IPv6, of hostname)
// contains ip.
finding check_fcrdns(const std::string& ip, const std::string& hostname, const rrset& host_addrs);

// RFC 5782 §2.1/§2.4: "7.113.0.203.LIST" for 203.0.113.7 (nibbles for IPv6); "" if ip is
// not an IP literal.
std::string blocklist_name_for_ip(const std::string& ip, const std::string& list);
// RFC 5782 §2.3 (URI/domain lists): "DOMAIN.LIST".
std::string blocklist_name_for_domain(const std::string& domain, const std::string& list);
// The first http:// or https:// URL in the listing's TXT records, "" if none.
std::string removal_url(const std::vector<std::string>& txt);
// A blocklist answer for `subject` (an IP or the domain) on `list`: A records in 127.0.0.0/8
// = listed (FAIL, with the removal URL from `txt` when it has one, RFC 5782 §2.1);
// 127.255.255.0/24 = the list refused the query (Spamhaus' answer to public resolvers and
// over-quota users: WARN, not listed); NXDOMAIN/NODATA = not listed (OK); other addresses =
// WARN (a resolver that rewrites NXDOMAIN); temporary/bogus = WARN.
finding classify_listing(const std::string& subject, const std::string& list, const rrset& a, const rrset& txt);

// The greeting of `host` at addr:port: `lines` are the lines read (without CRLF); `error`
// non-empty when connecting or reading failed. OK when the last line starts "220 " (RFC 5321
// §4.2: a multi-line greeting continues with "220-") and the greeting names `host`.
finding check_banner(const std::string& host, const std::string& addr, std::uint16_t port,
                     const std::vector<std::string>& lines, const std::string& error);

// --- the driver (check_run.cpp) --------------------------------------------------------------

struct check_options {
  std::string domain;                              // ACE, lowercase
  std::string hostname;                            // server.hostname: HELO name and MX host
  std::vector<std::string> ips;                    // public IPs (server.ip4/ip6 or --ip4/--ip6)
  std::map<std::string, std::string> dkim_public;  // selector -> p= of the directory's key
  std::vector<std::string> blocklists_ip, blocklists_domain;
  bool connect = false;                            // read the banner of each MX host
  std::uint16_t smtp_port = 25;                    // smtp.outbound.port
  std::chrono::milliseconds connect_timeout{10000};
};

// Asks every question through `res` and returns the findings in a stable order: records,
// SPF lookup count, reverse DNS per IP, blocklists, banners. Never throws for DNS or network
// failures (they become WARN or FAIL findings). The caller's io_context must run.
boost::asio::awaitable<std::vector<finding>> run_checks(dns::resolver& res, const zone_plan& plan,
                                                        const check_options& o);

}  // namespace hearth::rfc6764
