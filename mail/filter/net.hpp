// Address helpers of the client checks: the greylisting network of a client, CIDR lists
// (allowlists), the HELO and provider-pool rules. Pure and thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::filter {

// "192.0.2.7" -> "192.0.2.0/24"; "2001:db8:1:2:3::4" -> "2001:db8:1:2::/64"; v4-mapped v6 is
// treated as v4. Text that is not an address is returned as is.
std::string network_key(std::string_view ip);

// One allowlist: IP addresses, CIDR networks ("192.0.2.0/24", "2001:db8::/32") and domains
// (a domain matches the sender domain, its subdomains, and the client's confirmed PTR name).
class address_list {
 public:
  // Returns the entries that are neither an address, a network nor a domain name.
  static std::optional<address_list> parse(const std::vector<std::string>& entries, std::string* bad = nullptr);
  bool contains_ip(std::string_view ip) const;
  bool contains_domain(std::string_view domain) const;  // lowercase, no trailing dot
  bool empty() const { return nets_.empty() && domains_.empty(); }

 private:
  struct net {
    bool v6 = false;
    unsigned char bytes[16] = {};
    unsigned prefix = 0;
  };
  std::vector<net> nets_;
  std::vector<std::string> domains_;
};

// RFC 5321 §4.1.1.1: the EHLO argument is the client's FQDN or an address literal. "Not a
// FQDN" here: no dot, a label that is not LDH, or a bare IP without brackets. An address
// literal "[192.0.2.1]" is acceptable.
bool helo_is_fqdn(std::string_view helo);

// The provider pool of a host name: the name without its first label when that leaves at
// least two labels ("mail-a.out.example.net" -> "out.example.net", "mx.example.net" ->
// "example.net", "example.net" -> "example.net"). Lowercase, no trailing dot.
std::string pool_of(std::string_view host);

// True for loopback, RFC 1918 / ULA and link-local addresses.
bool is_private_ip(std::string_view ip);

}  // namespace hearth::mail::filter
