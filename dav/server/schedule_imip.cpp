// iMIP in (RFC 6047 §3): scheduling messages that arrived by mail, applied like the ones local
// users send through CalDAV, once the sender is known not to be forged.
#include "core/log/log.hpp"
#include "dav/ical/imip.hpp"
#include "dav/server/schedule.hpp"

namespace hearth::dav {

std::string receive_imip(service& s, const std::string& account, const std::string& from, bool from_aligned,
                         const std::string& ics) {
  auto check = ical::check_imip(ics, from, from_aligned);
  std::string outcome;
  if (!check.ok) {
    outcome = "ignored: " + check.why;
  } else if (check.info.method == "REPLY") {
    // Only the organizer's own copy takes a reply: the account must be the ORGANIZER.
    if (sched::local_account(s, check.info.organizer) != account) outcome = "ignored: not the organizer";
    else if (!sched::deliver_reply(s, account, from, ics, check.info.uid)) outcome = "ignored: no such event or attendee";
    else outcome = "applied";
  } else {
    std::string me;
    for (const auto& a : check.info.attendees)
      if (sched::local_account(s, a.address) == account) {
        me = a.address;
        break;
      }
    if (me.empty()) {
      outcome = "ignored: not an attendee";
    } else {
      sched::deliver_to_attendee(s, account, me, ics, check.info);
      outcome = "applied";
    }
  }
  log::info("dav.imip.in", {{"account", account}, {"from", from}, {"method", check.info.method},
                            {"uid", check.info.uid}, {"result", outcome}});
  return outcome;
}

}  // namespace hearth::dav
