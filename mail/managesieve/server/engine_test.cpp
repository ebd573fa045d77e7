#include "mail/managesieve/server/engine.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "directory/directory.hpp"
#include "mail/sieve_store/store.hpp"

using namespace hearth;
using namespace hearth::mail::managesieve;

namespace {

struct fixture {
  std::filesystem::path path;
  std::unique_ptr<directory::directory> dir;
  std::unique_ptr<mail::sieve_store::store> st;
  engine_env env;
  fixture() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hearth_ms_test_" + std::to_string(rd()) + std::to_string(rd()));
    dir = directory::directory::open(path).value();
    dir->add_domain("home.test").value();
    dir->add_account("alice@home.test", {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}).value();
    st = mail::sieve_store::store::open(path, {3, 100, 150}).value();
    env.scripts = st.get();
    env.hostname = "mail.home.test";
    env.sieve_extensions = "fileinto vacation";
    env.notify_methods = "mailto xmpp";
    env.max_redirects = 4;
    env.check = [](std::string_view s, const std::string&) {
      check_result r;
      if (auto p = s.find("bad"); p != std::string_view::npos) {
        r.ok = false;
        r.message = "line 2: unknown command 'bad'";
      }
      return r;
    };
  }
  ~fixture() {
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
};

command cmd(std::string name, std::vector<std::string> args = {}) {
  command c{std::move(name), {}};
  for (auto& a : args) {
    argument x;
    if (!a.empty() && a[0] == '#') {
      x.type = argument::kind::number;
      x.number = std::stoull(a.substr(1));
      x.text = a.substr(1);
    } else {
      x.text = a;
    }
    c.args.push_back(x);
  }
  return c;
}

}  // namespace

TEST_CASE("managesieve engine: capabilities and the state checks") {
  fixture f;
  engine e(f.env, "127.0.0.1", false);
  auto g = e.greeting();
  CHECK(g.find("\"IMPLEMENTATION\" \"Hearth\"\r\n") != std::string::npos);
  CHECK(g.find("\"SASL\" \"\"\r\n") != std::string::npos);  // nothing before TLS
  CHECK(g.find("\"SIEVE\" \"fileinto vacation\"\r\n") != std::string::npos);
  CHECK(g.find("\"NOTIFY\" \"mailto xmpp\"\r\n") != std::string::npos);
  CHECK(g.find("\"MAXREDIRECTS\" \"4\"\r\n") != std::string::npos);
  CHECK(g.find("\"STARTTLS\"\r\n") != std::string::npos);
  CHECK(g.find("\"VERSION\" \"1.0\"\r\nOK") != std::string::npos);
  CHECK(e.handle(cmd("AUTHENTICATE", {"PLAIN"})).out == "NO (ENCRYPT-NEEDED) \"Use STARTTLS first\"\r\n");
  CHECK(e.handle(cmd("LISTSCRIPTS")).out == "NO \"Authenticate first\"\r\n");
  CHECK(e.handle(cmd("FOO")).out == "NO \"Unknown command\"\r\n");
  CHECK(e.handle(cmd("NOOP", {"x\"y"})).out == "OK (TAG \"x\\\"y\") \"Done\"\r\n");
  auto s = e.handle(cmd("STARTTLS"));
  CHECK(s.act == action::starttls);
  auto after = e.tls_started();
  CHECK(after.find("\"STARTTLS\"") == std::string::npos);
  CHECK(after.ends_with("OK \"TLS negotiation successful\"\r\n"));
  CHECK(e.handle(cmd("STARTTLS")).out.starts_with("NO"));
  CHECK(e.handle(cmd("LOGOUT")).act == action::logout);
}

TEST_CASE("managesieve engine: script commands and response codes") {
  fixture f;
  engine e(f.env, "127.0.0.1", true);
  e.authenticated("alice@home.test");
  CHECK(e.capabilities().find("\"OWNER\" \"alice@home.test\"") != std::string::npos);
  CHECK(e.handle(cmd("AUTHENTICATE", {"PLAIN"})).out == "NO \"Already authenticated\"\r\n");
  CHECK(e.handle(cmd("LISTSCRIPTS")).out == "OK \"Listscripts completed\"\r\n");
  CHECK(e.handle(cmd("PUTSCRIPT", {"one", "keep;\r\nbad;\r\n"})).out == "NO \"line 2: unknown command 'bad'\"\r\n");
  CHECK(e.handle(cmd("CHECKSCRIPT", {"bad"})).out == "NO \"line 2: unknown command 'bad'\"\r\n");
  CHECK(e.handle(cmd("CHECKSCRIPT", {"keep;"})).out == "OK \"Script is valid\"\r\n");
  CHECK(e.handle(cmd("PUTSCRIPT", {"one", "keep;\r\n"})).out == "OK \"Putscript completed\"\r\n");
  CHECK(e.handle(cmd("PUTSCRIPT", {"two", "discard;"})).out == "OK \"Putscript completed\"\r\n");
  CHECK(e.handle(cmd("PUTSCRIPT", {"", "discard;"})).out == "NO \"Invalid script name\"\r\n");
  CHECK(e.handle(cmd("PUTSCRIPT", {"big", std::string(101, 'x')})).out.starts_with("NO (QUOTA/MAXSIZE)"));
  CHECK(e.handle(cmd("CHECKSCRIPT", {std::string(101, 'x')})).out.starts_with("NO (QUOTA/MAXSIZE)"));
  CHECK(e.handle(cmd("HAVESPACE", {"three", "#101"})).out.starts_with("NO (QUOTA/MAXSIZE)"));
  CHECK(e.handle(cmd("HAVESPACE", {"three", "#10"})).out == "OK \"Putscript would succeed\"\r\n");
  CHECK(e.handle(cmd("PUTSCRIPT", {"three", "stop;"})).out.starts_with("OK"));
  CHECK(e.handle(cmd("PUTSCRIPT", {"four", "stop;"})).out.starts_with("NO (QUOTA/MAXSCRIPTS)"));
  CHECK(e.handle(cmd("HAVESPACE", {"four", "#1"})).out.starts_with("NO (QUOTA/MAXSCRIPTS)"));
  CHECK(e.handle(cmd("SETACTIVE", {"nope"})).out.starts_with("NO (NONEXISTENT)"));
  CHECK(e.handle(cmd("SETACTIVE", {"one"})).out == "OK \"Setactive completed\"\r\n");
  CHECK(e.handle(cmd("LISTSCRIPTS")).out ==
        "\"one\" ACTIVE\r\n\"three\"\r\n\"two\"\r\nOK \"Listscripts completed\"\r\n");
  CHECK(e.handle(cmd("GETSCRIPT", {"one"})).out == "{7}\r\nkeep;\r\n\r\nOK \"Getscript completed\"\r\n");
  CHECK(e.handle(cmd("GETSCRIPT", {"nope"})).out.starts_with("NO (NONEXISTENT)"));
  CHECK(e.handle(cmd("DELETESCRIPT", {"one"})).out.starts_with("NO (ACTIVE)"));
  CHECK(e.handle(cmd("RENAMESCRIPT", {"two", "three"})).out.starts_with("NO (ALREADYEXISTS)"));
  CHECK(e.handle(cmd("RENAMESCRIPT", {"nope", "x"})).out.starts_with("NO (NONEXISTENT)"));
  CHECK(e.handle(cmd("RENAMESCRIPT", {"one", "uno"})).out.starts_with("OK"));
  CHECK(e.handle(cmd("LISTSCRIPTS")).out.starts_with("\"three\"\r\n\"two\"\r\n\"uno\" ACTIVE\r\n"));
  CHECK(e.handle(cmd("SETACTIVE", {""})).out.starts_with("OK"));
  CHECK(e.handle(cmd("DELETESCRIPT", {"uno"})).out.starts_with("OK"));
  CHECK(e.handle(cmd("DELETESCRIPT", {"uno"})).out.starts_with("NO (NONEXISTENT)"));
  CHECK(e.handle(cmd("HAVESPACE", {"x", "y"})).out.starts_with("NO"));
  CHECK(e.handle(cmd("UNAUTHENTICATE")).out.starts_with("OK"));
  CHECK(e.handle(cmd("LISTSCRIPTS")).out == "NO \"Authenticate first\"\r\n");
}
