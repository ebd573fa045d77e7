// The TLSA records `hearth dns zone` publishes and `hearth dns check` expects for this server
// (zone.tlsa, zone.tlsa_next): read from the certificate files, so both commands see the key
// the server serves.
#pragma once
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace hearth::app {

// "3 1 1 HEX" of the key of the certificate that serves server.hostname (the [[tls.certificate]]
// naming it, else the first), then of zone.tlsa_next when set. Empty when zone.tlsa is off.
// A file that cannot be read adds a sentence to `notes` and no record (the current key's
// problem: no record at all, since a TLSA for the next key alone would refuse our own).
std::vector<std::string> our_tlsa(const config::config& c, std::vector<std::string>& notes);

}  // namespace hearth::app
