// `dns check`: the mail host itself — reverse DNS, blocklists, SMTP banner (pure).
#include <boost/asio/ip/address.hpp>

#include "core/dns/rdata.hpp"
#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"

namespace hearth::rfc6764 {

namespace {

namespace ip = boost::asio::ip;

std::string lower_name(std::string_view s) {
  std::string n = util::to_lower(util::trim(s));
  if (n.size() > 1 && n.back() == '.') n.pop_back();
  return n;
}

std::string same_address(const std::string& a) {
  boost::system::error_code ec;
  auto x = ip::make_address(a, ec);
  return ec ? a : x.to_string();
}

std::string lookup_failed(const rrset& r) {
  return std::string("lookup failed (") + (r.why.empty() ? dns::status_name(r.st) : r.why) + ")";
}

}  // namespace

finding check_ptr(const std::string& ip, const std::string& hostname, const rrset& ptr) {
  std::string host = lower_name(hostname);
  std::string what = "PTR " + ip + " = " + host + " (the HELO name)";
  std::string fix = "ask your hosting provider to set the PTR of " + ip + " to " + host;
  switch (ptr.st) {
    case dns::status::ok: break;
    case dns::status::nxdomain:
    case dns::status::nodata: return make_finding(finding::fail, what, "no PTR record for " + ip, fix);
    case dns::status::temporary: return make_finding(finding::warn, what, lookup_failed(ptr), "try again later");
    case dns::status::bogus: return make_finding(finding::fail, what, lookup_failed(ptr), fix);
  }
  std::string names;
  for (const auto& n : ptr.values) {
    if (lower_name(n) == host) {
      // Several PTR names make receivers pick one at random for iprev (RFC 8601 §3): warn.
      if (ptr.values.size() > 1)
        return make_finding(finding::warn, what, std::to_string(ptr.values.size()) + " PTR records",
                    "ask your hosting provider to leave only " + host);
      return make_finding(finding::ok, what);
    }
    names += (names.empty() ? "" : ", ") + lower_name(n);
  }
  // Receivers compare the PTR name with the HELO/EHLO name we give (server.hostname).
  return make_finding(finding::fail, what, "the PTR of " + ip + " is " + names + ", not " + host + ", the name this server uses in HELO", fix);
}

finding check_fcrdns(const std::string& ip, const std::string& hostname, const rrset& host_addrs) {
  std::string host = lower_name(hostname);
  bool v6 = ip.find(':') != std::string::npos;
  std::string what = "FCrDNS " + host + " -> " + ip;
  std::string fix = std::string("publish ") + (v6 ? "AAAA" : "A") + " record " + host + ": " + ip;
  switch (host_addrs.st) {
    case dns::status::ok: break;
    case dns::status::nxdomain:
    case dns::status::nodata:
      return make_finding(finding::fail, what, host + " has no " + (v6 ? "AAAA" : "A") + " record", fix);
    case dns::status::temporary: return make_finding(finding::warn, what, lookup_failed(host_addrs), "try again later");
    case dns::status::bogus: return make_finding(finding::fail, what, lookup_failed(host_addrs), fix);
  }
  std::string want = same_address(ip), got;
  for (const auto& a : host_addrs.values) {
    if (same_address(a) == want) return make_finding(finding::ok, what);
    got += (got.empty() ? "" : ", ") + a;
  }
  return make_finding(finding::fail, what, host + " resolves to " + got + ", not back to " + ip, fix);
}

std::string blocklist_name_for_ip(const std::string& ip, const std::string& list) {
  boost::system::error_code ec;
  auto a = ip::make_address(ip, ec);
  if (ec) return "";
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  // RFC 5782 §2.1 / §2.4: the reverse-zone labels without the in-addr.arpa / ip6.arpa suffix.
  std::string rev = a.is_v4() ? dns::reverse_name_v4(a.to_v4().to_bytes()) : dns::reverse_name_v6(a.to_v6().to_bytes());
  auto suffix = rev.rfind(a.is_v4() ? ".in-addr.arpa" : ".ip6.arpa");
  return rev.substr(0, suffix) + "." + lower_name(list);
}

std::string blocklist_name_for_domain(const std::string& domain, const std::string& list) {
  return lower_name(domain) + "." + lower_name(list);
}

std::string removal_url(const std::vector<std::string>& txt) {
  for (const auto& t : txt) {
    auto pos = t.find("http://");
    auto s = t.find("https://");
    if (s != std::string::npos && (pos == std::string::npos || s < pos)) pos = s;
    if (pos == std::string::npos) continue;
    auto end = t.find_first_of(" \t\"'<>", pos);
    std::string url = t.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    // Strip sentence punctuation that followed the URL; keep only printable ASCII (the text
    // comes from a third party and goes to a terminal).
    while (!url.empty() && (url.back() == '.' || url.back() == ',' || url.back() == ')' || url.back() == ';'))
      url.pop_back();
    bool clean = url.size() <= 512;
    for (char c : url) clean = clean && c > ' ' && c < 0x7f;
    if (clean && url.size() > 8) return url;
  }
  return "";
}

finding classify_listing(const std::string& subject, const std::string& list, const rrset& a, const rrset& txt) {
  std::string what = "blocklist " + lower_name(list) + ": " + subject;
  switch (a.st) {
    case dns::status::nxdomain:
    case dns::status::nodata: return make_finding(finding::ok, what + " not listed");
    case dns::status::temporary:
    case dns::status::bogus:
      return make_finding(finding::warn, what, lookup_failed(a) + ", listing unknown", "try again later");
    case dns::status::ok: break;
  }
  bool listed = false, refused = false;
  std::string codes;
  for (const auto& v : a.values) {
    boost::system::error_code ec;
    auto addr = ip::make_address_v4(v, ec);
    codes += (codes.empty() ? "" : ", ") + v;
    if (ec) continue;
    auto b = addr.to_bytes();
    if (b[0] == 127 && b[1] == 255 && b[2] == 255) refused = true;  // Spamhaus: 127.255.255.x = query refused
    else if (b[0] == 127) listed = true;                            // RFC 5782 §2.1: 127.0.0.0/8 = listed
  }
  if (listed) {
    std::string url = removal_url(txt.values);
    return make_finding(finding::fail, what, "listed (" + codes + ")",
                url.empty() ? "see the list operator's removal page for " + lower_name(list)
                            : "ask for removal at " + url);
  }
  if (refused)
    return make_finding(finding::warn, what, "the list refused the query (" + codes + "), listing unknown",
                "lists such as Spamhaus refuse queries from public resolvers: set dns.servers to a resolver of your own");
  return make_finding(finding::warn, what, "unexpected answer " + codes + ", listing unknown",
              "your resolver may rewrite NXDOMAIN answers: use another one in dns.servers");
}

finding check_banner(const std::string& host, const std::string& addr, std::uint16_t port,
                     const std::vector<std::string>& lines, const std::string& error) {
  std::string h = lower_name(host);
  std::string what = "SMTP banner " + h + " [" + addr + "]:" + std::to_string(port);
  std::string fix = "make sure hearth serves SMTP on " + addr + " port " + std::to_string(port) +
                    " and that no firewall or other mail server is in the way";
  if (!error.empty()) return make_finding(finding::fail, what, error, fix);
  if (lines.empty()) return make_finding(finding::fail, what, "no greeting", fix);
  const std::string& last = lines.back();
  bool greeting = last.size() >= 4 && last.compare(0, 4, "220 ") == 0;
  for (std::size_t i = 0; greeting && i + 1 < lines.size(); ++i)
    greeting = lines[i].compare(0, 4, "220-") == 0;  // RFC 5321 §4.2.1 multi-line reply
  std::string shown = last.substr(0, 200);
  if (!greeting) return make_finding(finding::fail, what, "greeting is \"" + shown + "\", not 220", fix);
  for (const auto& l : lines) {
    // The name is a whole word of the greeting (RFC 5321 §4.3.1: "220 domain ...").
    for (auto w : util::split(std::string_view(l).substr(4), ' '))
      if (lower_name(w) == h) return make_finding(finding::ok, what);
  }
  return make_finding(finding::fail, what, "greeting \"" + shown + "\" does not name " + h,
              "set server.hostname to " + h + " on the host at " + addr);
}

}  // namespace hearth::rfc6764
