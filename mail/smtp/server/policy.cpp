#include "mail/smtp/server/policy.hpp"

#include <algorithm>

#include "directory/address.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::smtp {

std::vector<std::string> own_host_names(std::string_view hostname, std::string_view local_ip) {
  std::vector<std::string> out;
  if (!hostname.empty()) out.emplace_back(hostname);
  if (!local_ip.empty()) {
    // RFC 5321 §4.1.3: IPv6 literals carry the "IPv6:" tag. An IPv4-mapped local address (a
    // dual-stack socket) is the IPv4 address to the client.
    std::string_view ip = local_ip;
    if (ip.starts_with("::ffff:") && ip.find('.') != std::string_view::npos) ip.remove_prefix(7);
    if (ip.find(':') != std::string_view::npos)
      out.push_back("[IPv6:" + std::string(ip) + "]");
    else
      out.push_back("[" + std::string(ip) + "]");
  }
  return out;
}

rcpt_class classify_recipient(directory::directory& dir, std::string_view local, std::string_view domain,
                              const std::vector<std::string>& own_names) {
  rcpt_class out;
  std::string d(domain);
  const bool own_host = util::iequals(local, "postmaster") &&
                        std::any_of(own_names.begin(), own_names.end(),
                                    [&](const std::string& n) { return util::iequals(n, domain); }) &&
                        !(d.front() != '[' && dir.is_local_domain(d));
  if (own_host) d.clear();  // postmaster@HOSTNAME when the host name is not itself a mail domain
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
