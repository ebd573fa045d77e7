// iMIP messages (see imip.hpp).
#include "dav/ical/imip.hpp"

#include <algorithm>

#include "core/crypto/crypto.hpp"

namespace hearth::dav::ical {
namespace {

bool safe_address(std::string_view a) {
  if (a.empty() || a.size() > 254 || a.find('@') == std::string_view::npos) return false;
  return std::none_of(a.begin(), a.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == ',' || c == '(' || c == ')' || c == ';' ||
           c == ':' || c == '\\' || c == '[' || c == ']';
  });
}

std::string one_line(std::string_view v, std::size_t max = 200) {
  std::string o;
  for (char c : v) {
    if (o.size() >= max) break;
    o += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  }
  return o;
}

// RFC 2047 encoded words for a header value with non-ASCII text, split at character boundaries.
std::string header_text(const std::string& v) {
  if (std::all_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return v;
  std::string out;
  std::size_t i = 0;
  while (i < v.size()) {
    std::size_t j = std::min(v.size(), i + 45);
    while (j < v.size() && j > i && (static_cast<unsigned char>(v[j]) & 0xC0) == 0x80) --j;
    if (j == i) j = std::min(v.size(), i + 45);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::base64_encode(v.substr(i, j - i)) + "?=";
    i = j;
  }
  return out;
}

std::string base64_lines(std::string_view data) {
  auto b = crypto::base64_encode(data);
  std::string out;
  for (std::size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

std::string partstat_word(const std::string& ps) {
  if (ps == "ACCEPTED") return "accepted";
  if (ps == "DECLINED") return "declined";
  if (ps == "TENTATIVE") return "tentatively accepted";
  if (ps == "DELEGATED") return "delegated";
  return "answered";
}

}  // namespace

std::string imip_message(const std::string& from, const std::vector<std::string>& to, const scheduling& info,
                         const std::string& ics) {
  const std::string summary = one_line(info.summary.empty() ? "(no title)" : info.summary);
  std::string subject, text;
  const std::string who = info.organizer_cn.empty() ? info.organizer : one_line(info.organizer_cn) + " <" + info.organizer + ">";
  if (info.method == "REPLY") {
    const std::string ps = info.attendees.empty() ? "" : info.attendees.front().partstat;
    subject = "Invitation " + partstat_word(ps) + ": " + summary;
    text = from + " has " + partstat_word(ps) + " the invitation to \"" + summary + "\".\r\n";
  } else if (info.method == "CANCEL") {
    subject = "Cancelled: " + summary;
    text = who + " has cancelled \"" + summary + "\".\r\n";
  } else {
    subject = "Invitation: " + summary;
    text = who + " invites you to \"" + summary + "\".\r\n";
  }
  if (!info.dtstart.empty()) text += "When: " + one_line(info.dtstart) + "\r\n";
  if (info.method != "REPLY") {
    text += "Organizer: " + who + "\r\nAttendees:\r\n";
    std::size_t shown = 0;
    for (const auto& a : info.attendees) {
      if (++shown > 50) {
        text += "  ... and " + std::to_string(info.attendees.size() - 50) + " more\r\n";
        break;
      }
      text += "  " + (a.cn.empty() ? a.address : one_line(a.cn) + " <" + a.address + ">") + "\r\n";
    }
    text += "\r\nYour calendar program can add this event from the attached invitation.\r\n";
  }
  std::string rcpts;
  for (const auto& a : to)
    if (safe_address(a)) rcpts += (rcpts.empty() ? "" : ", ") + a;
  const std::string boundary = "hearth-imip-" + crypto::base64_encode(crypto::sha256(ics)).substr(0, 24);
  std::string b;
  for (char c : boundary) b += (c == '+' || c == '/' || c == '=') ? '-' : c;
  std::string m;
  m += "From: " + (safe_address(from) ? from : std::string("invalid@invalid")) + "\r\n";
  m += "To: " + rcpts + "\r\n";
  m += "Subject: " + header_text(subject) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + b + "\"\r\n\r\n";
  m += "--" + b + "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(text);
  m += "--" + b + "\r\nContent-Type: text/calendar; charset=UTF-8; method=" + info.method +
       "\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(ics);
  m += "--" + b + "--\r\n";
  return m;
}

imip_check check_imip(std::string_view ics, std::string_view from_raw, bool from_aligned, std::size_t max_bytes) {
  imip_check c;
  if (ics.size() > max_bytes) {
    c.why = "calendar part too large";
    return c;
  }
  // RFC 5545 §3.1.4: iCalendar is UTF-8. A part in another charset is ignored, not stored as
  // mojibake (and PostgreSQL's TEXT would refuse it).
  if (!is_utf8_text(ics)) {
    c.why = "not UTF-8";
    return c;
  }
  std::string from;
  for (char ch : from_raw) from += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  auto info = scheduling_of(ics);
  if (!info) {
    c.why = info.error().code == "itip.too_many" ? "too many attendees" : "not iCalendar";
    return c;
  }
  c.info = std::move(*info);
  const auto& m = c.info.method;
  if (m != "REQUEST" && m != "CANCEL" && m != "REPLY") {
    c.why = "method " + (m.empty() ? std::string("missing") : m);
    return c;
  }
  if (c.info.uid.empty() || c.info.organizer.empty()) {
    c.why = "no UID or ORGANIZER";
    return c;
  }
  if (!from_aligned) {
    c.why = "From not authenticated (DMARC)";
    return c;
  }
  if (m == "REPLY") {
    if (c.info.attendees.size() != 1) {
      c.why = "a REPLY must name one attendee";
      return c;
    }
    if (c.info.attendees.front().address != from) {
      c.why = "the REPLY's attendee is not the sender";
      return c;
    }
  } else if (c.info.organizer != from) {
    c.why = "the organizer is not the sender";
    return c;
  }
  c.ok = true;
  return c;
}

}  // namespace hearth::dav::ical
