#include "core/tls/context_set.hpp"
#include "tests/unit/test_certs.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using hearth::config::certificate;
using hearth::tls::context_set;
using hearth::tls::generation;
using hearth::test::make_cert;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/hearth-tls-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("generation picks a certificate by name, exact before wildcard, else the default") {
  temp_dir t;
  auto a = make_cert(t.path, "mail.one.test", {"mail.one.test", "one.test"});
  auto b = make_cert(t.path, "chat.two.test", {"chat.two.test", "*.two.test"});
  auto c = make_cert(t.path, "exact.two.test", {"exact.two.test"});
  auto g = generation::build({a, b, c});
  REQUIRE(g);
  auto& gen = **g;
  CHECK(gen.size() == 3);
  CHECK(gen.pick("mail.one.test") == 0);
  CHECK(gen.pick("ONE.test.") == 0);
  CHECK(gen.pick("chat.two.test") == 1);
  CHECK(gen.pick("dav.two.test") == 1);       // wildcard
  CHECK(gen.pick("exact.two.test") == 2);     // exact wins over the earlier wildcard
  CHECK(gen.pick("a.b.two.test") == 0);       // a wildcard covers one label only
  CHECK(gen.pick("two.test") == 0);
  CHECK(gen.pick("unknown.example") == 0);
  CHECK(gen.pick("") == 0);
  CHECK(gen.subject(1).find("chat.two.test") != std::string::npos);
}

TEST_CASE("unreadable files and mismatched keys are clear errors") {
  temp_dir t;
  auto a = make_cert(t.path, "a.test", {"a.test"});
  auto b = make_cert(t.path, "b.test", {"b.test"});

  certificate missing = a;
  missing.cert_file = t.path / "nope.crt";
  auto r1 = generation::build({missing});
  REQUIRE_FALSE(r1);
  CHECK(r1.error().code == "tls.cert");
  CHECK(r1.error().message.find("nope.crt") != std::string::npos);
  CHECK(r1.error().message.find("No such file") != std::string::npos);

  certificate mismatched = a;
  mismatched.key_file = b.key_file;
  auto r2 = generation::build({mismatched});
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == "tls.mismatch");
  CHECK(r2.error().message.find(b.key_file.string()) != std::string::npos);

  certificate garbage = a;
  garbage.cert_file = t.path / "garbage.crt";
  std::ofstream(garbage.cert_file) << "not a certificate\n";
  auto r3 = generation::build({garbage});
  REQUIRE_FALSE(r3);
  CHECK(r3.error().code == "tls.cert");
  CHECK(r3.error().message.find("garbage.crt") != std::string::npos);

  auto r4 = generation::build({});
  REQUIRE_FALSE(r4);
  CHECK(r4.error().code == "tls.none");
}

TEST_CASE("reload swaps the set for new users and keeps the old one on error") {
  temp_dir t;
  auto a = make_cert(t.path, "a.test", {"a.test"});
  auto b = make_cert(t.path, "b.test", {"b.test"});
  auto set = context_set::create({a});
  REQUIRE(set);
  auto before = (*set)->current();
  CHECK(before->subject(0).find("a.test") != std::string::npos);

  auto n = (*set)->reload({b, a});
  REQUIRE(n);
  CHECK(*n == 2);
  auto after = (*set)->current();
  CHECK(after != before);
  CHECK(after->subject(0).find("b.test") != std::string::npos);
  // A holder of the old generation (a live connection) still has its certificate.
  CHECK(before->subject(0).find("a.test") != std::string::npos);

  certificate broken = a;
  broken.key_file = t.path / "missing.key";
  auto r = (*set)->reload({broken});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "tls.key");
  CHECK((*set)->current() == after);
  CHECK((*set)->size() == 2);
}

TEST_CASE("tls-exporter and SNI helpers tolerate a null or unfinished SSL") {
  CHECK_FALSE(hearth::tls::channel_binding_tls_exporter(nullptr));
  CHECK(hearth::tls::sni_name(nullptr).empty());
}
