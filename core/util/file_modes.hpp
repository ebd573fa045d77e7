// Private files under the data directory: the databases, keys, secrets, message blobs and the
// queue spool are nobody's business but the server's. `hearth serve` sets them right at start
// (and logs each change as a warning), and every command runs with umask 077 so that new files
// (SQLite's database, -wal and -shm files among them) are born private.
//
// The rule: directories 0700, files 0600, except public certificates (*.crt), which may stay
// readable by everyone (0644 at most: never writable by others). Symbolic links are neither
// followed nor changed.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::util {

struct mode_change {
  std::filesystem::path path;
  unsigned before = 0, after = 0;  // permission bits (07777)
};

// Applies the rule to dir and everything below it. Returns what was changed; entries that
// cannot be changed are reported as an error only when dir itself cannot be read or changed.
// Errors: "modes.io".
result<std::vector<mode_change>> make_private(const std::filesystem::path& dir);

// "0644"
std::string octal_mode(unsigned mode);

}  // namespace hearth::util
