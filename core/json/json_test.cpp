#include "core/json/json.hpp"

#include <catch2/catch.hpp>

namespace json = hearth::json;

namespace {
hearth::result<json::value> parse(std::string_view s) { return json::parse(s, json::limits{}); }
std::string code(std::string_view s) {
  auto v = parse(s);
  return v ? "ok" : v.error().code;
}
}  // namespace

TEST_CASE("json: reads the API's bodies") {
  auto v = parse(R"( {"address":"a@b.test","password":"p\u00e9\"\\/","totp":"123456","n":-12.5e1,"t":true,"z":null,"l":[1,[]]} )");
  REQUIRE(v);
  CHECK(*v->find_string("address") == "a@b.test");
  CHECK(*v->find_string("password") == "p\xc3\xa9\"\\/");
  CHECK(*v->find("n")->as_number() == -125.0);
  CHECK(*v->find("t")->as_bool());
  CHECK(v->find("z")->is_null());
  CHECK(v->find("l")->as_array()->size() == 2);
  CHECK(v->find("missing") == nullptr);
  CHECK(v->find_string("n") == nullptr);  // a number is not a string
  CHECK(*parse("\"\\ud83d\\ude00\"")->as_string() == "\xf0\x9f\x98\x80");
}

TEST_CASE("json: refuses what RFC 8259 does not allow") {
  for (auto bad : {"", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "tru", "nul",
                   "\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
                   "{\"a\":1}x", "{'a':1}", "[1 2]", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "NaN", "1e999",
                   "{\"a\":1,\"a\":2}"})
    CHECK(code(bad) == "json.syntax");
  CHECK(code("{}") == "ok");
  CHECK(code(" [ ] ") == "ok");
  CHECK(code("0") == "ok");
}

TEST_CASE("json: limits") {
  json::limits lim;
  lim.max_bytes = 100;
  lim.max_depth = 3;
  lim.max_items = 5;
  lim.max_string = 10;
  CHECK(json::parse(std::string(101, ' '), lim).error().code == "json.too_large");
  CHECK(json::parse("[[[1]]]", lim));
  CHECK(json::parse("[[[[1]]]]", lim).error().code == "json.too_deep");
  CHECK(json::parse("[1,2,3,4,5]", lim));
  CHECK(json::parse("[1,2,3,4,5,6]", lim).error().code == "json.too_large");
  CHECK(json::parse("\"0123456789\"", lim));
  CHECK(json::parse("\"0123456789a\"", lim).error().code == "json.too_large");
  // Deep nesting far beyond the limit is refused without recursing that deep.
  json::limits def;
  CHECK(json::parse(std::string(60000, '['), def).error().code == "json.too_deep");
}

TEST_CASE("json: writes answers that are safe anywhere") {
  json::object o;
  o.set("id", 42).set("label", "<phone> & \"tab\"\t\x01").set("ok", true).set("none", nullptr);
  o.set("list", json::array{1.5, "x"});
  std::string text = json::value(o).dump();
  CHECK(text == R"({"id":42,"label":"\u003cphone\u003e \u0026 \"tab\"\t\u0001","ok":true,"none":null,"list":[1.5,"x"]})");
  auto back = parse(text);
  REQUIRE(back);
  CHECK(*back->find_string("label") == "<phone> & \"tab\"\t\x01");
  CHECK(back->dump() == text);
  o.set("id", 43);  // set replaces
  CHECK(json::value(o).find("id")->as_number()[0] == 43.0);
}
