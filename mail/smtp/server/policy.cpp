#include "mail/smtp/server/policy.hpp"

#include <algorithm>

#include "directory/address.hpp"
#include "directory/directory.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::smtp {

rcpt_class classify_recipient(directory::directory& dir, std::string_view local, std::string_view domain) {
  rcpt_class out;
  std::string d(domain);
  if (d.empty()) {
    // RFC 5321 §4.5.1: "RCPT TO:<Postmaster>" without a domain must be accepted.
    auto doms = dir.domains();
    if (doms.empty()) return out;
    d = doms.front().name;
  }
  if (!d.empty() && d.front() == '[') {
    out.kind = rcpt_kind::remote;  // an address literal is never one of our domains
    out.address = std::string(local) + "@" + d;
    return out;
  }
  auto norm = directory::normalize_address(std::string(local) + "@" + d);
  if (!norm) return out;
  out.address = *norm;
  if (!dir.is_local_domain(directory::domain_of(*norm))) {
    out.kind = rcpt_kind::remote;
    return out;
  }
  out.kind = dir.resolve(*norm).empty() ? rcpt_kind::unknown_local : rcpt_kind::local;
  return out;
}

bool may_send_as(directory::directory& dir, std::string_view account, std::string_view address) {
  auto norm = directory::normalize_address(address);
  if (!norm) return false;
  if (*norm == account) return true;
  if (!dir.is_local_domain(directory::domain_of(*norm))) return false;
  const auto targets = dir.resolve(*norm);
  return std::find(targets.begin(), targets.end(), account) != targets.end();
}

std::string foreign_from_addresses(directory::directory& dir, std::string_view account, std::string_view message) {
  std::string bad;
  const auto header = parse_header(message);
  auto check = [&](const address& a) {
    const std::string addr = a.local_part + "@" + a.domain;
    if (a.local_part.empty() || a.domain.empty() || !may_send_as(dir, account, addr)) {
      if (!bad.empty()) bad += ", ";
      bad += addr;
    }
  };
  for (const auto* f : header.find_all("From")) {
    const auto list = parse_address_list(f->value);
    for (const auto& e : list.entries) {
      if (e.is_group)
        for (const auto& m : e.members) check(m);
      else
        check(e.mailbox);
    }
  }
  return bad;
}

}  // namespace hearth::mail::smtp
