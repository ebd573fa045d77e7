#include "xmpp/modules/push/store.hpp"

#include <filesystem>
#include <unistd.h>

using namespace hearth::xmpp::push;

TEST_CASE("push store: put, replace, list, remove, and persistence", "[push]") {
  auto dir = std::filesystem::temp_directory_path() / ("hearth-push-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "xmpp.db";
  {
    auto s = open_sqlite_store(file);
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
    CHECK(st.has("a@x.test", "push.example", "n2"));
    CHECK_FALSE(st.has("a@x.test", "push.example", "n3"));
  }
  {
    auto s = open_sqlite_store(file);
    REQUIRE(s);
    auto& st = **s;
    CHECK(st.list("a@x.test").size() == 2);
    CHECK(st.remove("a@x.test", "push.example", "n2") == 1);
    CHECK(st.list("a@x.test").size() == 1);
    CHECK(st.remove("a@x.test", "push.example", "") == 1);
    CHECK(st.list("a@x.test").empty());
    CHECK(st.list("b@x.test").size() == 1);
  }
  std::filesystem::remove_all(dir);
}
