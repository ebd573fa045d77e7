// SPF (RFC 7208): record parsing and macro expansion (pure), and check_host() as a coroutine
// over a small lookup interface (spf_dns), so unit tests feed records from a map and the
// server asks dns::resolver.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/resolver.hpp"
#include "core/util/result.hpp"

namespace hearth::mail::mailauth {

enum class spf_result { none, neutral, pass, fail, softfail, temperror, permerror };
const char* spf_result_name(spf_result r);

// ---- parsing (§4.6, §12) ----
enum class spf_mech { all, include, a, mx, ptr, ip4, ip6, exists };
struct spf_term {
  char qualifier = '+';        // + - ~ ?
  spf_mech mech = spf_mech::all;
  std::string domain_spec;     // unexpanded; empty = the current domain
  boost::asio::ip::address net;  // ip4 / ip6
  int cidr4 = 32, cidr6 = 128;   // prefix lengths (a, mx, ip4, ip6)
};
struct spf_record {
  std::vector<spf_term> terms;
  std::optional<std::string> redirect;  // redirect= (unexpanded)
  std::optional<std::string> exp;       // exp= (unexpanded)
};
inline constexpr std::size_t max_spf_record = 4096;
// Parses a record that starts with "v=spf1". Errors "spf.syntax" with a sentence.
result<spf_record> parse_spf(std::string_view text);
// True when a TXT string is an SPF record (§4.5: "v=spf1" then SP or end, case-insensitive).
bool is_spf_record(std::string_view txt);

// ---- macros (§7) ----
struct spf_macro_context {
  std::string sender;  // s: <sender> (local@domain; "postmaster@" + helo for a null sender)
  std::string domain;  // d: the current domain
  boost::asio::ip::address ip;
  std::string helo;    // h
  std::string validated;   // p (filled by the evaluator when the macro needs it); "unknown"
  std::string receiver;    // r
  std::int64_t now = 0;    // t
};
// Expands a macro-string; `exp` allows c, r, t (§7.3 explanation only). Errors "spf.syntax".
// The result of a domain-spec is cut from the left to 253 octets (§7.3).
result<std::string> expand_macros(std::string_view spec, const spf_macro_context& ctx, bool exp = false);

// ---- evaluation (§4) ----
class spf_dns {
 public:
  virtual ~spf_dns() = default;
  virtual boost::asio::awaitable<dns::answer<std::string>> txt(std::string name) = 0;
  virtual boost::asio::awaitable<dns::answer<boost::asio::ip::address_v4>> a(std::string name) = 0;
  virtual boost::asio::awaitable<dns::answer<boost::asio::ip::address_v6>> aaaa(std::string name) = 0;
  virtual boost::asio::awaitable<dns::answer<dns::mx_record>> mx(std::string name) = 0;
  virtual boost::asio::awaitable<dns::answer<std::string>> ptr(boost::asio::ip::address addr) = 0;
};

// The adapter for the server's resolver.
class resolver_spf_dns : public spf_dns {
 public:
  explicit resolver_spf_dns(dns::resolver& r) : r_(r) {}
  boost::asio::awaitable<dns::answer<std::string>> txt(std::string name) override;
  boost::asio::awaitable<dns::answer<boost::asio::ip::address_v4>> a(std::string name) override;
  boost::asio::awaitable<dns::answer<boost::asio::ip::address_v6>> aaaa(std::string name) override;
  boost::asio::awaitable<dns::answer<dns::mx_record>> mx(std::string name) override;
  boost::asio::awaitable<dns::answer<std::string>> ptr(boost::asio::ip::address addr) override;

 private:
  dns::resolver& r_;
};

struct spf_outcome {
  spf_result result = spf_result::none;
  std::string domain;       // the domain checked (MAIL FROM domain or HELO)
  std::string mechanism;    // the term that matched, for A-R comments ("ip4:192.0.2.0/24")
  std::string reason;       // for permerror/temperror
  std::string explanation;  // exp= text on fail
  int lookups = 0;          // DNS-querying terms used (limit 10, §4.6.4)
  int void_lookups = 0;     // (limit 2)
};

struct spf_limits {
  int max_lookups = 10;       // §4.6.4
  int max_void_lookups = 2;   // §4.6.4
  int max_mx_names = 10;      // §4.6.4
  int max_ptr_names = 10;     // §4.6.4
};

// check_host(<ip>, <domain>, <sender>) with the <helo> for %{h}. `receiver` is our host name
// (%{r}). Never throws for bad records or DNS; all problems are results.
boost::asio::awaitable<spf_outcome> check_host(spf_dns& dns, boost::asio::ip::address ip, std::string domain,
                                               std::string sender, std::string helo, std::string receiver,
                                               std::int64_t now, spf_limits limits = {});

}  // namespace hearth::mail::mailauth
