// Shared by the autoconfig unit tests: a config with every listener on its standard port
// (plus an offset), and a way to switch one off.
#pragma once
#include <cstdint>

#include "core/config/config.hpp"

namespace hearth::rfc6764::test {

inline config::config test_config(unsigned offset = 0) {
  config::config c;
  c.hostname = "mail.example.org";
  for (auto& l : c.listeners) l.port = static_cast<std::uint16_t>(config::standard_port(l.svc) + offset);
  return c;
}

inline void disable(config::config& c, config::service s) {
  for (auto& l : c.listeners)
    if (l.svc == s) l.port = 0;
}

}  // namespace hearth::rfc6764::test
