// MTA-STS (RFC 8461): the policy text served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt
// and the id published in the _mta-sts TXT record. Used by the zone generator, the DNS check
// and the HTTPS route, so the three always agree.
#pragma once
#include <string>

#include "core/config/config.hpp"

namespace hearth::rfc6764 {

// RFC 8461 §3.2: "version: STSv1", mode, one "mx:" line per MX host (server.hostname, then
// zone.backup_mx), max_age; lines end in CRLF. The same for every domain we serve, since
// all of them have the same MX hosts.
std::string mta_sts_policy(const config::config& c);

// RFC 8461 §3.1: id is 1–32 alphanumeric characters and must change whenever the policy
// does: the first 20 hex digits of the policy's SHA-256, so no one has to remember to bump it.
std::string mta_sts_id(const config::config& c);

}  // namespace hearth::rfc6764
