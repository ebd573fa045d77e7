// libFuzzer target: arbitrary client messages into the SASL server mechanisms (PLAIN, LOGIN,
// SCRAM-SHA-1/-256 and their -PLUS forms) through auth::authenticator, with an in-memory
// credential_source; plus the pure parsers directly (PLAIN, SCRAM client-first/final,
// stored SCRAM entries, strict base64).
//
// Input layout: byte 0 picks the mechanism and the connection (TLS, channel binding, initial
// response or not); the rest is split into client messages on the two bytes "\r\0".
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address -I. tests/fuzz/fuzz_sasl.cpp
//        auth/*.cpp (not *_test.cpp, not directory_source.cpp) core/crypto/crypto.cpp
//        core/log/log.cpp -lcrypto -largon2
#include "auth/authenticator.hpp"
#include "auth/memory_source.hpp"
#include "auth/sasl.hpp"
#include "auth/scram.hpp"
#include "core/log/log.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

using namespace hearth;

namespace {

struct world {
  auth::memory_source users;
  std::unique_ptr<auth::authenticator> auth;
  world() {
    log::set_level(log::level::error);  // one line per attempt would drown the fuzzer's output
    const auth::argon2_params cheap{8, 1, 1};
    auto main = auth::derive_credentials("pencil", cheap);
    users.add({1, "user", false, {{"", main, 0}, {"app", auth::derive_credentials("app", main, cheap), 2}}});
    users.add({2, "bob@home.test", false, {{"", auth::derive_credentials("secret", cheap), 0}}});
    users.add({3, "off@home.test", true, {{"", auth::derive_credentials("secret", cheap), 0}}});
    auth::throttle_config cfg;
    cfg.block_after = 1u << 30;  // keep exploring instead of being blocked after 10 inputs
    cfg.delay_after = 1u << 30;
    cfg.max_entries = 1000;
    auth::authenticator_options o;
    o.secret = "fuzz";
    o.dummy_cost = cheap;
    o.server_nonce = [] { return std::string("3rfcNHYJY1ZVvWVs7j"); };
    auth = std::make_unique<auth::authenticator>(users, cfg, std::move(o));
  }
};

std::vector<std::string_view> split_messages(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    auto pos = s.find(std::string_view("\r\0", 2));
    if (pos == std::string_view::npos || out.size() >= 8) {
      out.push_back(s);
      return out;
    }
    out.push_back(s.substr(0, pos));
    s.remove_prefix(pos + 2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static world w;
  if (size < 1) return 0;
  const std::uint8_t sel = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  auto messages = split_messages(rest);

  static constexpr const char* mechs[] = {"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256",
                                          "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "plain", "X"};
  auth::context ctx{"imap", "192.0.2.1", (sel & 0x08) == 0, std::nullopt};
  if (sel & 0x10) ctx.channel_binding = std::string(32, '\x42');
  const bool initial_response = (sel & 0x20) == 0;

  (void)w.auth->mechanisms(ctx);
  if (auto ex = w.auth->start(ctx, mechs[sel & 7])) {
    if (!initial_response) (void)ex->step(std::nullopt);
    for (auto m : messages) {
      auto r = ex->step(m);
      if (r.kind != auth::exchange::step_result::challenge) break;
    }
  }
  if (messages.size() >= 2) (void)w.auth->check_password(ctx, messages[0], messages[1]);

  // The pure parsers, fed directly.
  (void)auth::sasl::parse_plain(rest);
  (void)auth::parse_scram(crypto::hash::sha256, rest);
  if (auto d = crypto::base64_decode(rest)) {
    if (crypto::base64_encode(*d) != rest) __builtin_trap();  // strict decoding is canonical
  }
  auth::sasl::scram_options so;
  so.hash = (sel & 0x40) ? crypto::hash::sha1 : crypto::hash::sha256;
  so.plus = (sel & 0x80) != 0;
  so.plus_offered = so.plus || (sel & 0x10);
  if (so.plus) so.channel_binding = std::string(32, '\x42');
  auth::sasl::scram_server s(so, "SNONCE");
  if (s.client_first(messages[0])) {
    std::string first = s.server_first("saltsaltsaltsalt", 4096);
    if (messages.size() >= 2) {
      std::vector<auth::scram_entry> keys{auth::derive_scram(so.hash, "pencil", "saltsaltsaltsalt", 1)};
      (void)s.client_final(messages[1], keys);
    }
  }
  return 0;
}
