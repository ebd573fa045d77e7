// libFuzzer target: iTIP and iMIP (dav/ical/itip.hpp, imip.hpp): what a scheduling PUT, a
// free-busy POST to the outbox or the calendar part of an incoming mail can reach.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dav/ical/imip.hpp"
#include "dav/ical/itip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace hearth::dav::ical;
  if (auto s = scheduling_of(text)) {
    if (s->attendees.size() > max_attendees) __builtin_trap();
    std::string who = s->attendees.empty() ? "a@x.test" : s->attendees.front().address;
    auto req = itip_request(text);
    auto reply = itip_reply(text, who);
    (void)itip_cancel(text);
    (void)attendee_copy(req, text, who);
    (void)apply_reply(text, reply, who);
    (void)with_schedule_status(text, {{who, "1.2"}});
    (void)with_partstat(text, who, "DECLINED");
    // A new invitation marked tentative, then answered: the organizer's STATUS comes back, and
    // whatever came in, the marker never survives an answer.
    auto tentative = as_tentative(attendee_copy(req, "", who), who);
    auto settled = answered(with_partstat(tentative, who, "ACCEPTED"), who);
    if (tentative.find(tentative_marker) != std::string::npos && text.find(tentative_marker) == std::string_view::npos &&
        settled.find(tentative_marker) != std::string::npos)
      __builtin_trap();
    (void)imip_message("o@x.test", {who}, *s, req);
    // A reply never names anyone but the one who replies.
    if (auto r = scheduling_of(reply); r && r->attendees.size() > 1) __builtin_trap();
  }
  (void)schedule_tag(text);
  (void)check_imip(text, "a@x.test", true);
  if (auto fb = parse_freebusy_request(text)) (void)freebusy_reply(*fb, 0, {{fb->start, fb->end, "BUSY"}});
  return 0;
}
