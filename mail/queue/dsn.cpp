#include "mail/queue/dsn.hpp"

#include <ctime>

#include "mail/queue/reply.hpp"

namespace hearth::mail::queue {

namespace {

// Header field values built from remote replies and addresses: no CR/LF may slip in.
std::string clean(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

}  // namespace

std::string rfc5322_date(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string_view header_section(std::string_view m) {
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] != '\n') continue;
    if (i + 1 < m.size() && m[i + 1] == '\n') return m.substr(0, i + 2);
    if (i + 2 < m.size() && m[i + 1] == '\r' && m[i + 2] == '\n') return m.substr(0, i + 3);
  }
  return m;
}

namespace {

std::string dsn_boundary(const dsn_input& in) { return "=_hearth_dsn_" + in.queue_id + "_" + std::to_string(in.now); }

// The report up to and including the boundary line that opens part 3 (the original).
std::string dsn_reports(const dsn_input& in, const std::string& boundary, std::size_t reserve) {
  const std::string date = rfc5322_date(in.now);
  std::string m;
  m.reserve(4096 + reserve);
  m += "From: Mail Delivery System <MAILER-DAEMON@" + clean(in.reporting_mta) + ">\r\n";
  m += "To: <" + clean(in.to) + ">\r\n";
  m += in.success   ? "Subject: Successful Mail Delivery Report\r\n"
       : in.delayed ? "Subject: Delayed Mail (still being retried)\r\n"
                    : "Subject: Undelivered Mail Returned to Sender\r\n";
  m += "Date: " + date + "\r\n";
  m += "Message-ID: <dsn." + clean(in.queue_id) + "." + std::to_string(in.now) + "@" + clean(in.reporting_mta) + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 §5
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"\r\n";
  m += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  // Part 1: for the person.
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Description: Notification\r\n\r\n";
  m += "This is the mail system at host " + clean(in.reporting_mta) + ".\r\n\r\n";
  if (in.success) {
    m += "Your message was delivered to the recipients below (\"relayed\": handed to a server that\r\n";
    m += "does not send delivery notifications itself).\r\n\r\n";
  } else if (in.delayed) {
    m += "Your message could not be delivered yet to the recipients below. The mail system will\r\n";
    m += "keep trying until " + rfc5322_date(in.retry_until) + ". You do not need to send it again.\r\n\r\n";
  } else {
    m += "Your message could not be delivered to one or more recipients. It is attached below.\r\n\r\n";
  }
  for (const auto& r : in.rcpts) {
    m += "<" + clean(r.address) + ">: ";
    if (in.success)
      m += clean(r.action) + (r.remote_mta.empty() ? std::string() : " to " + clean(r.remote_mta));
    else if (!r.diagnostic.empty())
      m += "host " + clean(r.remote_mta) + " said: " + clean(r.diagnostic);
    else
      m += clean(r.reason);
    m += "\r\n";
  }
  m += "\r\n";

  // Part 2: RFC 3464 §2.1 message/delivery-status: per-message fields, then per recipient.
  m += "--" + boundary + "\r\n";
  m += "Content-Type: message/delivery-status\r\n";
  m += "Content-Description: Delivery report\r\n\r\n";
  m += "Reporting-MTA: dns; " + clean(in.reporting_mta) + "\r\n";
  m += "X-Hearth-Queue-ID: " + clean(in.queue_id) + "\r\n";
  if (!in.envid.empty()) m += "Original-Envelope-Id: " + clean(xtext_decode(in.envid)) + "\r\n";
  m += "Arrival-Date: " + rfc5322_date(in.arrival) + "\r\n";
  for (const auto& r : in.rcpts) {
    m += "\r\n";
    if (!r.orcpt.empty()) {
      // RFC 3461 §6.3: the ORCPT value, decoded from xtext.
      auto semi = r.orcpt.find(';');
      if (semi != std::string::npos)
        m += "Original-Recipient: " + clean(r.orcpt.substr(0, semi)) + ";" + clean(xtext_decode(r.orcpt.substr(semi + 1))) + "\r\n";
    }
    m += "Final-Recipient: rfc822; " + clean(r.address) + "\r\n";
    m += "Action: " + clean(r.action) + "\r\n";
    m += "Status: " + clean(r.status) + "\r\n";
    if (!r.remote_mta.empty()) m += "Remote-MTA: dns; " + clean(r.remote_mta) + "\r\n";
    if (!r.diagnostic.empty()) m += "Diagnostic-Code: smtp; " + clean(r.diagnostic) + "\r\n";
    if (r.last_attempt) m += "Last-Attempt-Date: " + rfc5322_date(r.last_attempt) + "\r\n";
    if (in.delayed && in.retry_until) m += "Will-Retry-Until: " + rfc5322_date(in.retry_until) + "\r\n";
  }
  m += "\r\n";

  // Part 3: the original (RFC 3462 §2: message/rfc822 or text/rfc822-headers).
  m += "--" + boundary + "\r\n";
  return m;
}

constexpr std::string_view full_part_header = "Content-Type: message/rfc822\r\nContent-Description: Undelivered Message\r\n\r\n";

}  // namespace

dsn_frame build_dsn_frame(const dsn_input& in) {
  const std::string boundary = dsn_boundary(in);
  dsn_frame f;
  f.before = dsn_reports(in, boundary, 0);
  f.before += full_part_header;
  f.after = "\r\n--" + boundary + "--\r\n";
  return f;
}

std::string build_dsn(const dsn_input& in) {
  const std::string boundary = dsn_boundary(in);
  std::string m = dsn_reports(in, boundary, in.full ? in.original.size() : 8192);
  if (in.full) {
    m += full_part_header;
    m += crlf_normalise(in.original);
  } else {
    m += "Content-Type: text/rfc822-headers\r\n";
    m += in.success ? "Content-Description: Message Headers\r\n\r\n" : "Content-Description: Undelivered Message Headers\r\n\r\n";
    m += crlf_normalise(header_section(in.original));
  }
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace hearth::mail::queue
