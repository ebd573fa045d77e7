#include "auth/scram.hpp"

#include "auth/sasl.hpp"
#include "core/util/strings.hpp"

namespace hearth::auth::sasl {
namespace {

constexpr std::size_t max_nonce = 512;

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no ',').
bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  return true;
}

bool valid_cb_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-'))
      return false;
  return true;
}

// Splits "k=v" fields; extensions (RFC 5802 §7 "extensions") must still be attr=value.
bool attr_val(std::string_view f) {
  return f.size() >= 2 && f[1] == '=' &&
         ((f[0] >= 'a' && f[0] <= 'z') || (f[0] >= 'A' && f[0] <= 'Z'));
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

std::optional<std::string> decode_saslname(std::string_view s) {
  if (s.empty() || s.size() > max_identity * 3) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',' || s[i] == '\0') return std::nullopt;
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    std::string_view esc = s.substr(i + 1, 2);
    if (esc == "2C") out += ',';
    else if (esc == "3D") out += '=';
    else return std::nullopt;
    i += 2;
  }
  if (out.size() > max_identity) return std::nullopt;
  return out;
}

scram_server::scram_server(scram_options opts, std::string server_nonce)
    : opts_(std::move(opts)), server_nonce_(std::move(server_nonce)) {}

result<std::string> scram_server::client_first(std::string_view m) {
  if (state_ != state::start) return fail("sasl.state", "client-first-message out of order");
  state_ = state::done;  // any error below ends the exchange
  if (m.size() > max_client_message) return fail("sasl.malformed", "message too long");

  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  std::size_t c1 = m.find(',');
  if (c1 == std::string_view::npos) return fail("sasl.malformed", "no GS2 header");
  std::size_t c2 = m.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return fail("sasl.malformed", "no GS2 header");
  std::string_view flag = m.substr(0, c1);
  std::string_view authz_field = m.substr(c1 + 1, c2 - c1 - 1);
  std::string_view bare = m.substr(c2 + 1);

  char kind = 0;
  if (flag == "n" || flag == "y") {
    kind = flag[0];
  } else if (flag.starts_with("p=") && valid_cb_name(flag.substr(2))) {
    kind = 'p';
  } else {
    return fail("sasl.malformed", "bad GS2 channel-binding flag");
  }

  std::optional<std::string> authzid;
  if (!authz_field.empty()) {
    if (!authz_field.starts_with("a=")) return fail("sasl.malformed", "bad authzid");
    authzid = decode_saslname(authz_field.substr(2));
    if (!authzid) return fail("sasl.malformed", "bad authzid");
  }

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  auto fields = util::split(bare, ',');
  if (fields.size() < 2) return fail("sasl.malformed", "missing user name or nonce");
  // RFC 5802 §5.1 "m": reserved for a future mandatory extension; the server MUST fail.
  if (fields[0].starts_with("m=")) return fail("sasl.malformed", "unsupported mandatory extension");
  if (!fields[0].starts_with("n=")) return fail("sasl.malformed", "missing n=");
  if (!fields[1].starts_with("r=")) return fail("sasl.malformed", "missing r=");
  for (std::size_t i = 2; i < fields.size(); ++i)
    if (!attr_val(fields[i])) return fail("sasl.malformed", "bad extension");
  auto user = decode_saslname(fields[0].substr(2));
  if (!user) return fail("sasl.malformed", "bad user name");
  std::string_view cnonce = fields[1].substr(2);
  if (cnonce.empty() || cnonce.size() > max_nonce || !printable(cnonce))
    return fail("sasl.malformed", "bad nonce");

  // RFC 5802 §6 and RFC 9266: channel-binding negotiation.
  if (kind == 'p') {
    // A client that sends p= must have chosen a -PLUS mechanism (RFC 5802 §6: "p" with a
    // non-PLUS mechanism is an error). We implement tls-exporter (RFC 9266 §2) and
    // tls-server-end-point (RFC 5929 §4), not tls-unique (undefined in TLS 1.3).
    if (!opts_.plus) return fail("sasl.channel_binding", "channel binding with a non-PLUS mechanism");
    const std::string_view type = flag.substr(2);
    const std::optional<std::string>* data = type == "tls-exporter"           ? &opts_.channel_binding
                                             : type == "tls-server-end-point" ? &opts_.end_point_binding
                                                                              : nullptr;
    if (!data) return fail("sasl.channel_binding", "unsupported channel binding type");
    if (!*data) return fail("sasl.channel_binding", "no channel binding data");
    cb_data_ = **data;
  } else {
    if (opts_.plus) return fail("sasl.channel_binding", "a -PLUS mechanism needs p=");
    // 'y': the client supports channel binding but thinks we do not. We advertised -PLUS, so
    // someone removed it on the way: a downgrade (RFC 5802 §6).
    if (kind == 'y' && opts_.plus_offered)
      return fail("sasl.channel_binding", "channel binding downgrade detected");
  }

  // Hearth has no proxy authorisation: a= must name the user itself.
  if (authzid && !util::iequals(*authzid, *user))
    return fail("sasl.authzid", "authorization identity differs from the user name");

  gs2_header_ = std::string(m.substr(0, c2 + 1));
  client_first_bare_ = std::string(bare);
  nonce_ = std::string(cnonce) + server_nonce_;
  state_ = state::first_sent;
  return *user;
}

std::string scram_server::server_first(std::string_view salt, std::uint32_t iterations) {
  if (state_ != state::first_sent || !server_first_.empty()) {
    state_ = state::done;
    return {};
  }
  server_first_ =
      "r=" + nonce_ + ",s=" + crypto::base64_encode(salt) + ",i=" + std::to_string(iterations);
  return server_first_;
}

result<scram_server::verified> scram_server::client_final(std::string_view m,
                                                          std::span<const scram_entry> candidates) {
  if (state_ != state::first_sent || server_first_.empty())
    return fail("sasl.state", "client-final-message out of order");
  state_ = state::done;
  if (m.size() > max_client_message) return fail("sasl.malformed", "message too long");

  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  std::size_t p = m.rfind(",p=");
  if (p == std::string_view::npos) return fail("sasl.malformed", "missing proof");
  std::string_view without_proof = m.substr(0, p);
  auto proof = crypto::base64_decode(m.substr(p + 3));
  if (!proof || proof->size() != crypto::digest_size(opts_.hash))
    return fail("sasl.malformed", "bad proof encoding");

  auto fields = util::split(without_proof, ',');
  if (fields.size() < 2 || !fields[0].starts_with("c=") || !fields[1].starts_with("r="))
    return fail("sasl.malformed", "missing c= or r=");
  for (std::size_t i = 2; i < fields.size(); ++i)
    if (!attr_val(fields[i])) return fail("sasl.malformed", "bad extension");

  // RFC 5802 §7: c= is base64(gs2-header [cbind-data]); cbind-data only with "p=".
  auto cbind = crypto::base64_decode(fields[0].substr(2));
  if (!cbind) return fail("sasl.malformed", "bad c= encoding");
  std::string expected = gs2_header_;
  if (opts_.plus) expected += cb_data_;
  if (!crypto::constant_time_equal(*cbind, expected))
    return fail("sasl.channel_binding", "channel binding does not match");

  if (fields[1].substr(2) != nonce_) return fail("sasl.nonce", "nonce does not match");

  // RFC 5802 §3: AuthMessage = client-first-message-bare "," server-first-message ","
  //                            client-final-message-without-proof
  std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const auto h = opts_.hash;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const scram_entry& c = candidates[i];
    if (c.stored_key.size() != crypto::digest_size(h)) continue;
    std::string client_signature = crypto::hmac(h, c.stored_key, auth_message);
    std::string client_key = xor_bytes(*proof, client_signature);
    if (crypto::constant_time_equal(crypto::digest(h, client_key), c.stored_key)) {
      std::string server_signature = crypto::hmac(h, c.server_key, auth_message);
      return verified{i, "v=" + crypto::base64_encode(server_signature)};
    }
  }
  return fail("sasl.bad_proof", "invalid proof");
}

}  // namespace hearth::auth::sasl
