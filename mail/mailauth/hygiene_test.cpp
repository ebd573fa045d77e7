#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/crypto/keys.hpp"
#include "directory/directory.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/mailauth/hygiene.hpp"

using namespace hearth::mail::mailauth;
namespace fs = std::filesystem;

namespace {
std::vector<signature> signatures_of(const std::string& msg) {
  std::vector<signature> out;
  for (auto& s : find_signatures(hearth::mail::parse_header(msg)))
    if (s.sig) out.push_back(*s.sig);
  return out;
}
}  // namespace

TEST_CASE("the submission transform cleans, then signs with the From domain's configured selectors", "[hygiene]") {
  fs::path dir = fs::temp_directory_path() / ("hearth-mailauth-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    auto d = hearth::directory::directory::open(dir / "dir.db");
    REQUIRE(d);
    auto& db = **d;
    REQUIRE(db.add_domain("a.test"));
    auto rsa = hearth::crypto::generate_rsa(2048);
    auto ed = hearth::crypto::generate_ed25519();
    auto old = hearth::crypto::generate_rsa(2048);
    REQUIRE((rsa && ed && old));
    REQUIRE(db.add_dkim_key("a.test", "hearth", "rsa-sha256", rsa->private_pem));
    REQUIRE(db.add_dkim_key("a.test", "hearth-ed25519", "ed25519-sha256", ed->private_pem));
    REQUIRE(db.add_dkim_key("a.test", "old2019", "rsa-sha256", old->private_pem));

    hygiene_options h;
    h.hostname = "mail.a.test";
    outgoing_transform t(db, h, signing_options{true, "hearth"});
    std::string out = t.prepare("alice@a.test", "alice@a.test",
                                "Received: from x ([10.1.2.3])\r\nX-Originating-IP: 10.1.2.3\r\n"
                                "From: Alice <alice@a.test>\r\nSubject: s\r\n\r\nbody\r\n");
    CHECK(out.find("10.1.2.3") == std::string::npos);
    auto sigs = signatures_of(out);
    REQUIRE(sigs.size() == 2);  // the configured selectors only, not old2019
    CHECK(sigs[0].selector == "hearth");
    CHECK(sigs[0].algorithm == "rsa-sha256");
    CHECK(sigs[1].selector == "hearth-ed25519");
    CHECK(sigs[1].algorithm == "ed25519-sha256");
    for (auto& s : sigs) {
      CHECK(s.domain == "a.test");
      CHECK(std::count(s.headers.begin(), s.headers.end(), "from") == 2);
      CHECK(std::count(s.headers.begin(), s.headers.end(), "message-id") == 1);
      CHECK(std::count(s.headers.begin(), s.headers.end(), "date") == 1);
    }
    // The signatures verify over what was sent.
    auto hs = hearth::mail::parse_header(out);
    auto found = find_signatures(hs);
    CHECK(verify(out, hs, found[0], key_answer{key_answer::ok, {"v=DKIM1; p=" + rsa->dkim_public}}, 0).status ==
          dkim_status::pass);
    CHECK(verify(out, hs, found[1], key_answer{key_answer::ok, {"v=DKIM1; k=ed25519; p=" + ed->dkim_public}}, 0).status ==
          dkim_status::pass);

    // Another selector configured: every key of the domain signs.
    outgoing_transform all(db, h, signing_options{true, "other"});
    CHECK(signatures_of(all.prepare("alice@a.test", "alice@a.test", "From: alice@a.test\r\n\r\nx\r\n")).size() == 3);
    // Signing off; a domain without keys: clean but unsigned.
    outgoing_transform off(db, h, signing_options{false, "hearth"});
    CHECK(signatures_of(off.prepare("alice@a.test", "alice@a.test", "From: alice@a.test\r\n\r\nx\r\n")).empty());
    CHECK(signatures_of(t.prepare("bob@b.test", "bob@b.test", "From: bob@b.test\r\n\r\nx\r\n")).empty());
  }
  fs::remove_all(dir);
}
