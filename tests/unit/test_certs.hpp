// Test-only: a self-signed P-256 certificate for `cn` written by the openssl CLI into `dir`,
// served for `hosts` (default: just `cn`). Shared by the tls and net unit tests.
#pragma once
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace hearth::test {

inline config::certificate make_cert(const std::filesystem::path& dir, const std::string& cn,
                                     std::vector<std::string> hosts = {}) {
  std::filesystem::create_directories(dir);
  config::certificate c;
  c.hosts = hosts.empty() ? std::vector<std::string>{cn} : std::move(hosts);
  c.cert_file = dir / (cn + ".crt");
  c.key_file = dir / (cn + ".key");
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" + cn +
                    " -addext subjectAltName=DNS:" + cn + " -keyout " + c.key_file.string() + " -out " +
                    c.cert_file.string() + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return c;
}

}  // namespace hearth::test
