// The admin API's requests through the console's real endpoint table (web/api.hpp): the first
// line of the input is "METHOD PATH[?QUERY]", the rest the body. The caller is an admin API
// token; the directory is a throw-away file. Calls that need the protocol areas answer an
// error (they are not linked here).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "auth/password.hpp"
#include "web/admin/admin.hpp"
#include "web/session_store.hpp"

using namespace hearth;
using namespace hearth::web;
using namespace hearth::web::admin;

namespace {

struct no_areas final : server_admin {
  result<dns_report> dns(std::string_view) override { return fail("zone.invalid", "absent"); }
  result<std::vector<queue_message>> queue() override { return std::vector<queue_message>{}; }
  result<int> queue_act(std::string_view, queue_action) override { return fail("queue.not_found", "absent"); }
  result<std::vector<greylist_entry>> greylist(std::size_t) override { return std::vector<greylist_entry>{}; }
  result<std::vector<dkim_entry>> dkim(std::string_view) override { return std::vector<dkim_entry>{}; }
  result<std::vector<dkim_entry>> dkim_generate(std::string_view) override { return std::vector<dkim_entry>{}; }
  result<reports_view> reports(std::string_view, std::int64_t) override { return reports_view{}; }
  result<std::vector<mail_decision>> decisions(std::string_view, std::string_view, std::int64_t, std::size_t) override {
    return std::vector<mail_decision>{};
  }
};

struct world {
  std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("hearth_fuzz_admin_" + std::to_string(::getpid()) + ".db");
  config::config cfg;
  std::unique_ptr<directory::directory> dir = directory::directory::open(file).value();
  std::unique_ptr<session_store> sessions = open_session_store(file.string()).value();
  std::unique_ptr<token_store> tokens = open_token_store(file.string()).value();
  no_areas areas;
  api a{api_deps{*dir, *sessions, [this](std::string_view t) { return token_caller(*tokens, *dir, t); }, {}}};
  std::string token;
  world() {
    (void)dir->add_domain("home.test");
    (void)dir->add_account("fuzz@home.test", auth::derive_credentials("pw"));
    (void)dir->set_admin("fuzz@home.test", true);
    add_endpoints(a, std::make_shared<const admin::services>(admin::services{cfg, *dir, areas, "fuzz"}));
    token = tokens->create("fuzz@home.test", "fuzz").value().secret;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static world w;
  std::string in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string head = in.substr(0, nl), body = nl == std::string::npos ? std::string() : in.substr(nl + 1);
  auto sp = head.find(' ');
  if (sp == std::string::npos) return 0;
  // Setting a password derives Argon2id keys (tens of ms): keep the fuzzer on the rest.
  if (body.find("password") != std::string::npos) return 0;
  http::request req;
  req.method = head.substr(0, sp);
  std::string target = head.substr(sp + 1);
  if (auto q = target.find('?'); q != std::string::npos) {
    req.query = target.substr(q + 1);
    target.resize(q);
  }
  if (target.empty() || target[0] != '/') return 0;
  // Never let the fuzzer remove its own caller.
  if (target.find("fuzz@") != std::string::npos) return 0;
  req.path = req.target = target;
  req.body = body;
  if (!body.empty()) req.headers["content-type"] = "application/json";
  req.headers["authorization"] = "Bearer " + w.token;
  auto r = w.a.handle(req);
  if (r.status >= 400 && r.body.find("\"error\"") == std::string::npos) __builtin_trap();
  return 0;
}
