// POST to the schedule outbox (RFC 6638 §5): free-busy requests, answered at once for every
// local attendee from their calendars.
#include <algorithm>
#include <ctime>

#include "dav/server/schedule.hpp"

namespace hearth::dav::sched {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

// RFC 6638 §9.1: a calendar marked transparent does not count.
bool transparent(const collection& c) {
  auto it = c.dead.find(std::string(xml::ns_caldav) + " schedule-calendar-transp");
  return it != c.dead.end() && it->second.find("transparent") != std::string::npos;
}

std::vector<ical::busy_period> busy_of(service& s, const std::string& account, std::int64_t start, std::int64_t end) {
  std::vector<ical::busy_period> out;
  const auto mine = addresses_of(s, account);
  // Floating times may be anywhere within a day of UTC: widen the index look-up, clip after.
  const std::int64_t ws = start > ical::min_time + 86400 ? start - 86400 : start;
  const std::int64_t we = end < ical::max_time - 86400 ? end + 86400 : end;
  for (auto& c : must(s.store_.collections(account, kind::calendar))) {
    if (is_special(c) || transparent(c)) continue;
    for (const char* comp : {"VEVENT", "VFREEBUSY"})
      for (auto& o : must(s.store_.objects_in_range(c.id, comp, ws, we))) {
        // The account's own answers count (declined: free; unanswered or tentative:
        // BUSY-TENTATIVE, as CalendarServer shows them), instance by instance.
        for (auto& b : ical::busy(o.data, start, end, nullptr, &mine)) {
          out.push_back(std::move(b));
          // Bounded like the answer of a free-busy-query (a recurrence without end is capped
          // in ical::busy; this bounds the sum over many objects).
          if (out.size() >= 20000) return out;
        }
      }
  }
  return out;
}

}  // namespace

std::optional<http::response> post_outbox(service& s, const std::string& user, const http::request& req) {
  if (req.body.size() > s.opts_.max_resource_size) return error_response(403, xml::cal("max-resource-size"));
  auto ct = req.header("content-type");
  if (!ct.empty() && ct.find("text/calendar") == std::string::npos)
    return error_response(403, xml::cal("supported-calendar-data"));
  auto fb = ical::parse_freebusy_request(req.body);
  if (!fb) {
    if (fb.error().code == "itip.too_many") return error_response(403, xml::cal("max-attendees-per-instance"));
    return error_response(403, xml::cal("valid-scheduling-message"));
  }
  // RFC 6638 §5.1.1: the ORGANIZER must be the authenticated user.
  auto mine = addresses_of(s, user);
  if (std::find(mine.begin(), mine.end(), fb->organizer) == mine.end())
    return error_response(403, xml::cal("organizer-allowed"));
  xml::writer w;
  w.open_root(xml::cal("schedule-response"));
  for (std::size_t i = 0; i < fb->attendees.size(); ++i) {
    const auto& a = fb->attendees[i];
    std::string status, data;
    if (auto acct = local_account(s, a)) {
      status = "2.0;Success";
      data = ical::freebusy_reply(*fb, i, busy_of(s, *acct, fb->start, fb->end));
    } else if (a.empty() || local_domain(s, a)) {
      status = "3.7;Invalid calendar user";
    } else {
      status = "5.3;No scheduling support for user";
    }
    w.raw("<c:response><c:recipient><d:href>" + xml::escape(fb->attendee_values[i]) + "</d:href></c:recipient>");
    w.text_element(xml::cal("request-status"), status);
    if (!data.empty()) w.text_element(xml::cal("calendar-data"), data);
    w.raw("</c:response>");
  }
  w.close(xml::cal("schedule-response"));
  return xml_response(200, w.take());
}

}  // namespace hearth::dav::sched
