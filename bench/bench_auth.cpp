// Login cost: what one password check and one SCRAM exchange cost the server, since every
// IMAP/SMTP/XMPP/DAV login pays it. Prints latency percentiles and logins per second per core.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "auth/memory_source.hpp"
#include "auth/password.hpp"
#include "auth/scram_client_test.hpp"
#include "core/log/log.hpp"

using namespace hearth;
using clock_type = std::chrono::steady_clock;

namespace {

template <class F>
void measure(const char* what, int n, F&& f) {
  std::vector<double> ms;
  ms.reserve(n);
  auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i) {
    auto a = clock_type::now();
    if (!f(i)) {
      std::printf("%s: FAILED at iteration %d\n", what, i);
      return;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - a).count());
  }
  double total = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  std::printf("%-40s n=%-4d p50=%7.2f ms  p99=%7.2f ms  %7.1f /s (one thread)\n", what, n, pct(0.50), pct(0.99),
              n / total);
}

}  // namespace

int main() {
  log::set_level(log::level::error);
  const std::string password = "correct horse battery staple";
  auto creds = auth::derive_credentials(password);

  auth::memory_source users;
  users.add(auth::user_record{1, "bench@example.test", false, {auth::credential_set{"", creds, 0}}});
  auth::authenticator authn(users, auth::throttle_config{});
  auth::context ctx{"imap", "127.0.0.1", true, std::nullopt};

  measure("derive_credentials (password change)", 20, [&](int) { return !auth::derive_credentials(password).argon2id.empty(); });
  measure("PLAIN/LOGIN/Basic check (Argon2id)", 50, [&](int) {
    return authn.check_password(ctx, "bench@example.test", password).result == auth::outcome::ok;
  });
  for (auto [name, h] : {std::pair{"SCRAM-SHA-1", crypto::hash::sha1}, std::pair{"SCRAM-SHA-256", crypto::hash::sha256}}) {
    std::string label = std::string(name) + " exchange (server side)";
    // The client's PBKDF2 is timed too; the server's own share is about half of it.
    measure(label.c_str(), 100, [&](int i) {
      auth::test::scram_client client(h, "bench@example.test", password, "clientnonce" + std::to_string(i));
      auto ex = authn.start(ctx, name);
      auto first = ex->step(client.first());
      if (first.kind != auth::exchange::step_result::challenge) return false;
      auto last = ex->step(client.final(first.server_data));
      return last.kind == auth::exchange::step_result::ok;
    });
  }
  return 0;
}
