#include "mail/mailauth/hygiene.hpp"

#include <ctime>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::mailauth {

std::string rfc5322_date(std::int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string clean_message(std::string message, const hygiene_options& o, std::int64_t now) {
  header_section h = parse_header(message);
  auto drop = [&](std::string_view name) {
    if (util::iequals(name, "Received") || util::iequals(name, "X-Originating-IP")) return true;
    for (const auto& s : o.strip)
      if (util::iequals(name, s)) return true;
    return false;
  };
  bool has_id = false, has_date = false;
  for (std::size_t i = h.fields.size(); i-- > 0;) {
    const auto& f = h.fields[i];
    if (!f.valid) continue;
    auto name = util::trim(f.name);
    if (drop(name)) {
      message.erase(f.offset, f.raw.size());
      continue;
    }
    has_id |= util::iequals(name, "Message-ID");
    has_date |= util::iequals(name, "Date");
  }
  std::string add;
  if (!has_date) add += "Date: " + rfc5322_date(now) + "\r\n";
  if (!has_id) add += "Message-ID: <" + crypto::hex_encode(crypto::random_bytes(12)) + "@" + o.hostname + ">\r\n";
  // New fields go at the end of the header section, above the empty line.
  if (!add.empty()) {
    header_section h2 = parse_header(message);
    std::size_t at = h2.end;
    if (!h2.has(problem_no_body_separator)) {
      at = h2.end >= 2 && message.compare(h2.end - 2, 2, "\r\n") == 0 ? h2.end - 2 : h2.end - 1;
    } else if (!message.empty() && !message.ends_with("\n")) {
      add.insert(0, "\r\n");
    }
    message.insert(at, add);
    if (h2.has(problem_no_body_separator)) message += "\r\n";
  }
  return message;
}

std::string author_domain(std::string_view message) {
  header_section h = parse_header(message);
  const header_field* from = h.find("From");
  if (!from) return "";
  auto list = parse_address_list(from->value);
  auto boxes = list.mailboxes();
  if (boxes.empty()) return "";
  return util::to_lower(boxes.front().domain);
}

std::string outgoing_transform::prepare(std::string_view user, std::string_view mail_from, std::string message) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  message = clean_message(std::move(message), h_, now);
  if (!s_.sign) return message;
  return signatures(user, mail_from, message, {}, now) + message;
}

std::string outgoing_transform::prepare_header(std::string_view user, std::string_view mail_from, std::string header,
                                               const smtp::body_pieces& body) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  // The hygiene touches header fields only, so the header section alone is enough for it.
  header = clean_message(std::move(header), h_, now);
  if (!s_.sign) return header;
  return signatures(user, mail_from, header, body, now) + header;
}

std::string outgoing_transform::signatures(std::string_view user, std::string_view mail_from, const std::string& message,
                                           const smtp::body_pieces& body, std::int64_t now) {
  std::string domain = author_domain(message);
  auto keys = domain.empty() ? std::vector<directory::dkim_key>{} : dir_.dkim_keys(domain);
  if (keys.empty()) {
    // No From domain of ours: sign for the envelope sender's domain (still a valid signature).
    auto at = mail_from.rfind('@');
    if (at != std::string_view::npos) {
      domain = util::to_lower(mail_from.substr(at + 1));
      keys = dir_.dkim_keys(domain);
    }
  }
  std::vector<directory::dkim_key> chosen;
  for (const auto& k : keys)
    if (k.selector == s_.selector || k.selector == s_.selector + "-ed25519") chosen.push_back(k);
  if (chosen.empty()) chosen = keys;
  std::string fields;
  for (const auto& k : chosen) {
    const signing_key key{k.domain, k.selector, k.algorithm, k.private_pem};
    auto f = body ? sign(message, key, now, body) : sign(message, key, now);
    if (!f) {
      log::warn("dkim.sign", {{"user", user}, {"domain", domain}, {"selector", k.selector}, {"error", f.error().message}});
      continue;
    }
    fields += *f;
  }
  if (chosen.empty()) log::info("dkim.unsigned", {{"user", user}, {"domain", domain}, {"reason", "no key"}});
  return fields;
}

}  // namespace hearth::mail::mailauth
