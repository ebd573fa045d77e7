// RFC 5322 §3.4 address lists (From, To, Cc, Bcc, Reply-To, Sender): mailboxes, name-addr
// with display names, groups, comments, quoted local parts, and the obsolete forms of §4.4
// (obs-route, obs-phrase with dots, obs-local-part with CFWS around dots) accepted leniently.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail {

struct address {
  std::string display_name;  // RFC 2047 decoded, UTF-8; empty when none
  std::string local_part;    // quotes and quoted-pair escapes removed; empty when missing
  std::string domain;        // as written (a domain-literal keeps its brackets); empty when
                             // missing, as in "undisclosed-recipients" or a bare local part
  std::string route;         // obs-route "@a,@b" without the colon, for IMAP ENVELOPE adl

  // local_part "@" domain, re-quoting a local part that is not a dot-atom (RFC 5322 §3.4.1).
  std::string addr_spec() const;
};

struct address_entry {
  bool is_group = false;
  address mailbox;               // when !is_group
  std::string group_name;        // when is_group: the display name, RFC 2047 decoded
  std::vector<address> members;  // when is_group: possibly empty ("undisclosed:;")
};

struct address_list {
  std::vector<address_entry> entries;  // in order
  bool malformed = false;  // something was skipped or a mailbox lacks its local part or domain
  bool truncated = false;  // entries beyond max_addresses were dropped

  // Every mailbox, group members included, in order.
  std::vector<address> mailboxes() const;
};

inline constexpr std::size_t max_addresses = 1000;  // mailboxes kept per list

// Parses the raw or unfolded value of an address-list field. Never throws; malformed input
// gives the entries that could be read and sets `malformed`. Comments are skipped, except
// that a bare addr-spec followed by a comment ("user@domain (Real Name)") takes the
// comment's text as its display name. Linear in the input length.
address_list parse_address_list(std::string_view value);

}  // namespace hearth::mail
