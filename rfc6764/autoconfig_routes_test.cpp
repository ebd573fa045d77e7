// The routes, through the real router, over a throwaway directory and a real authenticator.
#include <catch2/catch.hpp>

#include <filesystem>

#include "auth/directory_source.hpp"
#include "auth/password.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "rfc6764/autoconfig.hpp"
#include "rfc6764/mta_sts.hpp"

using namespace hearth;

namespace {

namespace fs = std::filesystem;

struct fixture {
  fs::path tmp = fs::temp_directory_path() / ("hearth-autoconfig-" + log::new_id());
  std::unique_ptr<directory::directory> dir;
  std::unique_ptr<auth::directory_source> source;
  std::unique_ptr<auth::authenticator> authn;
  config::config cfg;
  http::router router;

  fixture() {
    log::set_level(log::level::error);
    fs::create_directories(tmp);
    auto d = directory::directory::open(tmp / "directory.db");
    REQUIRE(d);
    dir = std::move(*d);
    REQUIRE(dir->add_domain("example.org"));
    const auth::argon2_params cheap{64, 1, 1};
    REQUIRE(dir->add_account("ann@example.org", auth::derive_credentials("secret pass", cheap), "Ann Example"));
    source = std::make_unique<auth::directory_source>(*dir);
    auth::authenticator_options opts;
    opts.dummy_cost = cheap;
    authn = std::make_unique<auth::authenticator>(*source, auth::throttle_config{}, opts);
    cfg.hostname = "mail.example.org";
    rfc6764::register_routes(router, cfg, *dir, *authn);
  }
  ~fixture() {
    authn.reset();
    source.reset();
    dir.reset();
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }

  http::response call(std::string method, std::string host, std::string path, std::string query = "",
                      std::string body = "", std::string authorization = "") {
    http::request req;
    req.method = std::move(method);
    req.host = std::move(host);
    req.path = std::move(path);
    req.query = std::move(query);
    req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
    req.body = std::move(body);
    req.remote_ip = "127.0.0.1";
    if (!authorization.empty()) req.headers["authorization"] = authorization;
    return router.dispatch(req);
  }
};

std::string header(const http::response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

std::string autodiscover_body(const std::string& email) {
  return "<Autodiscover xmlns=\"" + std::string(rfc6764::autodiscover_request_ns) + "\"><Request><EMailAddress>" +
         email + "</EMailAddress></Request></Autodiscover>";
}

}  // namespace

TEST_CASE("routes: Thunderbird autoconfig on autoconfig.DOMAIN and the well-known path") {
  fixture f;
  auto r = f.call("GET", "autoconfig.example.org", "/mail/config-v1.1.xml", "emailaddress=ann%40example.org");
  CHECK(r.status == 200);
  CHECK(header(r, "Content-Type") == "text/xml; charset=utf-8");
  CHECK(r.body == rfc6764::thunderbird_config(f.cfg, "example.org"));
  // Without emailaddress the Host names the domain.
  CHECK(f.call("GET", "autoconfig.example.org", "/mail/config-v1.1.xml").status == 200);
  CHECK(f.call("GET", "autoconfig.example.org", "/mail/config-v1.1.xml", "emailaddress=x%40unknown.test").status == 404);
  CHECK(f.call("GET", "autoconfig.unknown.test", "/mail/config-v1.1.xml").status == 404);
  CHECK(f.call("GET", "autoconfig.example.org", "/mail/config-v1.1.xml", "emailaddress=nobody").status == 400);
  // The short path only exists on the autoconfig. host.
  CHECK(f.call("GET", "example.org", "/mail/config-v1.1.xml").status == 404);
  auto w = f.call("GET", "example.org", "/.well-known/autoconfig/mail/config-v1.1.xml", "emailaddress=ann%40EXAMPLE.org");
  CHECK(w.status == 200);
  CHECK(w.body == r.body);
  CHECK(f.call("GET", "mail.example.org", "/.well-known/autoconfig/mail/config-v1.1.xml",
               "emailaddress=ann%40unknown.test").status == 404);
}

TEST_CASE("routes: Autodiscover POST") {
  fixture f;
  auto r = f.call("POST", "autodiscover.example.org", "/autodiscover/autodiscover.xml", "", autodiscover_body("Ann@example.org"));
  CHECK(r.status == 200);
  CHECK(header(r, "Content-Type") == "text/xml; charset=utf-8");
  CHECK(r.body == rfc6764::autodiscover_response(f.cfg, "ann@example.org"));
  CHECK(f.call("POST", "example.org", "/Autodiscover/Autodiscover.xml", "", autodiscover_body("ann@example.org")).status == 200);
  // Any account of a local domain gets settings: existence is not revealed.
  CHECK(f.call("POST", "example.org", "/autodiscover/autodiscover.xml", "", autodiscover_body("zed@example.org")).status == 200);
  CHECK(f.call("POST", "example.org", "/autodiscover/autodiscover.xml", "", autodiscover_body("ann@unknown.test")).status == 404);
  auto bad = f.call("POST", "example.org", "/autodiscover/autodiscover.xml", "", "<garbage");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("<ErrorCode>600</ErrorCode>") != std::string::npos);
  CHECK(f.call("POST", "example.org", "/autodiscover/autodiscover.xml", "",
               std::string(rfc6764::max_autodiscover_body + 1, ' ')).status == 413);
  CHECK(f.call("GET", "example.org", "/autodiscover/autodiscover.xml").status == 405);
}

TEST_CASE("routes: the Apple profile needs the account's password") {
  fixture f;
  auto none = f.call("GET", "mail.example.org", "/hearth/apple.mobileconfig");
  CHECK(none.status == 401);
  CHECK(header(none, "WWW-Authenticate") == "Basic realm=\"Hearth\", charset=\"UTF-8\"");
  auto basic = [](std::string_view user, std::string_view pw) {
    return "Basic " + crypto::base64_encode(std::string(user) + ":" + std::string(pw));
  };
  CHECK(f.call("GET", "mail.example.org", "/hearth/apple.mobileconfig", "", "", basic("ann@example.org", "wrong")).status == 401);
  CHECK(f.call("GET", "mail.example.org", "/hearth/apple.mobileconfig", "", "", basic("nobody@example.org", "secret pass")).status == 401);
  auto ok = f.call("GET", "mail.example.org", "/hearth/apple.mobileconfig", "", "", basic("ANN@example.org", "secret pass"));
  REQUIRE(ok.status == 200);
  CHECK(header(ok, "Content-Type") == "application/x-apple-aspen-config");
  CHECK(ok.body == rfc6764::apple_mobileconfig(f.cfg, "ann@example.org", "Ann Example"));
  CHECK(ok.body.find("secret pass") == std::string::npos);
}

TEST_CASE("routes: PACC and MTA-STS answer only for local domains") {
  fixture f;
  auto p = f.call("GET", "ua-auto-config.example.org", "/.well-known/user-agent-configuration.json");
  CHECK(p.status == 200);
  CHECK(header(p, "Content-Type") == "application/json");
  CHECK(p.body == rfc6764::pacc_document(f.cfg, "example.org"));
  CHECK(f.call("GET", "example.org", "/.well-known/user-agent-configuration.json").body == p.body);
  CHECK(f.call("GET", "ua-auto-config.unknown.test", "/.well-known/user-agent-configuration.json").status == 404);

  auto m = f.call("GET", "mta-sts.example.org", "/.well-known/mta-sts.txt");
  CHECK(m.status == 200);
  CHECK(header(m, "Content-Type") == "text/plain");
  CHECK(m.body == rfc6764::mta_sts_policy(f.cfg));
  CHECK(f.call("GET", "example.org", "/.well-known/mta-sts.txt").status == 404);
  CHECK(f.call("GET", "mail.example.org", "/.well-known/mta-sts.txt").status == 404);
  CHECK(f.call("GET", "mta-sts.unknown.test", "/.well-known/mta-sts.txt").status == 404);
}
