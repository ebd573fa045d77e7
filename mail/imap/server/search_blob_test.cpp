// SEARCH of header fields through the shared search cache: the blob ids come from the cache's
// index by mailbox (summary.hpp) once known, and what it finds matches the mailbox as it is
// after expunges, appends, flag changes and a rename.
#include <catch2/catch.hpp>

#include "mail/imap/server/commands_test_util.hpp"
#include "mail/imap/server/summary.hpp"

using namespace hearth;
using namespace hearth::mail::imap;
using namespace hearth::mail::imap::test;

namespace {

std::string msg(const std::string& subject) {
  return "From: Ann <ann@example.org>\r\nTo: alice@home.test\r\nSubject: " + subject +
         "\r\nDate: Sat, 5 Dec 2026 10:00:00 +0000\r\n\r\nhello\r\n";
}

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("SEARCH of header fields finds blobs through the cache's index, kept right by uid") {
  fixture f;
  search_cache cache(1 << 20);
  f.env.searches = &cache;
  auto st = f.login();
  const char* subjects[] = {"invoice 1", "hello", "invoice 2", "news", "INVOICE 3"};
  for (int i = 0; i < 5; ++i) CHECK(has(run(st, append_cmd("a" + std::to_string(i), "INBOX", msg(subjects[i]))), "OK"));
  run(st, "s1 SELECT INBOX");
  REQUIRE(st.selected());
  const auto uv = st.sel->uidvalidity;

  CHECK(has(run(st, "x1 UID SEARCH SUBJECT invoice"), "* SEARCH 1 3 5\r\n"));
  // Every uid is now known: nothing left to read from the rows.
  std::vector<mail::message_info> probe(5);
  for (std::uint32_t u = 1; u <= 5; ++u) probe[u - 1].uid = u;
  CHECK(cache.fill_blob_ids("alice@home.test", "INBOX", uv, probe).empty());
  CHECK_FALSE(probe[0].blob_id.empty());
  CHECK(probe[0].blob_id != probe[1].blob_id);

  // Flags with header keys, NOT and OR, and a sent date.
  CHECK(has(run(st, "x2 STORE 3 +FLAGS (\\Flagged)"), "x2 OK"));
  CHECK(has(run(st, "x3 UID SEARCH SUBJECT invoice FLAGGED"), "* SEARCH 3\r\n"));
  CHECK(has(run(st, "x4 UID SEARCH OR SUBJECT news FROM nobody"), "* SEARCH 4\r\n"));
  CHECK(has(run(st, "x5 UID SEARCH NOT SUBJECT invoice"), "* SEARCH 2 4\r\n"));
  CHECK(has(run(st, "x6 UID SEARCH SENTON 5-Dec-2026 SUBJECT hello"), "* SEARCH 2\r\n"));

  // An expunge and a new message: the new uid is read once, the gone one is not found.
  CHECK(has(run(st, "x7 STORE 1 +FLAGS (\\Deleted)"), "x7 OK"));
  CHECK(has(run(st, "x8 EXPUNGE"), "x8 OK"));
  CHECK(has(run(st, append_cmd("a9", "INBOX", msg("invoice 4"))), "OK"));
  run(st, "n1 NOOP");
  CHECK(has(run(st, "x9 UID SEARCH SUBJECT invoice"), "* SEARCH 3 5 6\r\n"));
  CHECK(has(run(st, "x10 SEARCH SUBJECT invoice"), "* SEARCH 2 4 5\r\n"));

  // Another mailbox with the same uids holds other messages; a rename keeps them right.
  CHECK(has(run(st, "c1 CREATE Work"), "c1 OK"));
  CHECK(has(run(st, "c2 COPY 1:* Work"), "c2 OK"));  // hello, invoice 2, news, INVOICE 3, invoice 4
  run(st, "s2 SELECT Work");
  CHECK(has(run(st, "x11 UID SEARCH SUBJECT invoice"), "* SEARCH 2 4 5\r\n"));
  run(st, "u1 UNSELECT");
  CHECK(has(run(st, "r1 RENAME Work Old"), "r1 OK"));
  run(st, "s3 SELECT Old");
  CHECK(has(run(st, "x12 UID SEARCH SUBJECT invoice"), "* SEARCH 2 4 5\r\n"));
  CHECK(has(run(st, "x13 UID SEARCH SUBJECT hello"), "* SEARCH 1\r\n"));
}

TEST_CASE("the cache's index of blob ids starts over past its bound") {
  search_cache cache(1 << 20);
  std::vector<mail::message_info> rows(3);
  for (std::uint32_t i = 0; i < 3; ++i) rows[i].uid = i + 1, rows[i].blob_id = "b" + std::to_string(i);
  cache.put_blob_ids("a@x", "INBOX", 7, rows);
  std::vector<mail::message_info> ask(4);
  for (std::uint32_t i = 0; i < 4; ++i) ask[i].uid = i + 1;
  CHECK(cache.fill_blob_ids("a@x", "INBOX", 7, ask) == std::vector<std::uint32_t>{4});
  CHECK(ask[2].blob_id == "b2");
  // Another UIDVALIDITY is another mailbox.
  std::vector<mail::message_info> other(1);
  other[0].uid = 1;
  CHECK(cache.fill_blob_ids("a@x", "INBOX", 8, other) == std::vector<std::uint32_t>{1});
  std::vector<mail::message_info> many(search_cache::max_blob_ids);
  for (std::uint32_t i = 0; i < many.size(); ++i) many[i].uid = i + 1, many[i].blob_id = "m";
  cache.put_blob_ids("b@x", "INBOX", 1, many);
  std::vector<mail::message_info> again(1);
  again[0].uid = 1;
  CHECK(cache.fill_blob_ids("a@x", "INBOX", 7, again) == std::vector<std::uint32_t>{1});
}
