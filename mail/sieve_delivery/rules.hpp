// The pure parts of Sieve at delivery: who may get an automatic answer (RFC 3834, RFC 5230 §4.5),
// the messages the server writes on a script's behalf (vacation reply, RFC 5429 refusal,
// RFC 5436 mailto notification), the redirect loop marker, and the spam verdict as RFC 5235
// scores. No I/O: strings in, strings out.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::sieve_delivery {

// The header field a redirect adds (with our host name): a message that already carries it
// with our name is not redirected again (loop detection).
inline constexpr std::string_view redirect_marker = "X-Hearth-Redirected-By";

// True when `message` carries our redirect marker for `hostname`.
bool redirected_by(std::string_view message, std::string_view hostname);

// Why an automatic answer (vacation) must not go to the sender of `message`, or nullopt when it
// may. RFC 3834 §2 and RFC 5230 §4.5-§5: no answer to the null sender, to mailer-daemon- or
// noreply-like senders, to Auto-Submitted (other than "no"), Precedence bulk/list/junk, list
// mail (List-Id, List-Post, List-Unsubscribe), or when none of `user_addresses` is in
// To/Cc/Bcc/Resent-To/Resent-Cc (a Bcc or alias the user did not name).
std::optional<std::string> vacation_refused(std::string_view message, std::string_view envelope_from,
                                            const std::vector<std::string>& user_addresses);

struct reply_parts {
  std::string from;       // the user's address (or :from)
  std::string to;         // the original sender
  std::string subject;
  std::string body;       // text, or a MIME entity when mime
  bool mime = false;
  std::string in_reply_to;  // the original Message-ID, with <>
  std::string hostname;     // for the Message-ID
};

// A vacation reply (RFC 5230 §5, RFC 3834 §3): From, To, Subject, Date, Message-ID,
// In-Reply-To/References, Auto-Submitted: auto-replied, MIME headers, body; CRLF line ends.
std::string vacation_reply(const reply_parts& p);

// An RFC 5429 §2.1.1 refusal as an MDN (RFC 8098): multipart/report with the reason, the
// disposition "automatic-action/MDN-sent-automatically; deleted" and the original header.
std::string refusal_mdn(std::string_view original, std::string_view user, std::string_view sender,
                        std::string_view reason, std::string_view hostname);

// An enotify mailto: notification (RFC 5436): the target and optional ?subject= / ?body= of
// `uri` ("mailto:a@b?subject=x"); From the user, Auto-Submitted: auto-notified (RFC 5436 §2.7).
struct mailto_target {
  std::vector<std::string> to;
  std::string subject;
  std::string body;
};
std::optional<mailto_target> parse_mailto(std::string_view uri);
std::string notification_mail(const mailto_target& t, std::string_view user, std::string_view message,
                              int importance, std::string_view hostname);

// "xmpp:user@host" -> "user@host" (RFC 5437 §2; query and resource dropped to the bare JID).
std::optional<std::string> parse_xmpp_uri(std::string_view uri);

// The spam verdict our filters wrote (X-Spam-Score: N) as RFC 5235 scores, against the Junk
// threshold: 0 when the message was not tested, else 1 (not spam) .. 10 (spam at twice the
// threshold or more); percent 0..100 on the same scale.
struct spam_scores {
  int score = 0;
  std::optional<int> percent;
};
spam_scores spam_from_headers(std::string_view message, double threshold);

// The first value of header `name` in `message`, unfolded; "" when absent.
std::string header_value(std::string_view message, std::string_view name);

// "Sun, 06 Dec 2026 13:00:00 +0000" for `t`.
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace hearth::mail::sieve_delivery
