#include "mail/sieve_delivery/deliver.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "core/blob/store.hpp"
#include "directory/directory.hpp"
#include "mail/sieve_store/store.hpp"
#include "mail/store/store.hpp"

using namespace hearth;
using namespace hearth::mail::sieve_delivery;

namespace {

struct fixture {
  std::filesystem::path dir_path;
  std::unique_ptr<directory::directory> dir;
  std::unique_ptr<blob::store> blobs;
  std::unique_ptr<mail::store> mail;
  std::unique_ptr<mail::sieve_store::store> scripts;
  std::vector<std::string> sent;  // rcpt list + "|" + sign_as
  std::vector<std::string> sent_bytes;  // each message as queued
  fixture() {
    std::random_device rd;
    dir_path = std::filesystem::temp_directory_path() / ("hearth_sd_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_path);
    auto db = dir_path / "hearth.db";
    dir = directory::directory::open(db).value();
    dir->add_domain("home.test").value();
    dir->add_account("bob@home.test", {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}).value();
    blobs = std::make_unique<blob::store>(dir_path / "blobs");
    mail = mail::store::open(db, *blobs, dir.get()).value();
    scripts = mail::sieve_store::store::open(db, {}).value();
  }
  ~fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_path, ec);
  }
  deliverer make(std::string before = {}, std::string after = {}) {
    services s;
    s.store = mail.get();
    s.scripts = scripts.get();
    s.hostname = "mail.home.test";
    s.before = std::move(before);
    s.after = std::move(after);
    s.send = [this](const std::string&, const std::vector<std::string>& to, const std::string& message,
                    const std::string& sign_as, const mail::piece_source* body) -> result<void> {
      sent.push_back(to.front() + "|" + sign_as);
      std::string bytes = message;
      if (body)
        if (auto r = (*body)([&bytes](std::string_view p) -> result<void> {
              bytes += p;
              return {};
            });
            !r)
          return r.error();
      sent_bytes.push_back(std::move(bytes));
      return {};
    };
    return deliverer(std::move(s));
  }
  std::size_t count(const std::string& mailbox) {
    auto st = mail->status("bob@home.test", mailbox);
    return st ? st->messages : 0;
  }
};

request req(std::string subject, std::string folder = "") {
  return {"bob@home.test", "carol@x.test", "bob@home.test",
          "Return-Path: <carol@x.test>\r\nFrom: carol@x.test\r\nTo: bob@home.test\r\nSubject: " + subject +
              "\r\n\r\nbody\r\n",
          std::move(folder), true};
}

}  // namespace

TEST_CASE("sieve delivery: no script is plain delivery, spam to Junk") {
  fixture f;
  auto d = f.make();
  REQUIRE(d.deliver(req("a")));
  REQUIRE(d.deliver(req("b", "Junk")));
  CHECK(f.count("INBOX") == 1);
  CHECK(f.count("Junk") == 1);
}

TEST_CASE("sieve delivery: before, user and after scripts combine") {
  fixture f;
  REQUIRE(f.scripts->global_put("before", "require [\"fileinto\", \"copy\"];\nif header :contains \"subject\" \"audit\" { fileinto :copy \"Archive\"; }\n"));
  REQUIRE(f.scripts->global_put("after", "require \"fileinto\";\nif header :contains \"subject\" \"late\" { fileinto \"Trash\"; }\n"));
  REQUIRE(f.scripts->put("bob@home.test", "mine", "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"x\" { fileinto :create \"X/Y\"; }\n"));
  REQUIRE(f.scripts->set_active("bob@home.test", "mine"));
  auto d = f.make("before", "after");
  REQUIRE(d.deliver(req("audit x")));   // Archive (copy) + X/Y; no INBOX
  REQUIRE(d.deliver(req("late")));      // Trash only
  REQUIRE(d.deliver(req("plain")));     // INBOX
  CHECK(f.count("Archive") == 1);
  CHECK(f.count("X/Y") == 1);
  CHECK(f.count("Trash") == 1);
  CHECK(f.count("INBOX") == 1);
}

TEST_CASE("sieve delivery: missing folder, reject, errors never lose mail") {
  fixture f;
  REQUIRE(f.scripts->put("bob@home.test", "s",
                         "require [\"fileinto\", \"reject\"];\n"
                         "if header :contains \"subject\" \"nofolder\" { fileinto \"Nope\"; }\n"
                         "elsif header :contains \"subject\" \"refuse\" { reject \"go away\"; }\n"));
  REQUIRE(f.scripts->set_active("bob@home.test", "s"));
  auto d = f.make();
  REQUIRE(d.deliver(req("nofolder")));
  CHECK(f.count("INBOX") == 1);  // fell back
  auto r = d.deliver(req("refuse"));
  REQUIRE(r);
  CHECK(r->rejected);
  CHECK(r->reason == "go away");
  auto late = req("refuse");
  late.can_reject = false;  // several recipients: an MDN goes to the sender instead
  REQUIRE(d.deliver(late));
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0] == "carol@x.test|bob@home.test");
  CHECK(f.count("INBOX") == 1);
  REQUIRE(f.scripts->put("bob@home.test", "s", "require \"include\";\ninclude \"gone\";\n"));
  REQUIRE(d.deliver(req("broken")));
  CHECK(f.count("INBOX") == 3);  // the message and the notice
  REQUIRE(d.deliver(req("broken again")));
  CHECK(f.count("INBOX") == 4);  // one notice only
}

TEST_CASE("sieve delivery: a large message's redirect reads its body in pieces") {
  fixture f;
  REQUIRE(f.scripts->put("bob@home.test", "s", "require \"copy\";\nredirect :copy \"dave@far.test\";\n"));
  REQUIRE(f.scripts->set_active("bob@home.test", "s"));
  auto d = f.make();
  // The body as the spill file holds it: the request's copy ends with its first 8 octets only.
  const std::string body = "0123456789abcdef\r\n" + std::string(300, 'x') + "\r\n";
  request r = req("big");
  const std::string head = r.copy.substr(0, r.copy.size() - 6);  // "body\r\n" is not this body
  r.copy = head + body.substr(0, 8);
  r.body_start = 8;
  int reads = 0;
  r.body = [&](const mail::piece_sink& out) -> result<void> {
    reads += 1;
    for (std::size_t at = 0; at < body.size(); at += 7)
      if (auto w = out(std::string_view(body).substr(at, 7)); !w) return w;
    return {};
  };
  std::string stored_head;
  r.write_blob = [&](std::string_view h) -> result<std::string> {
    stored_head = h;
    std::string whole(h);
    if (auto b = r.body([&whole](std::string_view p) -> result<void> {
          whole += p;
          return {};
        });
        !b)
      return b.error();
    return f.blobs->put(whole);
  };
  REQUIRE(d.deliver(r));
  CHECK(f.count("INBOX") == 1);
  REQUIRE(f.sent_bytes.size() == 1);
  CHECK(f.sent[0] == "dave@far.test|");
  // The marker on top, no Return-Path, the header section, then the whole body once.
  const std::string& q = f.sent_bytes[0];
  CHECK(q.starts_with("X-Hearth-Redirected-By: mail.home.test\r\nFrom: carol@x.test\r\n"));
  CHECK(q.ends_with("\r\n\r\n" + body));
  CHECK(q.find("Return-Path") == std::string::npos);
  CHECK(reads == 2);  // the stored copy and the redirect
  CHECK(stored_head == head);
}
