#include "dav/server/internal.hpp"

using namespace hearth::dav;

TEST_CASE("parse_path maps the DAV tree") {
  auto t = parse_path("/dav/calendars/A@x.test/work/ev.ics");
  CHECK(t.type == target::obj);
  CHECK(t.kind == kind::calendar);
  CHECK(t.user == "a@x.test");
  CHECK(t.coll_name == "work");
  CHECK(t.obj_name == "ev.ics");
  CHECK(parse_path("/dav/addressbooks/a@x.test/").type == target::home);
  CHECK(parse_path("/dav/principals/a@x.test").type == target::principal);
  CHECK(parse_path("/dav/").type == target::root);
  CHECK(parse_path("/.well-known/carddav").type == target::root);
  CHECK(parse_path("/dav/calendars/a@x.test/c/o/deeper").type == target::none);
  CHECK(parse_path("/dav/other").type == target::none);
  CHECK(parse_path("/dav/calendars/a/../b/").type == target::none);
}

TEST_CASE("hrefs: encoding and decoding") {
  CHECK(href_obj(kind::calendar, "a@x.test", "my cal", "e 1.ics") == "/dav/calendars/a@x.test/my%20cal/e%201.ics");
  CHECK(href_to_path("https://h.test:8443/dav/calendars/a%40x.test/c/e%201.ics") == "/dav/calendars/a@x.test/c/e 1.ics");
  CHECK(href_to_path("  /dav/x  ") == "/dav/x");
  CHECK_FALSE(href_to_path("relative/path"));
  CHECK_FALSE(href_to_path("/dav/%zz"));
  CHECK_FALSE(href_to_path("/dav/%0a"));
}

TEST_CASE("parse_propfind: prop, allprop, propname, empty body") {
  auto p = parse_propfind(R"(<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><getetag/><C:calendar-data/></prop></propfind>)");
  REQUIRE(p);
  CHECK(p->mode == propfind_req::prop);
  REQUIRE(p->props.size() == 2);
  CHECK(p->props[1] == xml::cal("calendar-data"));
  auto empty = parse_propfind("  ");
  REQUIRE(empty);
  CHECK(empty->mode == propfind_req::allprop);
  auto names = parse_propfind(R"(<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>)");
  REQUIRE(names);
  CHECK(names->mode == propfind_req::propname);
  CHECK_FALSE(parse_propfind("<x/>"));
}

TEST_CASE("parse_report: calendar-query filters, expand, bad input") {
  auto r = parse_report(R"(<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
    <d:prop><c:calendar-data><c:expand start="20300101T000000Z" end="20300201T000000Z"/></c:calendar-data></d:prop>
    <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
      <c:time-range start="20300101T000000Z" end="20300102T000000Z"/>
      <c:prop-filter name="SUMMARY"><c:text-match negate-condition="yes">x</c:text-match></c:prop-filter>
    </c:comp-filter></c:comp-filter></c:filter></c:calendar-query>)");
  REQUIRE(r);
  CHECK(r->name == xml::cal("calendar-query"));
  REQUIRE(r->cal_data);
  REQUIRE(r->cal_data->expand);
  CHECK(r->cal_data->expand->end - r->cal_data->expand->start == 31 * 86400);
  CHECK(r->cal_filter.name == "VCALENDAR");
  REQUIRE(r->cal_filter.comps.size() == 1);
  CHECK(r->cal_filter.comps[0].range->end - r->cal_filter.comps[0].range->start == 86400);
  CHECK(r->cal_filter.comps[0].props[0].matches[0].negate);
  auto bad_time = parse_report(R"(<c:calendar-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:filter><c:comp-filter name="VCALENDAR"><c:time-range start="yesterday"/></c:comp-filter></c:filter></c:calendar-query>)");
  REQUIRE_FALSE(bad_time);
  CHECK(bad_time.error().code == "dav.filter");
  auto coll = parse_report(R"(<a:addressbook-query xmlns:a="urn:ietf:params:xml:ns:carddav"><a:filter><a:prop-filter name="FN"><a:text-match collation="i;nope">x</a:text-match></a:prop-filter></a:filter></a:addressbook-query>)");
  REQUIRE_FALSE(coll);
  CHECK(coll.error().code == "dav.collation");
  auto sync = parse_report(R"(<sync-collection xmlns="DAV:"><sync-token>t</sync-token><sync-level>1</sync-level><limit><nresults>5</nresults></limit></sync-collection>)");
  REQUIRE(sync);
  CHECK(sync->sync_token == "t");
  CHECK(sync->limit == 5);
}

TEST_CASE("parse_proppatch: set and remove, mkcol bodies") {
  auto ops = parse_proppatch(R"(<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>A</D:displayname></D:prop></D:set><D:remove><D:prop><x xmlns="urn:y"/></D:prop></D:remove></D:propertyupdate>)");
  REQUIRE(ops);
  REQUIRE(ops->size() == 2);
  CHECK_FALSE((*ops)[0].remove);
  CHECK((*ops)[0].prop.text == "A");
  CHECK((*ops)[1].remove);
  CHECK((*ops)[1].prop.name == xml::qname{"urn:y", "x"});
}

TEST_CASE("parse_report: partial calendar-data, limit-*, address-data props, timezone") {
  auto r = parse_report(R"(<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>
    <C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="SUMMARY"/>
      <C:prop name="ATTACH" novalue="yes"/></C:comp><C:comp name="VTIMEZONE"><C:allprop/><C:allcomp/></C:comp></C:comp>
      <C:limit-recurrence-set start="20300101T000000Z" end="20300201T000000Z"/>
      <C:limit-freebusy-set start="20300101T000000Z" end="20300102T000000Z"/></C:calendar-data></D:prop>
    <D:href>/dav/x</D:href></C:calendar-multiget>)");
  REQUIRE(r);
  REQUIRE(r->cal_data);
  REQUIRE(r->cal_data->comp);
  const auto& top = *r->cal_data->comp;
  CHECK(top.name == "VCALENDAR");
  CHECK(top.allprop);
  CHECK_FALSE(top.allcomp);
  REQUIRE(top.comps.size() == 2);
  REQUIRE(top.comps[0].props.size() == 2);
  CHECK(top.comps[0].props[1].name == "ATTACH");
  CHECK(top.comps[0].props[1].novalue);
  CHECK(top.comps[1].allcomp);
  CHECK(r->cal_data->limit_recurrence);
  CHECK(r->cal_data->limit_freebusy->end - r->cal_data->limit_freebusy->start == 86400);

  auto both = parse_report(R"(<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data>
    <C:expand start="20300101T000000Z" end="20300201T000000Z"/><C:limit-recurrence-set start="20300101T000000Z" end="20300201T000000Z"/>
    </C:calendar-data></D:prop></C:calendar-query>)");
  REQUIRE_FALSE(both);
  CHECK(both.error().code == "dav.filter");
  auto local = parse_report(R"(<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data>
    <C:expand start="20300101T000000" end="20300201T000000Z"/></C:calendar-data></D:prop></C:calendar-query>)");
  REQUIRE_FALSE(local);
  auto json = parse_report(R"(<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>
    <C:calendar-data content-type="application/calendar+json"/></D:prop></C:calendar-query>)");
  REQUIRE_FALSE(json);
  CHECK(json.error().code == "dav.data");
  auto plain_data = parse_report(R"(<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>
    <C:calendar-data/></D:prop><C:timezone>BEGIN:VCALENDAR</C:timezone></C:calendar-query>)");
  REQUIRE(plain_data);
  CHECK_FALSE(plain_data->cal_data);
  CHECK(plain_data->timezone == "BEGIN:VCALENDAR");

  auto card = parse_report(R"(<R:addressbook-query xmlns:D="DAV:" xmlns:R="urn:ietf:params:xml:ns:carddav"><D:prop>
    <R:address-data><R:prop name="FN"/><R:prop name="EMAIL" novalue="yes"/></R:address-data></D:prop></R:addressbook-query>)");
  REQUIRE(card);
  REQUIRE(card->card_props);
  REQUIRE(card->card_props->size() == 2);
  CHECK((*card->card_props)[1].novalue);
  auto all = parse_report(R"(<R:addressbook-multiget xmlns:D="DAV:" xmlns:R="urn:ietf:params:xml:ns:carddav"><D:prop>
    <R:address-data><R:allprop/></R:address-data></D:prop></R:addressbook-multiget>)");
  REQUIRE(all);
  CHECK_FALSE(all->card_props);
}

TEST_CASE("parse_report: calendar-data and address-data selections are bounded") {
  std::string many = R"(<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:comp name="VCALENDAR">)";
  for (int i = 0; i < 300; ++i) many += "<C:prop name=\"X-" + std::to_string(i) + "\"/>";
  many += "</C:comp></C:calendar-data></D:prop></C:calendar-multiget>";
  auto r = parse_report(many);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "dav.filter");
  std::string cards = R"(<R:addressbook-multiget xmlns:D="DAV:" xmlns:R="urn:ietf:params:xml:ns:carddav"><D:prop><R:address-data>)";
  for (int i = 0; i < 300; ++i) cards += "<R:prop name=\"X-" + std::to_string(i) + "\"/>";
  cards += "</R:address-data></D:prop></R:addressbook-multiget>";
  CHECK_FALSE(parse_report(cards));
}
