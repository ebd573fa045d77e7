// acl_store on both engines, next to the real mail store (whose mail_mailboxes the grants
// name), so that the grants' own rules (replace, remove, INBOX, who sees what, going with the
// mailbox on DELETE, staying through RENAME) are tested as the server runs them.
#include "mail/store/acl.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "core/blob/store.hpp"
#include "mail/store/store.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;

namespace {

struct mailboxes {
  std::filesystem::path dir;
  std::unique_ptr<blob::store> blobs;
  std::unique_ptr<mail::store> st;
  explicit mailboxes(const std::string& target) {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("hearth_acl_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    blobs = std::make_unique<blob::store>(dir / "blobs");
    st = mail::store::open(target, *blobs).value();  // no directory: any account
  }
  ~mailboxes() {
    st.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // The account's default mailboxes (INBOX...) are made on first use.
  void add(std::string_view account, std::string_view name) {
    if (name == "INBOX") REQUIRE(st->status(account, name));
    else REQUIRE(st->create(account, name));
  }
};

std::vector<std::string> idents(const std::vector<mail::acl_grant>& g) {
  std::vector<std::string> out;
  for (auto& x : g) out.push_back(x.owner + "/" + x.mailbox + ":" + x.identifier + "=" + x.rights);
  return out;
}

}  // namespace

TEST_CASE("acl store: set, replace, remove, INBOX in any case, who sees what") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  mailboxes mb(t.target);
  mb.add("alice@home.test", "INBOX");
  mb.add("alice@home.test", "Shared");
  mb.add("bob@home.test", "INBOX");
  auto acl = mail::acl_store::open(t.target).value();

  CHECK(acl->set("alice@home.test", "Nope", "bob@home.test", "lr").error().code == "mail.no_mailbox");
  CHECK(acl->set("carol@home.test", "INBOX", "bob@home.test", "lr").error().code == "mail.no_mailbox");
  CHECK_FALSE(acl->set("alice@home.test", "Shared", "bob@home.test", "lr").value());  // new
  CHECK(acl->set("alice@home.test", "Shared", "bob@home.test", "lrsw").value());      // replaced
  CHECK_FALSE(acl->set("alice@home.test", "inbox", "anyone", "l").value());           // INBOX, any case
  CHECK_FALSE(acl->set("bob@home.test", "INBOX", "alice@home.test", "lr").value());
  CHECK_FALSE(acl->set("alice@home.test", "Shared", "carol@home.test", "r").value());

  CHECK(idents(acl->of_mailbox("alice@home.test", "Shared").value()) ==
        std::vector<std::string>{"alice@home.test/Shared:bob@home.test=lrsw", "alice@home.test/Shared:carol@home.test=r"});
  CHECK(idents(acl->of_mailbox("alice@home.test", "INBOX").value()) ==
        std::vector<std::string>{"alice@home.test/INBOX:anyone=l"});
  CHECK(acl->of_mailbox("alice@home.test", "Nope").value().empty());
  // Bob sees what names him or anyone on others' mailboxes, by owner then mailbox; not his own.
  CHECK(idents(acl->for_user("bob@home.test").value()) ==
        std::vector<std::string>{"alice@home.test/INBOX:anyone=l", "alice@home.test/Shared:bob@home.test=lrsw"});
  // Alice's own grants on her mailboxes are not "shared with her".
  CHECK(idents(acl->for_user("alice@home.test").value()) == std::vector<std::string>{"bob@home.test/INBOX:alice@home.test=lr"});
  CHECK(idents(acl->of_owner("alice@home.test").value()) ==
        std::vector<std::string>{"alice@home.test/INBOX:anyone=l", "alice@home.test/Shared:bob@home.test=lrsw",
                                 "alice@home.test/Shared:carol@home.test=r"});

  CHECK(acl->set("alice@home.test", "Shared", "bob@home.test", "").value());         // removed
  CHECK_FALSE(acl->set("alice@home.test", "Shared", "bob@home.test", "").value());   // nothing to remove
  CHECK(idents(acl->for_user("bob@home.test").value()) == std::vector<std::string>{"alice@home.test/INBOX:anyone=l"});
}

TEST_CASE("acl store: a grant goes with its mailbox, keeps through a rename, not inherited by a new one") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  mailboxes mb(t.target);
  mb.add("alice@home.test", "Projects");
  auto acl = mail::acl_store::open(t.target).value();
  REQUIRE_FALSE(acl->set("alice@home.test", "Projects", "bob@home.test", "lr").value());

  REQUIRE(mb.st->rename("alice@home.test", "Projects", "Work"));
  CHECK(idents(acl->of_owner("alice@home.test").value()) == std::vector<std::string>{"alice@home.test/Work:bob@home.test=lr"});

  REQUIRE(mb.st->remove("alice@home.test", "Work"));
  CHECK(acl->of_owner("alice@home.test").value().empty());
  mb.add("alice@home.test", "Work");
  CHECK(acl->of_mailbox("alice@home.test", "Work").value().empty());
  CHECK(acl->for_user("bob@home.test").value().empty());

  // Opening again (a restart) finds the schema in place.
  auto again = mail::acl_store::open(t.target);
  REQUIRE(again);
  CHECK_FALSE((*again)->set("alice@home.test", "Work", "anyone", "l").value());
}
