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

TEST_CASE("FETCH of headers reads whole summaries from the cache once it holds them") {
  fixture f;
  search_cache cache(1 << 20, 1 << 20);
  f.env.searches = &cache;
  auto st = f.login();
  CHECK(has(run(st, append_cmd("a1", "INBOX", msg("first"))), "OK"));
  CHECK(has(run(st, append_cmd("a2", "INBOX", msg("second"))), "OK"));
  run(st, "s1 SELECT INBOX");
  REQUIRE(st.selected());
  auto rows = f.store->fetch("alice@home.test", "INBOX", {{1, mail::uid_max}}).value();
  REQUIRE(rows.size() == 2);
  CHECK(has(run(st, "f1 UID FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (Subject)])"), "Subject: second"));
  std::vector<std::shared_ptr<const message_summary>> got;
  cache.get_whole(rows, got);
  REQUIRE(got[0]);
  REQUIRE(got[1]);
  CHECK(has(got[0]->header, "Subject: first"));
  // A cached summary is what FETCH answers from (blobs never change, so it is never stale):
  // one put under the second blob's id shows in the reply.
  auto other = std::make_shared<message_summary>(*got[1]);
  other->header = "Subject: from the cache\r\n\r\n";
  cache.put_whole(rows[1].blob_id, other);  // already there: kept as it was
  CHECK(has(run(st, "f2 UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)])"), "Subject: second"));
  search_cache fresh(1 << 20, 1 << 20);
  fresh.put_whole(rows[1].blob_id, other);
  f.env.searches = &fresh;
  CHECK(has(run(st, "f3 UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)])"), "Subject: from the cache"));
  CHECK(has(run(st, "f4 UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)])"), "Subject: first"));
}

TEST_CASE("the whole summaries keep within their own budget, least recently used out first") {
  const auto summary = [](char c) {
    auto s = std::make_shared<message_summary>();
    s->header = std::string(1000, c);
    return s;
  };
  std::vector<mail::message_info> ids(3);
  ids[0].blob_id = "a", ids[1].blob_id = "b", ids[2].blob_id = "c";
  std::vector<std::shared_ptr<const message_summary>> got;
  search_cache cache(1 << 20, 2500);  // room for two
  cache.put_whole("a", summary('a'));
  cache.put_whole("b", summary('b'));
  cache.get_whole(std::span(ids).first(1), got);  // "a" used last
  REQUIRE(got[0]);
  cache.put_whole("c", summary('c'));
  cache.get_whole(ids, got);
  CHECK(got[0]);
  CHECK_FALSE(got[1]);  // the least recently used went
  CHECK(got[2]);
  auto big_summary = std::make_shared<message_summary>();
  big_summary->header = std::string(4000, 'x');
  cache.put_whole("big", big_summary);
  std::vector<mail::message_info> big(1);
  big[0].blob_id = "big";
  cache.get_whole(big, got);
  CHECK_FALSE(got[0]);  // larger than the whole budget: not kept, nothing pushed out
  cache.get_whole(ids, got);
  CHECK(got[0]);
  CHECK(got[2]);
  // The lean entries (SEARCH) are another budget: none of the whole ones shows there.
  CHECK_FALSE(cache.get("a"));
  search_cache none(1 << 20);  // no budget for whole summaries: nothing kept
  none.put_whole("a", summary('a'));
  none.get_whole(std::span(ids).first(1), got);
  CHECK_FALSE(got[0]);
}
