// Private files under the data directory: the databases, keys, secrets, message blobs and the
// queue spool are nobody's business but the server's. `hearth serve` sets them right at start
// (and logs each change as a warning), and every command runs with umask 077 so that new files
// (SQLite's database, -wal and -shm files among them) are born private.
//
// The rule: directories 0700, files 0600, except public certificates (*.crt), which may stay
// readable by everyone (0644 at most: never writable by others). Symbolic links are neither
// followed nor changed. Only the entries the server names are touched, so that a data
// directory set by mistake to a home directory does not get its files chmod-ed: new files are
// private through the umask anyway, and the names cover what earlier versions made.
#pragma once
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::util {

struct mode_change {
  std::filesystem::path path;
  unsigned before = 0, after = 0;  // permission bits (07777)
};

// Applies the rule to dir itself and to each entry of dir named in `names`, or whose name is
// one of them followed by '-' or '.' (SQLite's -wal/-shm/-journal files, temp files), with
// everything below such an entry. Returns what was changed; an entry that cannot be changed
// (removed meanwhile) is skipped. Errors: "modes.io" (dir itself cannot be read or changed).
result<std::vector<mode_change>> make_private(const std::filesystem::path& dir,
                                              std::initializer_list<std::string_view> names);

// "0644"
std::string octal_mode(unsigned mode);

}  // namespace hearth::util
