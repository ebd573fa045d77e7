// The admin endpoints through the console's real API table (web/api.hpp): the caller is an
// API token (the token store) or a session (the session store), as in the server.
#include "web/admin/admin.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "auth/password.hpp"
#include "web/session_store.hpp"

using namespace hearth;
using namespace hearth::web;
using namespace hearth::web::admin;

namespace {

struct temp_db {
  std::filesystem::path path;
  temp_db() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hearth_admin_test_" + std::to_string(rd()) + std::to_string(rd()) + ".sqlite");
  }
  ~temp_db() {
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
};

// The protocol areas are not linked into this test (app/ implements server_admin with them;
// e2e.web_admin_api covers them): each call here says so, and the queue is empty.
struct no_areas final : server_admin {
  result<dns_report> dns(std::string_view) override { return fail("zone.invalid", "not in this test"); }
  result<std::vector<queue_message>> queue() override { return std::vector<queue_message>{}; }
  result<int> queue_act(std::string_view, queue_action) override { return fail("queue.not_found", "no such message"); }
  result<std::vector<greylist_entry>> greylist(std::size_t) override { return std::vector<greylist_entry>{}; }
  result<std::vector<dkim_entry>> dkim(std::string_view) override { return std::vector<dkim_entry>{}; }
  result<std::vector<dkim_entry>> dkim_generate(std::string_view) override { return std::vector<dkim_entry>{}; }
  result<reports_view> reports(std::string_view, std::int64_t) override { return reports_view{}; }
  result<std::vector<mail_decision>> decisions(std::string_view, std::string_view, std::int64_t, std::size_t) override {
    return std::vector<mail_decision>{};
  }
};

struct fixture {
  temp_db t;
  config::config cfg;
  std::unique_ptr<directory::directory> dir = directory::directory::open(t.path).value();
  std::unique_ptr<session_store> sessions = open_session_store(t.path.string()).value();
  std::unique_ptr<token_store> tokens = open_token_store(t.path.string()).value();
  no_areas areas;
  api a{api_deps{*dir, *sessions, [this](std::string_view tok) { return token_caller(*tokens, *dir, tok); }, {}}};
  std::string token;

  fixture() {
    REQUIRE(dir->add_domain("home.test"));
    REQUIRE(dir->add_account("boss@home.test", auth::derive_credentials("boss pw")));
    REQUIRE(dir->set_admin("boss@home.test", true));
    add_endpoints(a, std::make_shared<const admin::services>(admin::services{cfg, *dir, areas, "0.0.0-test"}));
    token = tokens->create("boss@home.test", "test").value().secret;
  }

  http::response run(std::string method, std::string path, std::string body = {}, std::string query = {},
                     std::optional<std::string> bearer = std::nullopt) {
    http::request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.target = req.path;
    req.query = std::move(query);
    req.body = std::move(body);
    req.remote_ip = "127.0.0.1";
    req.headers["authorization"] = "Bearer " + bearer.value_or(token);
    if (!req.body.empty()) req.headers["content-type"] = "application/json";
    return a.handle(req);
  }
};

json::value parsed(const http::response& r) { return json::parse(r.body, {}).value(); }
std::string code_of(const http::response& r) {
  auto v = parsed(r);
  const json::value* e = v.find("error");
  const std::string* c = e ? e->find_string("code") : nullptr;
  return c ? *c : std::string();
}

}  // namespace

TEST_CASE("admin api: who may call") {
  fixture f;
  CHECK(f.run("GET", "/api/v1/admin/accounts").status == 200);
  // No credential at all, an unknown token, a malformed one: 401.
  http::request bare;
  bare.method = "GET";
  bare.path = bare.target = "/api/v1/admin/accounts";
  CHECK(f.a.handle(bare).status == 401);
  CHECK(f.run("GET", "/api/v1/admin/accounts", {}, {}, "hearth_" + std::string(64, '0')).status == 401);
  CHECK(f.run("GET", "/api/v1/admin/accounts", {}, {}, "not-a-token").status == 401);
  // A token of an account that is no admin (any more): 403; of a disabled one: 401.
  REQUIRE(f.dir->add_account("ann@home.test", auth::derive_credentials("ann pw")));
  auto ann = f.tokens->create("ann@home.test", "t").value().secret;
  auto r = f.run("GET", "/api/v1/admin/accounts", {}, {}, ann);
  CHECK(r.status == 403);
  CHECK(code_of(r) == "forbidden");
  REQUIRE(f.dir->set_disabled("boss@home.test", true));
  CHECK(f.run("GET", "/api/v1/admin/accounts").status == 401);
  REQUIRE(f.dir->set_disabled("boss@home.test", false));
  // A session of a non-admin: 403; of the admin: 200 for GET, 403 csrf for a change without
  // the token, 201 with it.
  auto sa = f.sessions->create("ann@home.test", "127.0.0.1", std::chrono::hours(1)).value();
  auto sb = f.sessions->create("boss@home.test", "127.0.0.1", std::chrono::hours(1)).value();
  auto with_cookie = [&](const std::string& method, const std::string& cookie, const std::string& csrf, std::string body) {
    http::request q;
    q.method = method;
    q.path = q.target = "/api/v1/admin/accounts";
    q.headers["cookie"] = std::string(cookie_name) + "=" + cookie;
    if (!csrf.empty()) q.headers["x-csrf-token"] = csrf;
    q.body = std::move(body);
    if (!q.body.empty()) q.headers["content-type"] = "application/json";
    return f.a.handle(q);
  };
  CHECK(with_cookie("GET", sa.token, "", "").status == 403);
  CHECK(with_cookie("GET", sb.token, "", "").status == 200);
  std::string body = R"({"address":"cat@home.test","password":"cat pw"})";
  r = with_cookie("POST", sb.token, "", body);
  CHECK(r.status == 403);
  CHECK(code_of(r) == "csrf");
  CHECK(with_cookie("POST", sb.token, sb.info.csrf, body).status == 201);
}

TEST_CASE("admin api: accounts are added, changed and removed through the directory") {
  fixture f;
  auto r = f.run("POST", "/api/v1/admin/accounts", R"({"address":"Ann@home.test","password":"correct horse"})");
  REQUIRE(r.status == 201);
  CHECK(*parsed(r).find_string("address") == "ann@home.test");
  auto creds = f.dir->credentials("ann@home.test");
  REQUIRE(creds);
  CHECK(auth::verify_password(*creds, "correct horse"));
  r = f.run("GET", "/api/v1/admin/accounts");
  REQUIRE(r.status == 200);
  CHECK(parsed(r).find("accounts")->as_array()->size() == 2);

  CHECK(code_of(f.run("POST", "/api/v1/admin/accounts", R"({"address":"ann@home.test","password":"x"})")) == "exists");
  CHECK(code_of(f.run("POST", "/api/v1/admin/accounts", R"({"address":"x@elsewhere.test","password":"x"})")) == "invalid");
  CHECK(code_of(f.run("POST", "/api/v1/admin/accounts", R"({"address":"x@home.test"})")) == "invalid");
  CHECK(code_of(f.run("POST", "/api/v1/admin/accounts", R"({"address":"x@home.test","password":""})")) == "invalid");
  CHECK(code_of(f.run("POST", "/api/v1/admin/accounts", "{not json")) == "bad_json");

  r = f.run("PATCH", "/api/v1/admin/accounts/ann@home.test", R"({"password":"new one","quota_bytes":1000})");
  REQUIRE(r.status == 200);
  CHECK(*parsed(r).find("quota_bytes")->as_number() == 1000);
  CHECK(auth::verify_password(*f.dir->credentials("ann@home.test"), "new one"));
  CHECK_FALSE(auth::verify_password(*f.dir->credentials("ann@home.test"), "correct horse"));
  r = f.run("PATCH", "/api/v1/admin/accounts/ann@home.test", R"({"admin":true})");
  CHECK(*parsed(r).find("admin")->as_bool());
  CHECK(f.dir->find_account("ann@home.test")->admin);
  r = f.run("PATCH", "/api/v1/admin/accounts/ann@home.test", R"({"disabled":true})");
  CHECK(*parsed(r).find("disabled")->as_bool());
  CHECK_FALSE(f.dir->credentials("ann@home.test"));
  CHECK(code_of(f.run("PATCH", "/api/v1/admin/accounts/ann@home.test", R"({"colour":"red"})")) == "invalid");
  CHECK(code_of(f.run("PATCH", "/api/v1/admin/accounts/ann@home.test", R"({"quota_bytes":-1})")) == "invalid");
  CHECK(code_of(f.run("PATCH", "/api/v1/admin/accounts/ann@home.test", R"({"quota_bytes":1.5})")) == "invalid");
  CHECK(f.run("PATCH", "/api/v1/admin/accounts/nobody@home.test", R"({"disabled":true})").status == 404);
  // An admin cannot take their own flag or delete themselves (the shell can).
  CHECK(code_of(f.run("PATCH", "/api/v1/admin/accounts/boss@home.test", R"({"admin":false})")) == "conflict");
  CHECK(code_of(f.run("DELETE", "/api/v1/admin/accounts/boss@home.test")) == "conflict");

  CHECK(f.run("DELETE", "/api/v1/admin/accounts/ann@home.test").status == 204);
  CHECK(f.run("GET", "/api/v1/admin/accounts/ann@home.test").status == 404);
}

TEST_CASE("admin api: domains and aliases, catch-alls included") {
  fixture f;
  REQUIRE(f.run("POST", "/api/v1/admin/domains", R"({"name":"other.test"})").status == 201);
  CHECK(f.dir->is_local_domain("other.test"));
  CHECK(code_of(f.run("POST", "/api/v1/admin/domains", R"({"name":"other.test"})")) == "exists");
  REQUIRE(f.run("POST", "/api/v1/admin/accounts", R"({"address":"dan@other.test","password":"pw"})").status == 201);
  auto r = f.run("POST", "/api/v1/admin/aliases", R"({"source":"info@other.test","targets":["dan@other.test"]})");
  REQUIRE(r.status == 201);
  CHECK(f.dir->resolve("info@other.test") == std::vector<std::string>{"dan@other.test"});
  r = f.run("POST", "/api/v1/admin/aliases", R"({"source":"@other.test","targets":["dan@other.test"]})");
  REQUIRE(r.status == 201);
  CHECK(*parsed(r).find("catch_all")->as_bool());
  CHECK(f.dir->resolve("anything@other.test") == std::vector<std::string>{"dan@other.test"});
  CHECK(code_of(f.run("POST", "/api/v1/admin/aliases", R"({"source":"x@other.test","targets":[]})")) == "invalid");
  CHECK(code_of(f.run("POST", "/api/v1/admin/aliases", R"({"source":"x@other.test","targets":[1]})")) == "invalid");

  CHECK(f.run("DELETE", "/api/v1/admin/aliases/@other.test").status == 204);
  CHECK(f.dir->resolve("anything@other.test").empty());
  CHECK(f.run("DELETE", "/api/v1/admin/aliases/info@other.test", {}, "target=dan%40other.test").status == 204);
  CHECK(f.dir->resolve("info@other.test").empty());
  CHECK(f.run("DELETE", "/api/v1/admin/aliases/info@other.test").status == 404);

  CHECK(code_of(f.run("DELETE", "/api/v1/admin/domains/other.test")) == "conflict");
  r = f.run("GET", "/api/v1/admin/domains");
  auto v = parsed(r);
  REQUIRE(v.find("domains")->as_array()->size() == 2);
  CHECK(*(*v.find("domains")->as_array())[1].find("accounts")->as_number() == 1);
}

TEST_CASE("admin api: unknown paths, methods and queue ids") {
  fixture f;
  CHECK(code_of(f.run("GET", "/api/v1/admin/nothing-here")) == "not_found");
  CHECK(code_of(f.run("PUT", "/api/v1/admin/accounts")) == "method_not_allowed");
  CHECK(code_of(f.run("POST", "/api/v1/admin/queue/0123/retry")) == "not_found");
  CHECK(code_of(f.run("GET", "/api/v1/admin/dns/nowhere.test")) == "not_found");
  auto r = f.run("GET", "/api/v1/admin/status");
  REQUIRE(r.status == 200);
  CHECK(*parsed(r).find_string("version") == "0.0.0-test");
}
