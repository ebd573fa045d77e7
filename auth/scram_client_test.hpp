// Test-only: a minimal SCRAM client (RFC 5802 §3/§7) to drive the server side in unit tests.
// Written independently of scram.cpp so a bug there is not mirrored here.
#pragma once
#include "auth/password.hpp"
#include "core/crypto/crypto.hpp"

#include <optional>
#include <string>

namespace hearth::auth::test {

class scram_client {
 public:
  scram_client(crypto::hash h, std::string user, std::string password, std::string nonce)
      : h_(h), user_(std::move(user)), password_(std::move(password)), nonce_(std::move(nonce)) {}

  // With binding data the client uses "p=tls-exporter"; `flag` overrides the GS2 flag ("y", "n").
  void set_channel_binding(std::string cb) { cb_ = std::move(cb); }
  void set_gs2_flag(std::string flag) { flag_ = std::move(flag); }
  void set_authzid(std::string a) { authzid_ = std::move(a); }

  std::string first() {
    std::string flag = flag_ ? *flag_ : cb_ ? "p=tls-exporter" : "n";
    gs2_ = flag + "," + (authzid_.empty() ? "" : "a=" + escape(authzid_)) + ",";
    bare_ = "n=" + escape(user_) + ",r=" + nonce_;
    return gs2_ + bare_;
  }

  // server_first: "r=...,s=...,i=..."; returns the client-final-message ("" if unparsable).
  std::string final(const std::string& server_first) {
    std::string r, s;
    std::uint32_t i = 0;
    std::size_t pos = 0;
    while (pos <= server_first.size()) {
      std::size_t end = server_first.find(',', pos);
      if (end == std::string::npos) end = server_first.size();
      std::string f = server_first.substr(pos, end - pos);
      if (f.rfind("r=", 0) == 0) r = f.substr(2);
      if (f.rfind("s=", 0) == 0) s = f.substr(2);
      if (f.rfind("i=", 0) == 0) i = static_cast<std::uint32_t>(std::stoul(f.substr(2)));
      pos = end + 1;
    }
    auto salt = crypto::base64_decode(s);
    if (r.empty() || !salt || i == 0) return {};
    std::string cbind = gs2_ + (cb_ && gs2_.rfind("p=", 0) == 0 ? *cb_ : "");
    std::string without_proof = "c=" + crypto::base64_encode(cbind) + ",r=" + r;
    std::string auth_message = bare_ + "," + server_first + "," + without_proof;
    std::string salted = crypto::pbkdf2(h_, password_, *salt, i, crypto::digest_size(h_));
    std::string client_key = crypto::hmac(h_, salted, "Client Key");
    std::string stored_key = crypto::digest(h_, client_key);
    std::string signature = crypto::hmac(h_, stored_key, auth_message);
    std::string proof = client_key;
    for (std::size_t k = 0; k < proof.size(); ++k) proof[k] = static_cast<char>(proof[k] ^ signature[k]);
    expected_server_final_ =
        "v=" + crypto::base64_encode(crypto::hmac(h_, crypto::hmac(h_, salted, "Server Key"), auth_message));
    return without_proof + ",p=" + crypto::base64_encode(proof);
  }

  bool check_server_final(const std::string& v) const {
    return !expected_server_final_.empty() && v == expected_server_final_;
  }

 private:
  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == ',') out += "=2C";
      else if (c == '=') out += "=3D";
      else out += c;
    }
    return out;
  }

  crypto::hash h_;
  std::string user_, password_, nonce_;
  std::optional<std::string> cb_, flag_;
  std::string authzid_;
  std::string gs2_, bare_, expected_server_final_;
};

}  // namespace hearth::auth::test
