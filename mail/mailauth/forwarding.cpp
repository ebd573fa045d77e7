#include "mail/mailauth/forwarding.hpp"

#include <ctime>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/mailauth/arc.hpp"
#include "mail/srs/srs.hpp"

namespace hearth::mail::mailauth {

std::string forwarding_transform::srs_domain() {
  if (!o_.srs_domain.empty()) return o_.srs_domain;
  std::lock_guard lock(mu_);
  if (domain_.empty()) {
    auto doms = dir_.domains();
    if (!doms.empty()) domain_ = doms.front().name;
  }
  return domain_;
}

smtp::forwarding::forwarded forwarding_transform::prepare(std::string_view sender, std::string message) {
  return transform(sender, std::move(message), {});
}

smtp::forwarding::forwarded forwarding_transform::prepare(std::string_view sender, std::string header,
                                                          const mail::body_pieces& body) {
  return transform(sender, std::move(header), body);
}

smtp::forwarding::forwarded forwarding_transform::transform(std::string_view sender, std::string text,
                                                            const mail::body_pieces& body) {
  const std::int64_t now = std::time(nullptr);
  forwarded out{std::string(sender), std::move(text)};
  const std::string domain = srs_domain();
  if (domain.empty()) return out;
  if (o_.arc) {
    std::vector<directory::dkim_key> rsa;
    for (auto& k : dir_.dkim_keys(domain))
      if (k.algorithm == "rsa-sha256") rsa.push_back(std::move(k));
    const directory::dkim_key* pick = rsa.empty() ? nullptr : &rsa.front();
    for (const auto& k : rsa)
      if (k.selector == o_.dkim_selector) pick = &k;
    if (!pick) {
      log::info("arc.unsealed", {{"domain", domain}, {"reason", "no rsa-sha256 DKIM key"}});
    } else {
      auto set = arc_seal(out.message, signing_key{pick->domain, pick->selector, pick->algorithm, pick->private_pem},
                          o_.hostname, now, body);
      if (set) out.message.insert(0, *set);
      else log::info("arc.unsealed", {{"domain", domain}, {"reason", set.error().message}});
    }
  }
  if (!o_.srs || sender.empty()) return out;  // RFC 5321 §4.5.5: a bounce stays a bounce
  const auto at = sender.rfind('@');
  if (at == std::string_view::npos || dir_.is_local_domain(util::to_lower(sender.substr(at + 1)))) return out;
  srs::options so{o_.srs_secret, domain, 4, o_.srs_max_age_days};
  auto r = srs::forward(so, sender, now);
  if (!r) {
    // Passed on unchanged: the target's SPF may refuse it, but a message is not held for that.
    log::warn("srs.forward", {{"from", sender}, {"error", r.error().message}});
    return out;
  }
  out.sender = std::move(*r);
  return out;
}

result<std::optional<std::string>> forwarding_transform::reverse(std::string_view rcpt) {
  if (!o_.srs) return std::optional<std::string>();
  const std::string domain = srs_domain();
  if (domain.empty()) return std::optional<std::string>();
  srs::options so{o_.srs_secret, domain, 4, o_.srs_max_age_days};
  return srs::reverse(so, rcpt, std::time(nullptr));
}

}  // namespace hearth::mail::mailauth
