// Who may send as whom, and where a recipient goes. Blocking (directory reads): call from the
// blocking pool.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hearth::directory {
class directory;
}

namespace hearth::mail::smtp {

enum class rcpt_kind {
  local,          // one of our domains, resolves to at least one address
  unknown_local,  // one of our domains, nobody there: 550 5.1.1
  remote,         // another domain (or an address literal): relay rules apply
  invalid,        // not a valid address: 501 5.1.3
};

struct rcpt_class {
  rcpt_kind kind = rcpt_kind::invalid;
  std::string address;  // normalized (a bare "Postmaster" gets our first domain)
};

// `own_names`: the names by which a client may mean this very host rather than a domain: the
// server's host name and its address literal on this connection ("[192.0.2.1]",
// "[IPv6:2001:db8::1]"), compared case-insensitively. Postmaster at one of them is ours (RFC 5321
// §4.5.1) and goes where a bare "Postmaster" goes: the postmaster of the first domain.
rcpt_class classify_recipient(directory::directory& dir, std::string_view local, std::string_view domain,
                              const std::vector<std::string>& own_names = {});

// The own_names of a connection: the host name and the local address as address literals.
std::vector<std::string> own_host_names(std::string_view hostname, std::string_view local_ip);

// May `account` use `address` as its envelope sender or in From:? Its own address, or a local
// address whose resolution (alias, catch-all) reaches the account.
bool may_send_as(directory::directory& dir, std::string_view account, std::string_view address);

// Every address in the From: fields of `message` (RFC 5322 header) that `account` may not
// use, comma-separated; "" when all are allowed (or there is no From:).
std::string foreign_from_addresses(directory::directory& dir, std::string_view account, std::string_view message);

}  // namespace hearth::mail::smtp
