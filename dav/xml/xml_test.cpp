#include "dav/xml/xml.hpp"

using namespace hearth::dav::xml;

TEST_CASE("parse resolves any prefix and the default namespace") {
  auto a = parse(R"(<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>)");
  auto b = parse(R"(<propfind xmlns="DAV:"><prop><displayname/><x:color xmlns:x="http://apple.com/ns/ical/"/></prop></propfind>)");
  auto c = parse(R"(<zz:propfind xmlns:zz="DAV:" xmlns="urn:other"><zz:prop><thing/></zz:prop></zz:propfind>)");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->name.is(ns_dav, "propfind"));
  CHECK(a->children.at(0).children.at(0).name.is(ns_dav, "displayname"));
  CHECK(b->name.is(ns_dav, "propfind"));
  CHECK(b->children.at(0).children.at(1).name.is(ns_apple, "color"));
  CHECK(c->children.at(0).children.at(0).name.is("urn:other", "thing"));
}

TEST_CASE("parse refuses DOCTYPE, undeclared prefixes, junk and deep nesting") {
  auto bomb = parse(R"(<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><d:propfind xmlns:d="DAV:">&lol2;</d:propfind>)");
  REQUIRE_FALSE(bomb);
  CHECK(bomb.error().code == "xml.doctype");
  auto undeclared = parse("<a:propfind/>");
  REQUIRE_FALSE(undeclared);
  CHECK(undeclared.error().code == "xml.namespace");
  CHECK_FALSE(parse("<a><b></a>"));
  CHECK_FALSE(parse(""));
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  auto d = parse(deep);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == "xml.limit");
}

TEST_CASE("serialize round-trips through parse") {
  auto e = parse(R"(<x:color xmlns:x="urn:a" kind="b">1 &lt; 2<y:sub xmlns:y="urn:b"/></x:color>)");
  REQUIRE(e);
  auto again = parse(serialize(*e));
  REQUIRE(again);
  CHECK(again->name.is("urn:a", "color"));
  CHECK(again->text == "1 < 2");
  CHECK(again->attr("kind") == "b");
  CHECK(again->children.at(0).name.is("urn:b", "sub"));
}

TEST_CASE("writer escapes text and uses fixed prefixes") {
  writer w;
  w.open_root(dav("multistatus")).text_element(dav("href"), "/a&b<c>").empty({"urn:x", "y"}).close(dav("multistatus"));
  auto s = w.str();
  CHECK(s.find("<d:href>/a&amp;b&lt;c&gt;</d:href>") != std::string::npos);
  CHECK(s.find("<x:y xmlns:x=\"urn:x\"/>") != std::string::npos);
  CHECK(parse(s));
}

TEST_CASE("names with a stray colon are not namespace-well-formed") {
  using namespace hearth::dav;
  CHECK(xml::parse(R"(<D:propfind xmlns:D="DAV:"><:C:prop/></D:propfind>)").error().code == "xml.namespace");
  CHECK(xml::parse(R"(<D:propfind xmlns:D="DAV:"><D:a:b/></D:propfind>)").error().code == "xml.namespace");
  CHECK(xml::parse(R"(<D:propfind xmlns:D="DAV:"><D:/></D:propfind>)").error().code != "");
  CHECK(xml::parse(R"(<D:propfind xmlns:D="DAV:"><D:8rop/></D:propfind>)").error().code == "xml.namespace");
  CHECK(xml::parse(R"(<D:propfind xmlns:D=""/>)").error().code == "xml.namespace");
  CHECK(xml::parse(R"(<propfind xmlns=""><a-b.c_d/></propfind>)"));
}
