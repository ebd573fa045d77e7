// DANE for one MX host (RFC 7672 §2.2): whether its TLSA records apply, decided from DNS
// answers and their DNSSEC status. The look-ups are in dane_lookup() (dane_policy.cpp); the
// decision from the answers is pure, in dane_decide(), unit-tested in dane_policy_test.cpp.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/dns/resolver.hpp"

namespace hearth::mail::queue {

struct dane_host {
  enum class state {
    off,       // DANE does not apply: an answer on the way was not DNSSEC-secure, or no TLSA
    verify,    // secure TLSA RRset with a usable record: STARTTLS and a matching chain required
    tls_only,  // secure TLSA RRset without a usable record: STARTTLS required, no authentication
    failed,    // the TLSA look-up failed (bogus, SERVFAIL, timeout): the host must not be used
  };
  state st = state::off;
  std::vector<dns::tlsa_record> tlsa;  // the usable and unusable records, as published
  std::string name;                    // "_25._tcp.mx.example.org", for reasons and logs
  std::string why;                     // failed: what the resolver said
};

// "_PORT._tcp.HOST" (RFC 6698 §3, RFC 7672 §2.2.3: the MX host name as the TLSA base domain).
std::string tlsa_name(const std::string& host, std::uint16_t port);

// RFC 7672 §2.2: the TLSA answer counts only when the MX answer (`mx_secure`) and the host's
// address answers (`addr_secure`) were DNSSEC-validated; then a secure answer with records makes
// TLS mandatory (with a usable record, authenticated; with only unusable ones, encrypted but
// unauthenticated, as RFC 7672 §2.2 asks and Postfix's `dane` level does), a secure denial (NXDOMAIN/NODATA) or an insecure answer leaves DANE off,
// and a bogus answer or a failed look-up makes the host unusable (§2.2: such a host is skipped,
// since delivering to it would let an attacker who breaks the look-up downgrade us).
dane_host dane_decide(bool mx_secure, bool addr_secure, const dns::answer<dns::tlsa_record>& tlsa, std::string name);

// Asks A, AAAA (answered from the resolver's cache when the caller already asked) and, when
// both were secure, TLSA at tlsa_name(host, port), then dane_decide(). Does nothing (state off)
// when mx_secure is false.
boost::asio::awaitable<dane_host> dane_lookup(dns::resolver& res, std::string host, std::uint16_t port, bool mx_secure);

}  // namespace hearth::mail::queue
