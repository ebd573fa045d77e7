// Reading a stored blob piece by piece, for bodies too large to hold in memory whole (a 40 MB
// message fetched over IMAP or POP3). Works for both kinds of blob (blob::store, store.hpp):
// a file is read with pread(); a blob in the database (db_store.hpp, table blob_parts) is read
// one part at a time, fetched only when a read reaches it, so at most one part (1 MiB) is held
// besides what the caller asked for, and a read of a range touches only the parts under it.
//
//   auto r = blob::open_reader(blobs, id).value();
//   for (std::uint64_t at = 0; at < r->size(); ) { auto piece = r->read(at, 256 * 1024).value(); ...; at += piece.size(); }
//
// Errors: open_reader: "blob.bad_id", "blob.not_found", "blob.io", "db.*"; read: "blob.io",
// "blob.missing_part" (the database lacks a part of the blob, or holds one of the wrong
// length: the table is damaged), "db.*".
// Thread-safety: a reader belongs to one thread at a time (it may move between threads, e.g.
// from one blocking-pool task to the next); it takes a database connection per part fetched,
// never holds one between calls. Every call blocks: run it on the blocking pool.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::blob {

class store;

class reader {
 public:
  virtual ~reader() = default;
  // The blob's size in octets.
  virtual std::uint64_t size() const = 0;
  // Up to `n` octets from `offset`: exactly n unless the blob ends first; empty at or after
  // its end.
  virtual result<std::string> read(std::uint64_t offset, std::size_t n) = 0;
};

// A reader over blob `id`: its file when there is one, else its parts in the database.
result<std::unique_ptr<reader>> open_reader(const store& s, std::string_view id);

}  // namespace hearth::blob
