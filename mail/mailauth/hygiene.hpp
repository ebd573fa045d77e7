// Outgoing hygiene and signing for mail from our own users, in this order:
// drop the header fields that reveal the internal path and the client (every Received line
// already present — the session adds its own, without the client's address, afterwards —
// X-Originating-IP and the configured others), add Message-ID and Date when missing, then
// DKIM-sign with each of the author domain's keys, so the signature covers the cleaned header.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mailauth/dkim.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::directory {
class directory;
}

namespace hearth::mail::mailauth {

struct hygiene_options {
  std::vector<std::string> strip;  // further field names to remove (case-insensitive)
  std::string hostname;            // right side of generated Message-IDs
};

// Pure: returns the cleaned message. `now` (Unix seconds) for a missing Date.
std::string clean_message(std::string message, const hygiene_options& o, std::int64_t now);

// RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 22:17:00 +0000".
std::string rfc5322_date(std::int64_t now);

// The domain of the (first) From: address, lowercase; "" when there is none.
std::string author_domain(std::string_view message);

struct signing_options {
  bool sign = true;
  std::string selector;  // dkim.selector: keys "SEL" and "SEL-ed25519" are used when present,
                         // otherwise every key of the domain
};

// The submission_transform of mail/smtp/server/filter.hpp.
class outgoing_transform : public smtp::submission_transform {
 public:
  outgoing_transform(directory::directory& dir, hygiene_options h, signing_options s)
      : dir_(dir), h_(std::move(h)), s_(std::move(s)) {}
  std::string prepare(std::string_view user, std::string_view mail_from, std::string message) override;
  std::string prepare_header(std::string_view user, std::string_view mail_from, std::string header,
                             const smtp::body_pieces& body) override;

 private:
  // The DKIM-Signature fields for `message` (with `body` set: the header section, the body
  // read through it), after the hygiene.
  std::string signatures(std::string_view user, std::string_view mail_from, const std::string& message,
                         const smtp::body_pieces& body, std::int64_t now);
  directory::directory& dir_;
  hygiene_options h_;
  signing_options s_;
};

}  // namespace hearth::mail::mailauth
