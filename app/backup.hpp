// Backups of a running instance's data directory (`hearth backup`, `hearth restore`, and the
// schedule of `[backup]` inside `hearth serve`).
//
// DEST layout:
//   DEST/hearth.lock              held while a backup writes into DEST (one at a time)
//   DEST/blobs/ab/cdef...         blobs, content-addressed as in the data directory, shared by
//                                 every snapshot (so a second backup copies only new blobs)
//   DEST/snapshots/ID/MANIFEST    what the snapshot holds, with checksums (core/backup/manifest.hpp)
//   DEST/snapshots/ID/...         the databases (SQLite online backup), the queue's spool files,
//                                 the other files of the data directory (keys, secret, certificates)
//   DEST/snapshots/.tmp-ID        a snapshot being written; renamed to ID when complete
//
// Consistency with a running server: the databases are copied while a write transaction is
// held on hearth.db from another connection, so nothing commits during the copy; under the
// same lock the blobs the copy references (and the queue's spool files) that DEST lacks are
// hard-linked into DATA/.backup-pin-PID. The mail store removes a blob only under that write
// lock (mail/store/store.hpp), so every blob the copy names is pinned before it could be
// removed. The lock is released before the slow part (copying the pinned files into DEST).
// Writers wait for the lock (SQLite busy_timeout, 5 s); it is held for the database copy plus
// one link() per new blob.
//
// Durability: new files are written under temporary names, flushed with one syncfs() of DEST,
// then renamed into place, so a crash never leaves a damaged blob under its final name.
//
// Thread-safety: run_backup may run in a thread of `hearth serve` beside the protocols (it uses
// its own database connections). Two backups into one DEST exclude each other (DEST lock,
// "backup.busy").
// Errors: "backup.io", "backup.busy", "backup.usage", "backup.manifest", "backup.corrupt",
// "db.*", "mail.*".
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/backup/manifest.hpp"
#include "core/util/result.hpp"

namespace hearth::app {

struct backup_options {
  std::filesystem::path data_dir;
  std::filesystem::path dest;
  unsigned keep = 7;  // snapshots kept (the newest); 0 = keep all
};

struct backup_report {
  std::string snapshot;
  std::size_t files = 0;          // files of the snapshot (databases, spool, keys...)
  std::uint64_t file_bytes = 0;
  std::size_t blobs = 0;          // blobs the snapshot references
  std::uint64_t blob_bytes = 0;
  std::size_t blobs_copied = 0;   // of which new in DEST
  std::uint64_t bytes_copied = 0; // blob bytes copied this time
  std::size_t removed_snapshots = 0, removed_blobs = 0;  // retention
  double locked_seconds = 0;      // how long writers were held
  double seconds = 0;
};

result<backup_report> run_backup(const backup_options& o);

// The snapshots in DEST, oldest first (manifests that do not parse are skipped; verify says why).
result<std::vector<backup::manifest>> list_snapshots(const std::filesystem::path& dest);

struct verify_report {
  std::size_t snapshots = 0, files = 0, blobs = 0;
  std::vector<std::string> problems;  // empty: every checksum matched and nothing is missing
};
// Checks every snapshot (or only `snapshot`): each file's and each referenced blob's size and
// SHA-256. Errors only when DEST cannot be read at all; damage is reported in `problems`.
result<verify_report> verify_backup(const std::filesystem::path& dest, const std::optional<std::string>& snapshot);

struct restore_report {
  std::string snapshot;
  std::size_t files = 0, blobs = 0;
  std::uint64_t bytes = 0;
};
// Builds a data directory at `dir` (missing or empty) from `snapshot` (default: the newest),
// checking every checksum on the way ("backup.corrupt" on a mismatch or a missing blob).
result<restore_report> restore_backup(const std::filesystem::path& dest, const std::optional<std::string>& snapshot,
                                      const std::filesystem::path& dir);

}  // namespace hearth::app
