// REPORT: calendar-multiget, calendar-query, free-busy-query (RFC 4791 §7), addressbook-multiget,
// addressbook-query (RFC 6352 §8), sync-collection (RFC 6578).
#include <algorithm>
#include <map>

#include "core/log/log.hpp"
#include "dav/server/internal.hpp"
#include "dav/server/schedule.hpp"

namespace hearth::dav {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

// A REPORT response larger than this is refused (RFC 4918 §16 / RFC 6578 §6:
// number-of-matches-within-limits) rather than held in memory.
constexpr std::size_t max_report_bytes = 64 * 1024 * 1024;

constexpr std::string_view token_prefix = "http://hearth.invalid/ns/sync/";

// "http://hearth.invalid/ns/sync/<collection id>-<seq>" -> seq, if it names this collection.
std::optional<std::int64_t> parse_token(std::string_view token, std::int64_t coll) {
  while (!token.empty() && (token.front() == ' ' || token.front() == '\n' || token.front() == '\r' || token.front() == '\t'))
    token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' || token.back() == '\t'))
    token.remove_suffix(1);
  if (!token.starts_with(token_prefix)) return std::nullopt;
  token.remove_prefix(token_prefix.size());
  auto dash = token.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  try {
    std::size_t used = 0;
    std::string id(token.substr(0, dash)), seq(token.substr(dash + 1));
    if (std::stoll(id, &used) != coll || used != id.size()) return std::nullopt;
    auto v = std::stoll(seq, &used);
    if (used != seq.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// The component and time range the top comp-filter asks for, for index pruning.
void prune_hint(const ical::comp_filter& f, std::string& comp, ical::time_range& range, bool& has_range) {
  for (auto& sub : f.comps) {
    if (sub.is_not_defined) continue;
    comp = sub.name;
    if (sub.range) {
      range = *sub.range;
      has_range = true;
    }
    return;
  }
}

// The index holds floating times as UTC; a calendar's zone moves them by at most 14 hours
// (UTC-12 .. UTC+14), so the pruning range is widened by that much and matches() decides.
void widen(ical::time_range& r) {
  constexpr std::int64_t slack = 14 * 3600;
  if (r.start > ical::min_time + slack) r.start -= slack;
  if (r.end < ical::max_time - slack) r.end += slack;
}

}  // namespace

http::response service::do_report(ctx& c) {
  auto rep = parse_report(c.req.body);
  if (!rep) {
    const auto& code = rep.error().code;
    if (code == "dav.collation")
      return error_response(403, c.t.kind == kind::calendar ? xml::cal("supported-collation") : xml::card("supported-collation"));
    if (code == "dav.data")
      return error_response(403, c.t.kind == kind::calendar ? xml::cal("supported-calendar-data") : xml::card("supported-address-data"));
    if (code == "dav.filter")
      return error_response(403, c.t.kind == kind::calendar ? xml::cal("valid-filter") : xml::card("valid-filter"));
    return plain(400, rep.error().message);
  }
  auto& t = c.t;
  const auto& name = rep->name;
  const bool cal_report = name.is(xml::ns_caldav, "calendar-multiget") || name.is(xml::ns_caldav, "calendar-query") ||
                          name.is(xml::ns_caldav, "free-busy-query");
  const bool card_report = name.is(xml::ns_carddav, "addressbook-multiget") || name.is(xml::ns_carddav, "addressbook-query");
  const bool sync_report = name.is(xml::ns_dav, "sync-collection");
  if (!cal_report && !card_report && !sync_report) return error_response(403, xml::dav("supported-report"));
  if ((t.type != target::coll && t.type != target::obj) || (cal_report && t.kind != kind::calendar) ||
      (card_report && t.kind != kind::addressbook) || (sync_report && t.type != target::coll))
    return error_response(403, xml::dav("supported-report"));
  auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!col) return plain(404, "Not Found");
  // RFC 4791 §9.9: floating times in the calendar-query's CALDAV:timezone (§9.8), else in the
  // calendar's calendar-timezone.
  std::unique_ptr<ical::zone> floating;
  if (rep->timezone) {
    auto z = ical::zone::parse(*rep->timezone);
    if (!z) return error_response(403, xml::cal("valid-calendar-data"));
    floating = std::move(*z);
  } else if (!col->timezone.empty()) {
    if (auto z = ical::zone::parse(col->timezone)) floating = std::move(*z);
  }
  rep->floating = floating.get();

  xml::writer w;
  w.open_root(xml::dav("multistatus"));
  // Returns false once the response passes max_report_bytes (expand of many long-running
  // series could otherwise build gigabytes): the caller answers number-of-matches-within-limits.
  auto emit = [&](const object& o) {
    auto ot = make_target(target::obj, t.kind, c.user, t.coll_name, o.name);
    render(w, c.user, {ot, href_obj(t.kind, c.user, t.coll_name, o.name), &*col, &o}, rep->props, &*rep);
    return w.size() <= max_report_bytes;
  };
  auto too_big = [] { return error_response(507, xml::dav("number-of-matches-within-limits")); };
  auto not_found = [&](std::string_view href) {
    w.open(xml::dav("response")).text_element(xml::dav("href"), href).text_element(xml::dav("status"), status_line(404));
    w.close(xml::dav("response"));
  };
  // Whether report props need the object's text (calendar-data, address-data).
  bool need_data = rep->props.mode != propfind_req::prop;
  for (auto& q : rep->props.props)
    if (q.is(xml::ns_caldav, "calendar-data") || q.is(xml::ns_carddav, "address-data")) need_data = true;

  if (name.local == "calendar-multiget" || name.local == "addressbook-multiget") {
    if (rep->hrefs.size() > 1000) return error_response(403, xml::dav("number-of-matches-within-limits"));
    for (auto& h : rep->hrefs) {
      auto p = href_to_path(h);
      target ht = p ? parse_path(*p) : target{};
      if (ht.type != target::obj || ht.user != c.user || ht.kind != t.kind || ht.coll_name != t.coll_name) {
        not_found(h);
        continue;
      }
      auto o = must(store_.find_object(col->id, ht.obj_name, need_data));
      if (!o) not_found(h);
      else if (!emit(*o)) return too_big();
    }
  } else if (name.local == "calendar-query") {
    std::string comp;
    ical::time_range range;
    bool has_range = false;
    prune_hint(rep->cal_filter, comp, range, has_range);
    widen(range);
    std::vector<object> objs;
    if (!comp.empty()) objs = must(store_.objects_in_range(col->id, comp, range.start, range.end));
    else objs = must(store_.objects(col->id, true));
    std::int64_t n = 0;
    for (auto& o : objs) {
      if (t.type == target::obj && o.name != t.obj_name) continue;
      if (!ical::matches(o.data, rep->cal_filter, rep->floating)) continue;
      if (rep->limit && n >= *rep->limit) break;
      ++n;
      if (!need_data) o.data.clear();
      if (!emit(o)) return too_big();
    }
  } else if (name.local == "addressbook-query") {
    auto objs = must(store_.objects(col->id, true));
    std::int64_t n = 0;
    for (auto& o : objs) {
      if (t.type == target::obj && o.name != t.obj_name) continue;
      if (!ical::vcard_matches(o.data, rep->card_filter)) continue;
      if (rep->limit && n >= *rep->limit) {
        // RFC 6352 §8.6.1: truncated results say so with 507 on the collection.
        w.open(xml::dav("response")).text_element(xml::dav("href"), href_coll(t.kind, c.user, t.coll_name));
        w.text_element(xml::dav("status"), status_line(507)).close(xml::dav("response"));
        break;
      }
      ++n;
      if (!need_data) o.data.clear();
      if (!emit(o)) return too_big();
    }
  } else if (name.local == "free-busy-query") {
    if (!rep->fb_range) return error_response(403, xml::cal("valid-filter"));
    auto wide = *rep->fb_range;
    widen(wide);
    // RFC 4791 §7.10: busy time from VEVENTs and VFREEBUSY objects, one FREEBUSY line per
    // merged period, BUSY (the default FBTYPE) first.
    // The calendar owner's answers to meetings count as in a scheduling free-busy (declined:
    // free; unanswered or tentative: BUSY-TENTATIVE), so both ways of asking agree.
    const auto owner_addresses = sched::addresses_of(*this, col->owner);
    std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> by_type;
    for (const char* comp : {"VEVENT", "VFREEBUSY"})
      for (auto& o : must(store_.objects_in_range(col->id, comp, wide.start, wide.end)))
        for (auto& b : ical::busy(o.data, rep->fb_range->start, rep->fb_range->end, rep->floating, &owner_addresses))
          by_type[b.fbtype].emplace_back(b.start, b.end);
    std::string fb = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\nDTSTAMP:" +
                     ical::format_utc(std::time(nullptr)) + "\r\nDTSTART:" + ical::format_utc(rep->fb_range->start) +
                     "\r\nDTEND:" + ical::format_utc(rep->fb_range->end) + "\r\n";
    auto emit_type = [&](const std::string& type, std::vector<std::pair<std::int64_t, std::int64_t>>& spans) {
      std::sort(spans.begin(), spans.end());
      const std::string head = type == "BUSY" ? "FREEBUSY:" : "FREEBUSY;FBTYPE=" + type + ":";
      for (std::size_t i = 0; i < spans.size();) {
        auto [s, e] = spans[i];
        for (++i; i < spans.size() && spans[i].first <= e; ++i) e = std::max(e, spans[i].second);
        fb += head + ical::format_utc(s) + "/" + ical::format_utc(e) + "\r\n";
      }
    };
    if (auto it = by_type.find("BUSY"); it != by_type.end()) emit_type(it->first, it->second);
    for (auto& [type, spans] : by_type)
      if (type != "BUSY") emit_type(type, spans);
    fb += "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
    return http::response::text(200, std::move(fb), "text/calendar; charset=utf-8");
  } else {  // sync-collection
    if (rep->sync_level != "1") return error_response(403, xml::dav("valid-sync-token"));
    std::int64_t since = 0;
    auto tok = rep->sync_token;
    const bool initial = tok.find_first_not_of(" \t\r\n") == std::string::npos;
    if (!initial) {
      auto v = parse_token(tok, col->id);
      if (!v) return error_response(403, xml::dav("valid-sync-token"));
      since = *v;
    }
    auto ch = store_.changes_since(col->id, since);
    if (!ch) {
      if (ch.error().code == "dav.token") return error_response(403, xml::dav("valid-sync-token"));
      throw error_exception(ch.error());
    }
    std::int64_t n = 0;
    std::int64_t reported_seq = ch->first;
    for (auto& change : ch->second) {
      // RFC 6578 §3.8: an initial sync lists what exists; deletions only matter to a client
      // that has a token.
      if (initial && change.deleted) continue;
      if (rep->limit && n >= *rep->limit) {
        // RFC 6578 §3.6: truncated: a 507 for the collection, and a token up to the last change
        // reported, so that the next request returns the rest (changes come in seq order).
        w.open(xml::dav("response")).text_element(xml::dav("href"), href_coll(t.kind, c.user, t.coll_name));
        w.text_element(xml::dav("status"), status_line(507));
        w.open(xml::dav("error")).empty(xml::dav("number-of-matches-within-limits")).close(xml::dav("error"));
        w.close(xml::dav("response"));
        reported_seq = change.seq - 1;
        break;
      }
      ++n;
      auto href = href_obj(t.kind, c.user, t.coll_name, change.name);
      if (change.deleted) {
        not_found(href);
        continue;
      }
      auto o = must(store_.find_object(col->id, change.name, need_data));
      if (!o) not_found(href);
      else if (!emit(*o)) return too_big();
    }
    w.text_element(xml::dav("sync-token"), std::string(token_prefix) + std::to_string(col->id) + "-" + std::to_string(reported_seq));
  }
  w.close(xml::dav("multistatus"));
  return xml_response(207, w.take());
}

}  // namespace hearth::dav
