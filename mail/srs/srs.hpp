// Sender Rewriting Scheme: the envelope sender of mail we forward becomes an address at our
// own domain, so that the next hop's SPF check is against us (who sends) rather than the
// original sender's domain (who did not send from here). Bounces to that address come back to
// us and are turned back into the original sender.
//
// The format is Shevek's libsrs2 scheme as Postfix's postsrsd writes it, so addresses made by
// either can be read by the other given the same secret:
//   SRS0=HHHH=TT=orig.example=user@srs.domain          first forwarding hop
//   SRS1=HHHH=hop1.example==HHHH=TT=orig.example=user@srs.domain   a further hop
// HHHH: the first `hash_length` characters of base64(HMAC-SHA1(secret, lowercase(fields)));
// TT: the day number modulo 1024 in two base32 characters ("A".."Z", "2".."7").
// Pure: time and secret are parameters. Thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::mail::srs {

struct options {
  std::string secret;       // HMAC key (bytes); must not be empty
  std::string domain;       // the SRS domain: right side of every address we make
  std::size_t hash_length = 4;   // postsrsd's default
  std::int64_t max_age_days = 21;  // postsrsd's and libsrs2's default
};

inline constexpr std::size_t max_address = 512;  // longer input is refused as srs.syntax

// True when the local part starts with "SRS0" or "SRS1" and a separator (case-insensitive).
bool looks_like_srs(std::string_view local_part);

// The rewritten sender for forwarding mail from `sender` ("local@domain"), at Unix time `now`.
// A sender already at the SRS domain is returned unchanged; an SRS0/SRS1 sender from another
// forwarder becomes SRS1 (the first forwarder's part is kept, so the bounce goes back through
// it). Errors: "srs.syntax" (no '@', empty parts, too long).
result<std::string> forward(const options& o, std::string_view sender, std::int64_t now);

// The original address behind `address`, when it is an SRS address at the SRS domain:
//   nullopt       not an SRS address of ours (another domain, or no SRS0/SRS1 prefix)
//   an address    SRS0: the original sender; SRS1: the first forwarder's SRS0 address
//   an error      "srs.syntax" (malformed), "srs.hash" (forged: the hash does not match),
//                 "srs.expired" (older than max_age_days)
result<std::optional<std::string>> reverse(const options& o, std::string_view address, std::int64_t now);

}  // namespace hearth::mail::srs
