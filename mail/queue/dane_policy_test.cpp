#include "mail/queue/dane_policy.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;
using hearth::dns::answer;
using hearth::dns::status;
using hearth::dns::tlsa_record;

namespace {

answer<tlsa_record> tlsa(status st, bool secure, std::vector<tlsa_record> recs = {}, std::string why = {}) {
  answer<tlsa_record> a;
  a.st = st;
  a.secure = secure;
  a.records = std::move(recs);
  a.why = std::move(why);
  return a;
}

const tlsa_record ee{3, 1, 1, std::string(64, 'a')};
const tlsa_record pkix{1, 1, 1, std::string(64, 'b')};

}  // namespace

TEST_CASE("TLSA name of an MX host", "[queue][dane]") {
  CHECK(tlsa_name("mx.example.org", 25) == "_25._tcp.mx.example.org");
  CHECK(tlsa_name("mx.example.org.", 2525) == "_2525._tcp.mx.example.org");
}

TEST_CASE("DANE applies only along a DNSSEC-secure path", "[queue][dane]") {
  const std::string n = "_25._tcp.mx.example.org";
  // Secure all the way with a usable record: authenticated TLS.
  auto d = dane_decide(true, true, tlsa(status::ok, true, {ee}), n);
  CHECK(d.st == dane_host::state::verify);
  CHECK(d.tlsa.size() == 1);
  CHECK(d.name == n);
  // Only PKIX usages: encrypted, unauthenticated.
  CHECK(dane_decide(true, true, tlsa(status::ok, true, {pkix}), n).st == dane_host::state::tls_only);
  CHECK(dane_decide(true, true, tlsa(status::ok, true, {pkix, ee}), n).st == dane_host::state::verify);
  // An unsigned TLSA RRset, or an insecure MX or address answer: ignored.
  CHECK(dane_decide(true, true, tlsa(status::ok, false, {ee}), n).st == dane_host::state::off);
  CHECK(dane_decide(false, true, tlsa(status::ok, true, {ee}), n).st == dane_host::state::off);
  CHECK(dane_decide(true, false, tlsa(status::ok, true, {ee}), n).st == dane_host::state::off);
  // No TLSA records: no DANE.
  CHECK(dane_decide(true, true, tlsa(status::nodata, true), n).st == dane_host::state::off);
  CHECK(dane_decide(true, true, tlsa(status::nxdomain, true), n).st == dane_host::state::off);
  // A bogus answer or a failed look-up: the host must not be used.
  d = dane_decide(true, true, tlsa(status::bogus, false, {}, "signature expired"), n);
  CHECK(d.st == dane_host::state::failed);
  CHECK(d.why == "bogus: signature expired");
  CHECK(dane_decide(true, true, tlsa(status::temporary, false, {}, "timeout"), n).st == dane_host::state::failed);
  // ... but not when the path to it was insecure (the host was never DANE-protected).
  CHECK(dane_decide(false, false, tlsa(status::bogus, false), n).st == dane_host::state::off);
}
