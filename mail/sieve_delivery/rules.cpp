#include "mail/sieve_delivery/rules.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::sieve_delivery {
namespace {

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// RFC 2047 B-encoding for a header text with non-ASCII octets; ASCII passes unchanged. Control
// characters (a CR or LF from a script) become spaces so that no field can be injected.
std::string header_text(std::string_view s) {
  std::string clean;
  for (char c : s) clean.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (ascii(clean)) return clean;
  // Words of at most 45 octets of input (60 of base64), split on UTF-8 boundaries.
  std::string out;
  std::size_t i = 0;
  while (i < clean.size()) {
    std::size_t n = std::min<std::size_t>(45, clean.size() - i);
    while (n > 0 && i + n < clean.size() && (static_cast<unsigned char>(clean[i + n]) & 0xc0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(45, clean.size() - i);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::base64_encode(clean.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string message_id(std::string_view hostname) {
  return "<" + crypto::hex_encode(crypto::random_bytes(12)) + "@" + std::string(hostname) + ">";
}

// The body with CRLF line ends.
std::string crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string lower_addr(const address& a) { return util::to_lower(a.local_part + "@" + a.domain); }

}  // namespace

std::string header_value(std::string_view message, std::string_view name) {
  auto h = parse_header(message);
  if (auto f = h.find(name)) return unfold(f->value);
  return {};
}

bool redirected_by(std::string_view message, std::string_view hostname) {
  auto h = parse_header(message);
  for (auto* f : h.find_all(redirect_marker))
    if (util::iequals(util::trim(unfold(f->value)), hostname)) return true;
  return false;
}

std::optional<std::string> vacation_refused(std::string_view message, std::string_view envelope_from,
                                            const std::vector<std::string>& user_addresses) {
  // RFC 5230 §5: never answer the null reverse-path (bounces, other auto-replies).
  if (envelope_from.empty()) return "null sender";
  std::string sender = util::to_lower(envelope_from);
  std::string local = sender.substr(0, sender.find('@'));
  // RFC 3834 §2 / RFC 5230 §4.6: addresses that are not people.
  for (std::string_view bad : {"mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply",
                               "no_reply", "donotreply", "do-not-reply", "bounce", "bounces"})
    if (local == bad || local.starts_with(std::string(bad) + "+") || local.starts_with(std::string(bad) + "-"))
      return "sender " + std::string(bad);
  if (local.starts_with("owner-") || local.ends_with("-request") || local.ends_with("-owner") ||
      local.ends_with("-bounces"))
    return "list address";
  auto h = parse_header(message);
  // RFC 3834 §2: Auto-Submitted other than "no" is never answered.
  if (auto f = h.find("Auto-Submitted")) {
    std::string v = util::to_lower(util::trim(unfold(f->value)));
    if (!v.starts_with("no") || (v.size() > 2 && v[2] != ' ' && v[2] != ';' && v[2] != '('))
      return "auto-submitted";
  }
  if (auto f = h.find("Precedence")) {
    std::string v = util::to_lower(util::trim(unfold(f->value)));
    if (v == "bulk" || v == "list" || v == "junk") return "precedence " + v;
  }
  for (std::string_view list : {"List-Id", "List-Post", "List-Unsubscribe", "List-Help"})
    if (h.find(list)) return "list mail";
  if (h.find("X-Auto-Response-Suppress") &&
      util::to_lower(unfold(h.find("X-Auto-Response-Suppress")->value)).find("oof") != std::string::npos)
    return "auto-response suppressed";
  // RFC 5230 §4.5: only mail that names the user in a recipient field.
  bool named = false;
  for (std::string_view field : {"To", "Cc", "Bcc", "Resent-To", "Resent-Cc"}) {
    for (auto* f : h.find_all(field)) {
      for (const auto& a : parse_address_list(f->value).mailboxes()) {
        std::string addr = lower_addr(a);
        for (const auto& u : user_addresses)
          if (addr == util::to_lower(u)) named = true;
      }
    }
  }
  if (!named) return "user not named in To/Cc";
  return std::nullopt;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string vacation_reply(const reply_parts& p) {
  std::string m;
  m += "From: " + header_text(p.from) + "\r\n";
  m += "To: " + header_text(p.to) + "\r\n";
  m += "Subject: " + header_text(p.subject) + "\r\n";
  m += "Date: " + rfc5322_date(std::chrono::system_clock::now()) + "\r\n";
  m += "Message-ID: " + message_id(p.hostname) + "\r\n";
  if (!p.in_reply_to.empty()) {
    // RFC 5230 §5.8 and RFC 3834 §3.1.5.
    m += "In-Reply-To: " + header_text(p.in_reply_to) + "\r\n";
    m += "References: " + header_text(p.in_reply_to) + "\r\n";
  }
  m += "Auto-Submitted: auto-replied (vacation)\r\n";  // RFC 3834 §5
  m += "Precedence: bulk\r\n";
  m += "MIME-Version: 1.0\r\n";
  if (p.mime) {
    // RFC 5230 §4.8: the reason is a whole MIME entity, header included.
    m += crlf(p.body);
    return m;
  }
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  m += crlf(p.body);
  return m;
}

std::string refusal_mdn(std::string_view original, std::string_view user, std::string_view sender,
                        std::string_view reason, std::string_view hostname) {
  const std::string boundary = "refusal-" + crypto::hex_encode(crypto::random_bytes(8));
  auto h = parse_header(original);
  std::string subject = h.find("Subject") ? unfold(h.find("Subject")->value) : std::string();
  std::string original_id = h.find("Message-ID") ? std::string(util::trim(unfold(h.find("Message-ID")->value))) : "";
  std::string m;
  m += "From: " + std::string(user) + "\r\n";
  m += "To: " + std::string(sender) + "\r\n";
  m += "Subject: " + header_text("Refused: " + subject) + "\r\n";
  m += "Date: " + rfc5322_date(std::chrono::system_clock::now()) + "\r\n";
  m += "Message-ID: " + message_id(hostname) + "\r\n";
  if (!original_id.empty()) m += "In-Reply-To: " + original_id + "\r\n";
  m += "Auto-Submitted: auto-replied (rejected)\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  m += "Your message to " + std::string(user) + " was refused by the recipient's filter:\r\n\r\n";
  m += crlf(reason);
  m += "\r\n--" + boundary + "\r\nContent-Type: message/disposition-notification\r\n\r\n";
  // RFC 5429 §2.1.1 and RFC 8098 §3.2.
  m += "Reporting-UA: " + std::string(hostname) + "; Hearth\r\n";
  m += "Final-Recipient: rfc822; " + std::string(user) + "\r\n";
  if (!original_id.empty()) m += "Original-Message-ID: " + original_id + "\r\n";
  m += "Disposition: automatic-action/MDN-sent-automatically; deleted\r\n";
  m += "\r\n--" + boundary + "\r\nContent-Type: text/rfc822-headers\r\n\r\n";
  m += crlf(original.substr(0, std::min(h.end, original.size())));
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

namespace {

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out.push_back(static_cast<char>(a * 16 + b));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::optional<mailto_target> parse_mailto(std::string_view uri) {
  if (!util::istarts_with(uri, "mailto:")) return std::nullopt;
  uri.remove_prefix(7);
  mailto_target t;
  auto q = uri.find('?');
  std::string to = percent_decode(uri.substr(0, q));
  std::size_t start = 0;
  while (start <= to.size()) {
    auto comma = to.find(',', start);
    std::string one(util::trim(std::string_view(to).substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (!one.empty()) t.to.push_back(one);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (q != std::string_view::npos) {
    std::string_view query = uri.substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      auto eq = kv.find('=');
      std::string key = util::to_lower(kv.substr(0, eq));
      std::string val = eq == std::string_view::npos ? "" : percent_decode(kv.substr(eq + 1));
      if (key == "subject") t.subject = val;
      else if (key == "body") t.body = val;
      else if (key == "to") t.to.push_back(val);
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  for (const auto& a : t.to)
    if (a.find('@') == std::string::npos || a.find_first_of("\r\n<>\" ") != std::string::npos) return std::nullopt;
  if (t.to.empty()) return std::nullopt;
  return t;
}

std::string notification_mail(const mailto_target& t, std::string_view user, std::string_view message,
                              int importance, std::string_view hostname) {
  std::string m;
  m += "From: " + std::string(user) + "\r\n";
  std::string to;
  for (const auto& a : t.to) to += (to.empty() ? "" : ", ") + a;
  m += "To: " + to + "\r\n";
  m += "Subject: " + header_text(t.subject.empty() ? std::string(message) : t.subject) + "\r\n";
  m += "Date: " + rfc5322_date(std::chrono::system_clock::now()) + "\r\n";
  m += "Message-ID: " + message_id(hostname) + "\r\n";
  m += "Auto-Submitted: auto-notified\r\n";  // RFC 5436 §2.7
  if (importance == 1) m += "Importance: high\r\nX-Priority: 1\r\n";
  if (importance == 3) m += "Importance: low\r\nX-Priority: 5\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  m += crlf(t.body.empty() ? std::string(message) : t.body);
  return m;
}

std::optional<std::string> parse_xmpp_uri(std::string_view uri) {
  if (!util::istarts_with(uri, "xmpp:")) return std::nullopt;
  uri.remove_prefix(5);
  if (uri.starts_with("//")) return std::nullopt;  // an authority part: not a target JID
  uri = uri.substr(0, uri.find('?'));
  uri = uri.substr(0, uri.find('/'));
  std::string jid = percent_decode(uri);
  if (jid.empty() || jid.find('@') == std::string::npos || jid.find_first_of("\r\n<>\"' ") != std::string::npos)
    return std::nullopt;
  return util::to_lower(jid);
}

spam_scores spam_from_headers(std::string_view message, double threshold) {
  spam_scores s;
  std::string v = header_value(message, "X-Spam-Score");
  if (v.empty()) return s;
  double score = 0;
  try {
    score = std::stod(v);
  } catch (...) {
    return s;
  }
  if (threshold <= 0) threshold = 5;
  // RFC 5235 §3.2: 1 = not spam ... 10 = definitely spam; twice the Junk threshold is 10.
  double frac = std::clamp(score / (2 * threshold), 0.0, 1.0);
  s.score = std::clamp(1 + static_cast<int>(std::lround(frac * 9)), 1, 10);
  s.percent = static_cast<int>(std::lround(frac * 100));
  return s;
}

}  // namespace hearth::mail::sieve_delivery
