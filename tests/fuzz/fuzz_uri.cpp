// mail/filter's parsers: link extraction from a whole MIME message and from text, the list
// specifications, scores and rules of the config, DNSBL query names, address lists, the
// greylisting sender key, the backup MX sync URL and recipient listing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/filter/checks.hpp"
#include "mail/filter/dnsbl.hpp"
#include "mail/filter/greylist.hpp"
#include "mail/filter/net.hpp"
#include "mail/filter/sync.hpp"
#include "mail/filter/uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::filter;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uri_limits lim;
  lim.max_text = 64 * 1024;
  auto hosts = message_hosts(in, lim);
  for (const auto& h : hosts)
    for (const auto& n : uribl_names(h)) (void)domain_query_name(n, "uri.example");
  std::vector<std::string> text_hosts;
  extract_hosts(in, text_hosts, 20);
  std::string_view line = in.substr(0, std::min<std::size_t>(in.find('\n'), 300));
  (void)parse_list_spec(line, 3);
  (void)parse_score(line);
  (void)parse_rule(line);
  (void)parse_https_url(line);  // backup MX sync: the primary URL and a domain's listing
  (void)parse_listing(in, "example.org");
  (void)ip_query_name(line, "bl.example");
  (void)is_listing(line);
  (void)helo_is_fqdn(line);
  (void)pool_of(line);
  (void)network_key(line);
  (void)normalize_sender(line);
  (void)sender_domain(line);
  if (auto l = address_list::parse({std::string(line)})) {
    (void)l->contains_ip("192.0.2.1");
    (void)l->contains_domain("a.example");
  }
  return 0;
}
