#include "xmpp/component/proto/handshake.hpp"

#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;
using namespace hearth::xmpp::component;

TEST_CASE("the handshake is hex(SHA-1(stream id + secret))", "[component]") {
  // Computed independently: python3 -c "import hashlib; print(hashlib.sha1(b'3BF96D32sikrit').hexdigest())"
  CHECK(handshake_digest("3BF96D32", "sikrit") == "cd16ef59395cb2bcb9db15278683f14eebde2a34");
  CHECK(handshake_matches("3BF96D32", "sikrit", "cd16ef59395cb2bcb9db15278683f14eebde2a34"));
  CHECK(handshake_matches("3BF96D32", "sikrit", " CD16EF59395CB2BCB9DB15278683F14EEBDE2A34\n"));
  CHECK_FALSE(handshake_matches("3BF96D32", "sikrit2", "cd16ef59395cb2bcb9db15278683f14eebde2a34"));
  CHECK_FALSE(handshake_matches("3BF96D33", "sikrit", "cd16ef59395cb2bcb9db15278683f14eebde2a34"));
  CHECK_FALSE(handshake_matches("3BF96D32", "sikrit", "cd16ef59395cb2bcb9db15278683f14eebde2a3"));
  CHECK_FALSE(handshake_matches("3BF96D32", "sikrit", ""));
}

TEST_CASE("a component speaks only for its own domain", "[component]") {
  auto check = [](const char* xml) { return check_outbound(*parse_fragment(xml), "push.example.org"); };
  CHECK(check("<message from='push.example.org' to='a@example.org'/>").empty());
  CHECK(check("<iq from='node@push.example.org/r' to='example.org' type='get' id='1'/>").empty());
  CHECK(check("<presence from='push.example.org' to='a@example.org'/>").empty());
  CHECK(check("<message from='example.org' to='a@example.org'/>") == "invalid-from");
  CHECK(check("<message from='x.push.example.org' to='a@example.org'/>") == "invalid-from");
  CHECK(check("<message to='a@example.org'/>") == "invalid-from");
  CHECK(check("<message from='push.example.org'/>") == "improper-addressing");
  CHECK(check("<message from='push.example.org' to='@bad'/>") == "improper-addressing");
  CHECK(check("<handshake from='push.example.org' to='a@example.org'/>") == "unsupported-stanza-type");
}
