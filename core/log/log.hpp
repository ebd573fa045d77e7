// One line per event, key=value (ARCHITECTURE.md principle 6):
//   2026-11-22T16:50:01.123Z info smtp.in session=3f2a from=<a@x.org> size=5120 status=delivered
// Values that contain spaces, quotes, '=' or control characters are written in double quotes
// with C-style escapes, so a line always parses back. Credentials are never logged (callers'
// duty). Thread-safe: each line is formatted first and written with one call under a mutex.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::log {

enum class level { trace = 0, debug, info, warn, error };

// "trace" | "debug" | "info" | "warn" | "error" (also "warning"), case-insensitive.
std::optional<level> parse_level(std::string_view name);
std::string_view level_name(level l);

void set_level(level l);
level current_level();
inline bool enabled(level l) { return l >= current_level(); }

// Lines go to stderr unless a file is set; the file is opened for append.
// Returns false (and keeps the previous output) if the file cannot be opened.
bool set_file(const std::string& path);
// Reopen the file after rotation (SIGHUP).
void reopen();

struct field {
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  field(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)) {}
  field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)) {}
  field(std::string_view k, bool v) : key(k), value(v ? "yes" : "no") {}
  std::string_view key;
  std::string value;
};

// Formats one line (without the timestamp and level) — exposed for tests.
std::string format_fields(std::string_view event, std::initializer_list<field> fields);

void write(level l, std::string_view event, std::initializer_list<field> fields);

inline void trace(std::string_view e, std::initializer_list<field> f = {}) { if (enabled(level::trace)) write(level::trace, e, f); }
inline void debug(std::string_view e, std::initializer_list<field> f = {}) { if (enabled(level::debug)) write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { if (enabled(level::info)) write(level::info, e, f); }
inline void warn(std::string_view e, std::initializer_list<field> f = {}) { if (enabled(level::warn)) write(level::warn, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

// A short random id for a session or queue entry ("3f2a9c1e"), unique enough for logs.
std::string new_id();

}  // namespace hearth::log
