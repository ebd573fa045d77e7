#include "app/imip_glue.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/log/log.hpp"
#include "dav/server/service.hpp"
#include "mail/mailauth/authres.hpp"
#include "mail/message/address.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/mime.hpp"
#include "mail/message/mime_stream.hpp"
#include "mail/smtp/server/policy.hpp"

namespace hearth::app {
namespace {

constexpr std::size_t max_calendar_part = 256 * 1024;

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

// Whether `s` holds `lower_needle` (lower case) in any ASCII case, without copying `s`. Every
// delivered copy is looked at: when the needle has a character that has no case ('/' in
// "text/calendar"), only the places where that character occurs are compared, found with
// memchr, rather than every offset of the message.
bool contains_ascii_nocase(std::string_view s, std::string_view lower_needle) {
  auto same = [](char a, char b) { return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b; };
  auto equal_at = [&](std::size_t i) {
    for (std::size_t j = 0; j < lower_needle.size(); ++j)
      if (!same(s[i + j], lower_needle[j])) return false;
    return true;
  };
  const std::size_t k = lower_needle.find_first_not_of("abcdefghijklmnopqrstuvwxyz");
  if (k == std::string_view::npos || lower_needle.size() > s.size())
    return std::search(s.begin(), s.end(), lower_needle.begin(), lower_needle.end(), same) != s.end();
  const char anchor = lower_needle[k];
  const std::size_t last = s.size() - lower_needle.size();  // the last offset the needle fits at
  for (std::size_t from = k; from <= last + k;) {
    const void* hit = std::memchr(s.data() + from, anchor, last + k + 1 - from);
    if (!hit) return false;
    const std::size_t at = static_cast<const char*>(hit) - s.data();
    if (equal_at(at - k)) return true;
    from = at + 1;
  }
  return false;
}

class mail_imip_sender final : public dav::imip_sender {
 public:
  explicit mail_imip_sender(std::shared_ptr<serve_context::send_fn> fn) : fn_(std::move(fn)) {}
  result<void> send(const std::string& from, const std::vector<std::string>& to, const std::string& message) override {
    if (!fn_ || !*fn_) return fail("imip.no_mail", "mail is not running");
    return (*fn_)(from, to, message);
  }

 private:
  std::shared_ptr<serve_context::send_fn> fn_;
};

// The first text/calendar part, depth first (the parser bounds depth and part count).
const mail::body_part* calendar_part(const mail::body_part& p) {
  if (p.type.is("text", "calendar")) return &p;
  for (const auto& c : p.children)
    if (const auto* f = calendar_part(c)) return f;
  return nullptr;
}

// RFC 8601: only our own Authentication-Results count (forged ones were removed at the MX);
// the sender is trusted when DMARC passed there.
bool dmarc_pass(const mail::header_section& h, const std::string& hostname) {
  for (const auto* f : h.find_all("Authentication-Results")) {
    auto v = lower(mail::unfold(f->value));
    if (mail::mailauth::authserv_id(v) != lower(hostname)) continue;
    auto at = v.find("dmarc=");
    if (at == std::string::npos) continue;
    if (at > 0 && v[at - 1] != ';' && v[at - 1] != ' ' && v[at - 1] != '\t') continue;
    return v.compare(at + 6, 4, "pass") == 0;
  }
  return false;
}

// contains_ascii_nocase over a body read in pieces: each piece is searched with the end of
// the one before it, so that a needle cut across two pieces is found. False when unreadable.
bool pieces_contain_nocase(const mail::body_pieces& body, std::string_view lower_needle) {
  std::string window;  // the last needle-1 octets of the previous piece, then this piece
  bool found = false;
  const bool read = body([&](std::string_view p) {
    if (found) return;
    window += p;
    found = contains_ascii_nocase(window, lower_needle);
    const std::size_t keep = std::min(window.size(), lower_needle.size() - 1);
    window.erase(0, window.size() - keep);
  });
  return read && found;
}

// The text/calendar part of a large message, `head` (its header section with the trace
// fields on top) then its whole body in pieces, encoded as it is in the message; nullopt when
// it has none, a larger one (max_calendar_part counts the decoded part), or is unreadable.
// The body is read up to three times and never held: a search for "text/calendar", one pass
// for the MIME structure (mime_stream.hpp), one for the part's octets.
std::optional<std::string> large_calendar_part(std::string_view head, const mail::body_pieces& body,
                                               std::optional<mail::streamed_structure>& shape,
                                               const mail::body_part*& part) {
  if (!contains_ascii_nocase(head, "text/calendar") && !pieces_contain_nocase(body, "text/calendar"))
    return std::nullopt;
  mail::structure_builder b;
  b.feed(head);
  if (!body([&b](std::string_view p) { b.feed(p); })) return std::nullopt;
  shape = b.finish();
  if (!shape) return std::nullopt;
  part = calendar_part(shape->structure.root);
  if (!part || part->size() > 2 * max_calendar_part) return std::nullopt;
  std::string encoded;
  std::uint64_t at = 0;
  auto take = [&](std::string_view piece) {
    const std::uint64_t from = std::max<std::uint64_t>(part->body_begin, at);
    const std::uint64_t to = std::min<std::uint64_t>(part->body_end, at + piece.size());
    if (from < to) encoded.append(piece.substr(from - at, to - from));
    at += piece.size();
  };
  take(head);
  if (at < part->body_end && !body(take)) return std::nullopt;
  return encoded;
}

}  // namespace

std::shared_ptr<dav::imip_sender> make_imip_sender(serve_context& ctx) {
  return std::make_shared<mail_imip_sender>(ctx.send_mail);
}

serve_context::copy_observer make_imip_receiver(serve_context& ctx, std::shared_ptr<dav::service> svc) {
  const std::string hostname = ctx.cfg.hostname;
  auto* dir = &ctx.dir;
  return [svc, hostname, dir](const std::string& account, const std::string& copy, const std::string& auth_user,
                              const mail::body_pieces* body) {
    try {
      const mail::body_part* part = nullptr;
      const mail::header_section* header = nullptr;
      std::optional<mail::message_structure> msg;
      std::optional<mail::streamed_structure> shape;
      std::string ics;
      if (body) {
        // A large message: its calendar part found and read in pieces.
        auto encoded = large_calendar_part(copy, *body, shape, part);
        if (!encoded) return;
        header = &shape->structure.root.header;
        ics = mail::decode_transfer_encoding(*encoded, part->encoding);
      } else {
        // Cheap test first, in place: most mail has no calendar part.
        if (!contains_ascii_nocase(copy, "text/calendar")) return;
        msg = mail::parse_message(copy);
        part = calendar_part(msg->root);
        if (!part || part->size() > 2 * max_calendar_part) return;
        header = &msg->root.header;
        ics = mail::decode_transfer_encoding(std::string_view(copy).substr(part->body_begin, part->size()), part->encoding);
      }
      if (ics.size() > max_calendar_part) return;
      std::string from;
      if (const auto* f = header->find("From")) {
        auto boxes = mail::parse_address_list(f->value).mailboxes();
        if (boxes.size() == 1) from = lower(boxes.front().addr_spec());
      }
      // Mail between local users never passes the MX checks, so it has no Authentication-Results
      // of ours; it came through authenticated submission instead, and From is trusted when
      // that account may send as it (the rule submission itself applies to From:).
      const bool submitted = !auth_user.empty() && !from.empty() && mail::smtp::may_send_as(*dir, auth_user, from);
      dav::receive_imip(*svc, account, from, submitted || dmarc_pass(*header, hostname), ics);
    } catch (const std::exception& e) {
      log::error("dav.imip.in", {{"account", account}, {"error", e.what()}});
    }
  };
}

}  // namespace hearth::app
