#include "mail/queue/dane_policy.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is destroyed (the same note as in app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/use_awaitable.hpp>

namespace hearth::mail::queue {

std::string tlsa_name(const std::string& host, std::uint16_t port) {
  std::string h = host;
  if (!h.empty() && h.back() == '.') h.pop_back();
  return "_" + std::to_string(port) + "._tcp." + h;
}

dane_host dane_decide(bool mx_secure, bool addr_secure, const dns::answer<dns::tlsa_record>& tlsa, std::string name) {
  dane_host d;
  d.name = std::move(name);
  if (!mx_secure || !addr_secure) return d;
  switch (tlsa.st) {
    case dns::status::ok: {
      if (!tlsa.secure) return d;  // an unsigned zone: anyone could have written it
      d.tlsa = tlsa.records;
      d.st = dane_host::state::tls_only;
      for (const auto& r : tlsa.records)
        if ((r.usage == 2 || r.usage == 3) && r.selector <= 1 && r.matching <= 2) d.st = dane_host::state::verify;
      return d;
    }
    case dns::status::nxdomain:
    case dns::status::nodata:
      return d;  // RFC 7672 §2.2: a (secure or not) denial of existence: no DANE for this host
    case dns::status::bogus:
    case dns::status::temporary:
      d.st = dane_host::state::failed;
      d.why = std::string(dns::status_name(tlsa.st)) + (tlsa.why.empty() ? "" : ": " + tlsa.why);
      return d;
  }
  return d;
}

boost::asio::awaitable<dane_host> dane_lookup(dns::resolver& res, std::string host, std::uint16_t port, bool mx_secure) {
  std::string name = tlsa_name(host, port);
  if (!mx_secure) co_return dane_decide(false, false, {}, std::move(name));
  // RFC 7672 §2.2.2: every address answer that has records must be secure.
  auto a4 = co_await res.a(host);
  auto a6 = co_await res.aaaa(host);
  const bool any = a4.st == dns::status::ok || a6.st == dns::status::ok;
  const bool secure = any && (a4.st != dns::status::ok || a4.secure) && (a6.st != dns::status::ok || a6.secure);
  if (!secure) co_return dane_decide(true, false, {}, std::move(name));
  auto t = co_await res.tlsa(name);
  co_return dane_decide(true, true, t, std::move(name));
}

}  // namespace hearth::mail::queue
