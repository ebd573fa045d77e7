// Small string helpers of the Sieve implementation: case mapping, name checks, encoded
// characters, time zones. Internal.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::sieve::detail {

std::string lower(std::string_view s);
std::string upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// RFC 5228 §2.4.2.4: replaces "${hex:...}" and "${unicode:...}" in place. A malformed
// sequence is left as it is (the RFC says so); an invalid code point is an error.
bool decode_encoded_characters(std::string& s, std::string& error);

// RFC 5229 §3: identifier, or a namespace-qualified name ("envelope.from") is not settable.
bool valid_variable_name(std::string_view name);
// RFC 5322 §3.6.8 field-name: printable ASCII except ':'.
bool valid_header_name(std::string_view name);
// A mailbox address (local@domain) as redirect needs.
bool valid_address(std::string_view addr);
// An address, possibly with a display name ("Name <a@b>"), as vacation :from accepts.
bool valid_address_field(std::string_view s);
// enotify: mailto: and xmpp: URIs (RFC 5436, RFC 5437). Sets `why` when invalid.
bool valid_notify_uri(std::string_view uri, std::string& why);
// Whether the address test may look at header `name`: every header except those known to hold
// no address (Subject, Date, Message-ID, Received...).
bool address_header_allowed(std::string_view name);
// The address inside "<a@b>" or "Name <a@b>", else the string trimmed.
std::string bare_address(std::string_view s);
// RFC 5260 §4.1 date-part names.
bool valid_date_part(std::string_view part);
// "+0100" / "-0530" -> minutes east of UTC.
std::optional<int> parse_zone(std::string_view z);

}  // namespace hearth::mail::sieve::detail
