// The manifest of one backup snapshot (`hearth backup`): what the snapshot holds, with a
// SHA-256 checksum for each piece, so that `hearth backup verify` and `hearth restore` can
// tell a complete, intact snapshot from a damaged one. Pure: text in, a manifest or an error out.
//
// Text format, one entry per line, fields separated by one space:
//
//   hearth-backup 1                       first line: format and version
//   snapshot 20261206T140102Z             the snapshot's id (its folder name)
//   created 1796565662                    Unix seconds when the databases were copied
//   file SHA256 SIZE PATH                 a file of the data directory, PATH relative to it
//   blob SHA256 SIZE                      a blob the databases reference (its id is its SHA-256)
//   end SHA256                            last line: SHA-256 of every byte before this line
//
// The last line makes a truncated or edited manifest detectable. PATH is a relative path with
// '/' separators; no empty, "." or ".." component, no control characters (a restore writes
// there, so no PATH may leave the target folder). Lines end with "\n" only.
// Limits: a line of at most max_line bytes, at most max_entries file+blob lines.
// Errors: "backup.manifest" with the line number in the message.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::backup {

inline constexpr std::size_t max_line = 4096;
inline constexpr std::size_t max_entries = 50'000'000;

struct entry {
  std::string sha256;  // 64 lowercase hex digits
  std::uint64_t size = 0;
  std::string path;    // files only; empty for blobs
};

struct manifest {
  std::string snapshot;
  std::int64_t created = 0;
  std::vector<entry> files;
  std::vector<entry> blobs;
};

// True for a snapshot id we make or accept: 1..64 characters of [0-9A-Za-z._-], not "." or "..".
bool valid_snapshot_id(std::string_view id);
// True for a PATH as described above.
bool valid_path(std::string_view path);

// The manifest's text, "end" line included. Entries are written in the order given.
std::string format(const manifest& m);
// Errors: "backup.manifest" (syntax, a bad field, a limit, a checksum that does not match).
result<manifest> parse(std::string_view text);

}  // namespace hearth::backup
