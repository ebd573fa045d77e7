// The blob table on core/sql, for the SQL implementations of stores that share the database
// with it: the mail store writes a small message's bytes with these in its own transaction, so
// that the row and its blob commit (and are fsync'd) together. Nothing above a store's
// interface includes this.
//
// Table blob_parts: one row per part of at most part_bytes octets (a message under the inline
// limit is one row), every row carrying the blob's total size.
// Errors: "db.*"; get(): "blob.too_big".
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/sql/sql.hpp"

namespace hearth::blob::sql_rows {

inline constexpr std::string_view component = "blob";
inline constexpr std::size_t part_bytes = 1024 * 1024;

std::span<const sql::migration> migrations();

// Inserts the parts of `data` under `id` unless the blob is there already. Call inside a
// write transaction (a blob is either whole or absent). A blob of one part is queued
// (core/sql/pipeline.hpp): its error may be that of the transaction's next statement or commit.
result<void> insert(sql::connection& c, std::string_view id, std::string_view data);
// One part, `part` counting from 0, of a blob of `total` bytes (streaming writers).
result<void> insert_part(sql::connection& c, std::string_view id, std::int64_t part, std::uint64_t total,
                         std::string_view data);
result<bool> erase(sql::connection& c, std::string_view id);
result<std::optional<std::uint64_t>> size_of(sql::connection& c, std::string_view id);
result<std::optional<std::string>> get(sql::connection& c, std::string_view id, std::uint64_t max_size);
// The first `n` octets (fewer when shorter), reading only the parts needed.
result<std::optional<std::string>> head(sql::connection& c, std::string_view id, std::uint64_t n);

}  // namespace hearth::blob::sql_rows
