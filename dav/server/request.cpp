// DAV request bodies -> typed requests (pure; the fuzz target drives these).
#include "dav/server/internal.hpp"

namespace hearth::dav {
namespace {

using xml::element;
using xml::ns_caldav;
using xml::ns_carddav;
using xml::ns_dav;

void read_props(const element& prop, propfind_req& out) {
  for (auto& p : prop.children) {
    out.props.push_back(p.name);
    out.raw.push_back(p);
  }
}

result<ical::text_match> read_text_match(const element& e) {
  ical::text_match m;
  m.text = e.text;
  m.collation = e.attr("collation", "i;ascii-casemap");
  if (!ical::known_collation(m.collation)) return fail("dav.collation", "unsupported collation");
  m.match_type = e.attr("match-type", "contains");
  if (m.match_type != "equals" && m.match_type != "contains" && m.match_type != "starts-with" && m.match_type != "ends-with")
    return fail("dav.filter", "bad match-type");
  auto neg = e.attr("negate-condition", "no");
  m.negate = neg == "yes";
  return m;
}

result<ical::time_range> read_time_range(const element& e) {
  ical::time_range r;
  auto s = e.attr("start"), en = e.attr("end");
  if (s.empty() && en.empty()) return fail("dav.filter", "time-range needs start or end");
  if (!s.empty()) {
    auto v = ical::parse_utc(s);
    if (!v || s.size() != 16) return fail("dav.filter", "bad time-range start");
    r.start = *v;
  }
  if (!en.empty()) {
    auto v = ical::parse_utc(en);
    if (!v || en.size() != 16) return fail("dav.filter", "bad time-range end");
    r.end = *v;
  }
  return r;
}

result<ical::prop_filter> read_prop_filter(const element& e, std::string_view ns) {
  ical::prop_filter f;
  f.name = e.attr("name");
  if (f.name.empty()) return fail("dav.filter", "prop-filter without name");
  f.allof = e.attr("test", "anyof") == "allof";
  for (auto& c : e.children) {
    if (c.name.ns != ns) continue;
    if (c.name.local == "is-not-defined") f.is_not_defined = true;
    else if (c.name.local == "time-range") {
      auto r = read_time_range(c);
      if (!r) return r.error();
      f.range = *r;
    } else if (c.name.local == "text-match") {
      auto m = read_text_match(c);
      if (!m) return m.error();
      f.matches.push_back(*m);
    } else if (c.name.local == "param-filter") {
      ical::param_filter pf;
      pf.name = c.attr("name");
      for (auto& cc : c.children) {
        if (cc.name.is(ns, "is-not-defined")) pf.is_not_defined = true;
        else if (cc.name.is(ns, "text-match")) {
          auto m = read_text_match(cc);
          if (!m) return m.error();
          pf.match = *m;
        }
      }
      f.params.push_back(std::move(pf));
    }
  }
  return f;
}

result<ical::comp_filter> read_comp_filter(const element& e, int depth) {
  if (depth > 8) return fail("dav.filter", "comp-filter nested too deeply");
  ical::comp_filter f;
  f.name = e.attr("name");
  if (f.name.empty()) return fail("dav.filter", "comp-filter without name");
  for (auto& c : e.children) {
    if (c.name.ns != ns_caldav) continue;
    if (c.name.local == "is-not-defined") f.is_not_defined = true;
    else if (c.name.local == "time-range") {
      auto r = read_time_range(c);
      if (!r) return r.error();
      f.range = *r;
    } else if (c.name.local == "prop-filter") {
      auto p = read_prop_filter(c, ns_caldav);
      if (!p) return p.error();
      f.props.push_back(std::move(*p));
    } else if (c.name.local == "comp-filter") {
      auto s = read_comp_filter(c, depth + 1);
      if (!s) return s.error();
      f.comps.push_back(std::move(*s));
    }
  }
  return f;
}

result<ical::time_range> read_utc_range(const element& e) {
  // RFC 4791 §9.6.5-§9.6.7: start and end, both UTC date-times.
  auto s = e.attr("start"), en = e.attr("end");
  auto vs = ical::parse_utc(s), ve = ical::parse_utc(en);
  if (!vs || !ve || s.size() != 16 || en.size() != 16) return fail("dav.filter", e.name.local + " needs UTC start and end");
  if (*vs >= *ve) return fail("dav.filter", e.name.local + ": start must be before end");
  return ical::time_range{*vs, *ve};
}

result<ical::prop_select> read_prop_select(const element& e) {
  ical::prop_select p;
  p.name = e.attr("name");
  if (p.name.empty()) return fail("dav.filter", "prop without name");
  p.novalue = e.attr("novalue", "no") == "yes";
  return p;
}

// RFC 4791 §9.6.1: <!ELEMENT comp ((allprop | prop*), (allcomp | comp*))>
result<ical::comp_select> read_comp_select(const element& e, int depth) {
  if (depth > 8) return fail("dav.filter", "comp nested too deeply");
  ical::comp_select c;
  c.name = e.attr("name");
  if (c.name.empty()) return fail("dav.filter", "comp without name");
  for (auto& ch : e.children) {
    if (ch.name.ns != ns_caldav) continue;
    if (ch.name.local == "allprop") c.allprop = true;
    else if (ch.name.local == "allcomp") c.allcomp = true;
    else if (ch.name.local == "prop") {
      // Each line of each object is looked up in this list: keep it short.
      if (c.props.size() >= 256) return fail("dav.filter", "too many prop elements");
      auto p = read_prop_select(ch);
      if (!p) return p.error();
      c.props.push_back(std::move(*p));
    } else if (ch.name.local == "comp") {
      if (c.comps.size() >= 64) return fail("dav.filter", "too many comp elements");
      auto sub = read_comp_select(ch, depth + 1);
      if (!sub) return sub.error();
      c.comps.push_back(std::move(*sub));
    }
  }
  return c;
}

result<ical::calendar_data_spec> read_calendar_data(const element& e) {
  ical::calendar_data_spec spec;
  // RFC 4791 §9.6: only text/calendar 2.0.
  auto ct = e.attr("content-type", "text/calendar");
  if (ct != "text/calendar" || e.attr("version", "2.0") != "2.0") return fail("dav.data", "unsupported calendar-data type");
  for (auto& ch : e.children) {
    if (ch.name.ns != ns_caldav) continue;
    if (ch.name.local == "comp") {
      auto c = read_comp_select(ch, 0);
      if (!c) return c.error();
      spec.comp = std::move(*c);
    } else if (ch.name.local == "expand" || ch.name.local == "limit-recurrence-set" ||
               ch.name.local == "limit-freebusy-set") {
      auto r = read_utc_range(ch);
      if (!r) return r.error();
      if (ch.name.local == "expand") spec.expand = *r;
      else if (ch.name.local == "limit-recurrence-set") spec.limit_recurrence = *r;
      else spec.limit_freebusy = *r;
    }
  }
  if (spec.expand && spec.limit_recurrence) return fail("dav.filter", "expand and limit-recurrence-set together");
  return spec;
}

// RFC 6352 §10.4: <!ELEMENT address-data (allprop | prop*)>. nullopt: the whole card.
result<std::optional<std::vector<ical::prop_select>>> read_address_data(const element& e) {
  using out_t = std::optional<std::vector<ical::prop_select>>;
  auto ct = e.attr("content-type", "text/vcard");
  auto v = e.attr("version", "3.0");
  if (ct != "text/vcard" || (v != "3.0" && v != "4.0")) return fail("dav.data", "unsupported address-data type");
  std::vector<ical::prop_select> props;
  for (auto& ch : e.children) {
    if (ch.name.is(ns_carddav, "allprop")) return out_t();
    if (!ch.name.is(ns_carddav, "prop")) continue;
    if (props.size() >= 256) return fail("dav.filter", "too many prop elements");
    auto p = read_prop_select(ch);
    if (!p) return p.error();
    props.push_back(std::move(*p));
  }
  if (props.empty()) return out_t();
  return out_t(std::move(props));
}

}  // namespace

result<propfind_req> parse_propfind(std::string_view body) {
  propfind_req out;
  bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) return out;  // RFC 4918 §9.1: no body = allprop
  auto doc = xml::parse(body);
  if (!doc) return doc.error();
  if (!doc->name.is(ns_dav, "propfind")) return fail("xml.syntax", "expected DAV:propfind");
  for (auto& c : doc->children) {
    if (c.name.is(ns_dav, "prop")) {
      out.mode = propfind_req::prop;
      read_props(c, out);
    } else if (c.name.is(ns_dav, "allprop")) {
      out.mode = propfind_req::allprop;
    } else if (c.name.is(ns_dav, "propname")) {
      out.mode = propfind_req::propname;
    } else if (c.name.is(ns_dav, "include")) {
      read_props(c, out);
    }
  }
  return out;
}

result<std::vector<proppatch_op>> parse_proppatch(std::string_view body) {
  std::vector<proppatch_op> out;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  auto doc = xml::parse(body);
  if (!doc) return doc.error();
  if (!doc->name.is(ns_dav, "propertyupdate") && !doc->name.is(ns_dav, "mkcol") && !doc->name.is(ns_caldav, "mkcalendar"))
    return fail("xml.syntax", "expected DAV:propertyupdate, DAV:mkcol or CALDAV:mkcalendar");
  for (auto& op : doc->children) {
    bool remove = op.name.is(ns_dav, "remove");
    if (!remove && !op.name.is(ns_dav, "set")) continue;
    for (auto& prop : op.children) {
      if (!prop.name.is(ns_dav, "prop")) continue;
      for (auto& p : prop.children) out.push_back({remove, p});
    }
  }
  return out;
}

result<report_req> parse_report(std::string_view body) {
  auto doc = xml::parse(body);
  if (!doc) return doc.error();
  report_req r;
  r.name = doc->name;
  r.props.mode = propfind_req::allprop;
  for (auto& c : doc->children) {
    if (c.name.is(ns_dav, "prop")) {
      r.props.mode = propfind_req::prop;
      read_props(c, r.props);
      for (auto& p : c.children) {
        if (p.name.is(ns_caldav, "calendar-data")) {
          auto spec = read_calendar_data(p);
          if (!spec) return spec.error();
          if (spec->comp || spec->expand || spec->limit_recurrence || spec->limit_freebusy) r.cal_data = std::move(*spec);
        } else if (p.name.is(ns_carddav, "address-data")) {
          auto props = read_address_data(p);
          if (!props) return props.error();
          r.card_props = std::move(*props);
          // The version attribute defaults to 3.0, but clients that leave it out expect the
          // card as stored; only an explicit version converts.
          if (auto v = p.attr("version", ""); !v.empty()) r.card_version = std::string(v);
        }
      }
    } else if (c.name.is(ns_dav, "allprop")) {
      r.props.mode = propfind_req::allprop;
    } else if (c.name.is(ns_dav, "href")) {
      r.hrefs.push_back(c.text);
    } else if (c.name.is(ns_dav, "sync-token")) {
      r.sync_token = c.text;
    } else if (c.name.is(ns_dav, "sync-level")) {
      r.sync_level = c.text;
    } else if (c.name.is(ns_dav, "limit") || c.name.is(ns_carddav, "limit")) {
      if (auto* n = c.child(c.name.ns, "nresults")) {
        try {
          r.limit = std::stoll(n->text);
        } catch (...) {
          return fail("dav.filter", "bad nresults");
        }
      }
    } else if (c.name.is(ns_caldav, "filter")) {
      auto* top = c.child(ns_caldav, "comp-filter");
      if (!top) return fail("dav.filter", "filter needs one comp-filter");
      auto f = read_comp_filter(*top, 0);
      if (!f) return f.error();
      r.cal_filter = std::move(*f);
    } else if (c.name.is(ns_carddav, "filter")) {
      r.card_filter.allof = c.attr("test", "anyof") == "allof";
      for (auto& pf : c.children) {
        if (!pf.name.is(ns_carddav, "prop-filter")) continue;
        auto f = read_prop_filter(pf, ns_carddav);
        if (!f) return f.error();
        r.card_filter.props.push_back(std::move(*f));
      }
    } else if (c.name.is(ns_caldav, "timezone")) {
      r.timezone = c.text;
    } else if (c.name.is(ns_caldav, "time-range")) {
      auto tr = read_time_range(c);
      if (!tr) return tr.error();
      r.fb_range = *tr;
    }
  }
  return r;
}

}  // namespace hearth::dav
