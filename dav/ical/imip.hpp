// iMIP (RFC 6047): an iTIP message as mail. Pure: builds the outgoing message and judges an
// incoming one's calendar part; the mail side parses MIME and sends (app/ wires it).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "dav/ical/itip.hpp"

namespace hearth::dav::ical {

// The RFC 5322 message carrying `ics` (an iTIP object of `info.method`) from `from` to `to`:
// multipart/alternative with a readable text/plain part and the text/calendar part with its
// method parameter (RFC 6047 §2.4), both UTF-8, base64 so that long lines and 8-bit text pass
// any relay. No Date or Message-ID: the submission path adds them and signs the message.
// Addresses that could break a header (controls, spaces, quotes, brackets, commas) are left out.
std::string imip_message(const std::string& from, const std::vector<std::string>& to, const scheduling& info,
                         const std::string& ics);

// What an incoming iMIP message asks, after the mail side found its text/calendar part.
struct imip_check {
  bool ok = false;
  std::string why;  // when not ok: a short reason for the log
  scheduling info;
};
// RFC 6047 §3 and RFC 5546: METHOD is REQUEST, CANCEL or REPLY; a REPLY names exactly one
// attendee, and that attendee must be the message's author (`from`, the RFC 5322 From
// address); a REQUEST or CANCEL must come from its ORGANIZER. `from_aligned`: the mail side's
// verdict that From is not forged (DMARC pass, or the domain publishes no policy and SPF or
// DKIM aligned); without it nothing is applied. Objects over `max_bytes` are refused.
imip_check check_imip(std::string_view ics, std::string_view from, bool from_aligned, std::size_t max_bytes = 256 * 1024);

}  // namespace hearth::dav::ical
