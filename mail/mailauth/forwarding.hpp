// The smtp::forwarding of mail/smtp/server/filter.hpp: SRS (mail/srs) on the envelope sender
// and an ARC set (arc.hpp) on the message, for every copy we pass on to another domain (alias,
// catch-all, Sieve redirect); SRS addresses decoded on the way back.
//
// Which senders are rewritten, as postsrsd with its exclusions: not the null sender, not a
// sender at one of our own domains (our SPF covers them already). The SRS domain is
// mailauth.srs_domain, else our first (primary) domain. The ARC set is signed with the SRS
// domain's DKIM key (the rsa-sha256 one of dkim.selector, else any rsa-sha256 key of it).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "mail/smtp/server/filter.hpp"

namespace hearth::directory {
class directory;
}

namespace hearth::mail::mailauth {

struct forwarding_options {
  bool srs = true;
  std::string srs_secret;          // from the data directory (app/serve_mailauth.cpp)
  std::string srs_domain;          // "" = the first domain of the directory
  std::int64_t srs_max_age_days = 21;
  bool arc = true;
  std::string hostname;            // our authserv-id in Authentication-Results
  std::string dkim_selector;
};

class forwarding_transform : public smtp::forwarding {
 public:
  forwarding_transform(directory::directory& dir, forwarding_options o) : dir_(dir), o_(std::move(o)) {}
  forwarded prepare(std::string_view sender, std::string message) override;
  forwarded prepare(std::string_view sender, std::string header, const mail::body_pieces& body) override;
  result<std::optional<std::string>> reverse(std::string_view rcpt) override;

 private:
  std::string srs_domain();  // "" while the directory has no domain
  // Both prepare()s: `text` is the whole message, or the header section with `body` set.
  forwarded transform(std::string_view sender, std::string text, const mail::body_pieces& body);
  directory::directory& dir_;
  forwarding_options o_;
  std::mutex mu_;
  std::string domain_;  // the first domain, once known (it never changes after: lowest id)
};

}  // namespace hearth::mail::mailauth
