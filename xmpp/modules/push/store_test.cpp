#include "xmpp/modules/push/store.hpp"

#include "tests/unit/test_database.hpp"

using namespace hearth::xmpp::push;

// Both engines: a temporary SQLite file, and a schema of its own in the PostgreSQL cluster the
// test runs in.
TEST_CASE("push store: put, replace, list, remove, and persistence", "[push]") {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  INFO(hearth::engine_name(t.engine));
  {
    auto s = open_store(t.target);
    REQUIRE(s);
    auto& st = **s;
    st.put("a@x.test", {"push.example", "n1", "<x/>", "phone"});
    st.put("a@x.test", {"push.example", "n2", "", "tablet"});
    st.put("a@x.test", {"push.example", "n1", "<y/>", "phone2"});  // replaces
    st.put("b@x.test", {"push.example", "n1", "", "pc"});
    auto l = st.list("a@x.test");
    REQUIRE(l.size() == 2);
    CHECK(l[0].node == "n1");
    CHECK(l[0].options == "<y/>");
    CHECK(l[0].resource == "phone2");
    CHECK(l[1].node == "n2");
    CHECK(st.has("a@x.test", "push.example", "n2"));
    CHECK_FALSE(st.has("a@x.test", "push.example", "n3"));
    CHECK_FALSE(st.has("a@x.test", "other.example", "n1"));
  }
  {
    auto s = open_store(t.target);
    REQUIRE(s);
    auto& st = **s;
    CHECK(st.list("a@x.test").size() == 2);
    CHECK(st.remove("a@x.test", "other.example", "") == 0);
    CHECK(st.remove("a@x.test", "push.example", "n2") == 1);
    CHECK(st.list("a@x.test").size() == 1);
    st.put("a@x.test", {"push.example", "n3", "", ""});
    CHECK(st.remove("a@x.test", "push.example", "") == 2);  // "" removes every node
    CHECK(st.list("a@x.test").empty());
    CHECK(st.list("b@x.test").size() == 1);
  }
}
