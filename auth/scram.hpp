// Sans-I/O SCRAM server (RFC 5802; SHA-256 per RFC 7677; -PLUS with channel binding type
// tls-exporter per RFC 9266). It parses and produces raw (not base64) SCRAM messages and never
// looks anything up: the caller supplies the salt/iterations and the candidate keys.
//
// Use, one object per authentication exchange (not thread-safe; one session owns it):
//   scram_server s(opts, server_nonce);
//   auto user = s.client_first(msg1);            // error -> fail the exchange
//   send(s.server_first(salt, iterations));
//   auto v = s.client_final(msg2, candidates);   // error -> fail; ok -> send v->server_final
#pragma once
#include "auth/password.hpp"
#include "core/crypto/crypto.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hearth::auth::sasl {

struct scram_options {
  crypto::hash hash = crypto::hash::sha256;
  bool plus = false;          // the client selected SCRAM-*-PLUS
  bool plus_offered = false;  // the server advertised -PLUS on this connection
  std::optional<std::string> channel_binding;  // the 32 tls-exporter bytes (RFC 9266 §2)
  std::optional<std::string> end_point_binding = {};  // tls-server-end-point (RFC 5929 §4.1)
};

// Error codes: "sasl.malformed" (syntax, sizes, reserved "m="), "sasl.channel_binding" (GS2
// flag or c= value not acceptable), "sasl.authzid" (a= differs from n=), "sasl.nonce" (r= is not
// client+server nonce), "sasl.bad_proof" (no candidate key verifies), "sasl.state" (call order).
class scram_server {
 public:
  // server_nonce: printable ASCII without ',' (RFC 5802 §7 "printable"); the caller makes it
  // random (e.g. base64 of 18 random bytes), tests pass a fixed one.
  scram_server(scram_options opts, std::string server_nonce);

  // Parses client-first-message (RFC 5802 §7) and applies the GS2 channel-binding rules
  // (RFC 5802 §6). Returns the user name, with "=2C"/"=3D" decoded.
  result<std::string> client_first(std::string_view message);

  // The server-first-message "r=CNONCE+SNONCE,s=SALT_B64,i=N". Call once, after client_first
  // succeeded (otherwise returns "" and the next step fails with sasl.state).
  std::string server_first(std::string_view salt, std::uint32_t iterations);

  struct verified {
    std::size_t index;         // which candidate's StoredKey matched
    std::string server_final;  // "v=SIGNATURE_B64" (RFC 5802 §3) for the client to check
  };
  // Parses client-final-message, checks c= (channel binding) and r=, then verifies the
  // ClientProof against each candidate's StoredKey (RFC 5802 §3). Candidates must share the
  // salt/iterations given to server_first (otherwise they simply do not match).
  result<verified> client_final(std::string_view message, std::span<const scram_entry> candidates);

 private:
  enum class state { start, first_sent, done };
  scram_options opts_;
  std::string server_nonce_;
  state state_ = state::start;
  std::string gs2_header_;         // "n,,", "p=tls-exporter,a=...," as sent by the client
  std::string client_first_bare_;
  std::string nonce_;              // client nonce + server nonce
  std::string server_first_;
  std::string cb_data_;            // the binding data of the type the client chose
};

// RFC 5802 §5.1 saslname: "=2C" -> ',', "=3D" -> '='; any other '=' or a raw ',' is invalid,
// as is an empty name. Returns nullopt when invalid. Exposed for tests.
std::optional<std::string> decode_saslname(std::string_view s);

}  // namespace hearth::auth::sasl
