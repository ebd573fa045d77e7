#include <catch2/catch.hpp>

#include "mail/imap/server/search.hpp"
#include "mail/imap/server/thread.hpp"

using namespace hearth::mail::imap;

namespace {
thread_input msg(std::uint32_t n, std::int64_t sent, std::string id, std::vector<std::string> refs,
                 std::string subject = "", bool reply = false) {
  return {n, sent, std::move(id), std::move(refs), std::move(subject), reply};
}
}  // namespace

TEST_CASE("THREAD=REFERENCES: links, pruning, sibling order", "[imap][thread]") {
  std::vector<thread_input> in{
      msg(1, 100, "a", {}, "hello"),
      msg(2, 200, "b", {"a"}, "hello", true),
      msg(3, 150, "c", {"a"}, "hello", true),
      msg(4, 50, "d", {"x"}, "other"),   // parent never seen: the dummy goes (one child)
      msg(5, 300, "e", {"y"}, "third"),  // two children of a missing parent stay under it
      msg(6, 250, "f", {"y"}, "third"),
  };
  CHECK(thread_references(in) == "(4)(1 (3)(2))((6)(5))");
}

TEST_CASE("THREAD=REFERENCES: step 5 gathers threads by base subject", "[imap][thread]") {
  std::vector<thread_input> in{
      msg(1, 100, "a", {}, "meeting"),
      msg(2, 200, "b", {}, "meeting", true),  // "Re: meeting" without References
      msg(3, 300, "c", {}, "lunch"),
      msg(4, 400, "d", {}, "lunch"),  // neither a reply: both under a new dummy
      msg(5, 50, "e", {}, ""),        // no subject: never merged
  };
  CHECK(thread_references(in) == "(5)(1 2)((3)(4))");
  // The original is preferred as the table entry even when the reply comes first.
  std::vector<thread_input> in2{msg(1, 100, "a", {}, "x", true), msg(2, 200, "b", {}, "x")};
  CHECK(thread_references(in2) == "(2 1)");
  // Two dummies with the same subject become one.
  std::vector<thread_input> in3{msg(1, 10, "a", {"p"}, "s", true), msg(2, 20, "b", {"p"}, "s", true),
                                msg(3, 30, "c", {"q"}, "s", true), msg(4, 40, "d", {"q"}, "s", true)};
  CHECK(thread_references(in3) == "((1)(2)(3)(4))");
}

TEST_CASE("THREAD=REFERENCES: loops, duplicate ids, the message's own references win", "[imap][thread]") {
  std::vector<thread_input> in{
      msg(1, 10, "a", {"b"}),
      msg(2, 20, "b", {"a"}),  // would be a loop: not linked
      msg(3, 5, "a", {}),      // duplicate Message-ID: a thread of its own
  };
  CHECK(thread_references(in) == "(3)(2 1)");
  // 1 presumes x -> b; b itself has no References, so it has no parent (step 1.C).
  std::vector<thread_input> in2{msg(1, 10, "a", {"x", "b"}), msg(2, 20, "b", {})};
  CHECK(thread_references(in2) == "(2 1)");
  CHECK(thread_references({}) == "");
}

TEST_CASE("base subject: reply and forward markers", "[imap][thread]") {
  bool reply = false;
  CHECK(base_subject("Re: [list] Fwd: Hello (fwd)", &reply) == "hello");
  CHECK(reply);
  CHECK(base_subject("[Fwd: Re: Hi]", &reply) == "hi");
  CHECK(reply);
  CHECK(base_subject("[list] Hi", &reply) == "hi");
  CHECK_FALSE(reply);
  CHECK(base_subject("[only]", &reply) == "[only]");
  CHECK_FALSE(reply);
  CHECK(base_subject("Reply to me", &reply) == "reply to me");
  CHECK_FALSE(reply);
}
