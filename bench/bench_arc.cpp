// Forwarding cost: what one forwarded message costs us in CPU — an ARC set
// (two RSA-2048 signatures and the hashes), the SRS rewrite — next to the DKIM signature every
// submission already gets, and what verifying a one-set chain costs the next hop. Prints
// figures, asserts nothing.
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/crypto/keys.hpp"
#include "mail/mailauth/arc.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/srs/srs.hpp"

using namespace hearth::mail::mailauth;

namespace {

// CPU time of this process (as bench_sieve: wall time on a shared machine counts others' work).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string message(std::size_t body_bytes) {
  std::string m =
      "Received: by mail.a.test (Hearth) with ESMTPS id ABC; Sun, 06 Dec 2026 17:00:00 +0000\r\n"
      "Authentication-Results: mail.a.test;\r\n\tspf=pass smtp.mailfrom=joe@orig.test;\r\n\tdkim=none;\r\n\tarc=none\r\n"
      "From: Joe <joe@orig.test>\r\nTo: fwd@a.test\r\nSubject: a forwarded message\r\n"
      "Date: Sun, 06 Dec 2026 17:00:00 +0000\r\nMessage-ID: <1@orig.test>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  while (m.size() < body_bytes) m += "The quick brown fox jumps over the lazy dog, again and again.\r\n";
  return m;
}

template <class F>
double per_call_us(int n, F f) {
  f();  // warm-up (key parsing is cached after the first use)
  const double t0 = cpu_seconds();
  for (int i = 0; i < n; ++i) f();
  return (cpu_seconds() - t0) / n * 1e6;
}

}  // namespace

int main() {
  auto kp = hearth::crypto::generate_rsa(2048);
  if (!kp) return 1;
  const signing_key key{"a.test", "hearth", "rsa-sha256", kp->private_pem};
  const std::map<std::string, key_answer> keys = {
      {"hearth._domainkey.a.test", key_answer{key_answer::ok, {"v=DKIM1; k=rsa; p=" + kp->dkim_public}}}};
  hearth::mail::srs::options so{"0123456789abcdef0123456789abcdef", "a.test", 4, 21};
  std::printf("forwarding cost per message (CPU time, RSA-2048, one core)\n");
  std::printf("%-10s %14s %14s %14s %14s %12s\n", "body", "DKIM sign us", "ARC seal us", "ARC verify us", "SRS us",
              "seals/s");
  for (std::size_t size : {4096u, 65536u, 1048576u}) {
    const std::string m = message(size);
    const int n = size > 100000 ? 40 : 300;
    const double dkim_us = per_call_us(n, [&] { (void)sign(m, key, 1796000000); });
    std::string sealed;
    const double seal_us = per_call_us(n, [&] {
      auto s = arc_seal(m, key, "mail.a.test", 1796000000);
      if (s) sealed = *s + m;
    });
    const auto h = hearth::mail::parse_header(sealed);
    const double verify_us = per_call_us(n, [&] { (void)verify_arc(sealed, h, keys); });
    const double srs_us = per_call_us(n * 100, [&] { (void)hearth::mail::srs::forward(so, "joe@orig.test", 1796000000); });
    std::printf("%-10zu %14.1f %14.1f %14.1f %14.2f %12.0f\n", size, dkim_us, seal_us, verify_us, srs_us,
                1e6 / seal_us);
  }
  return 0;
}
