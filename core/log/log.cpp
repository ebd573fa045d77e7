#include "core/log/log.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

#include "core/util/strings.hpp"

namespace hearth::log {
namespace {

std::atomic<level> g_level{level::info};
std::mutex g_mutex;
FILE* g_file = nullptr;  // nullptr: stderr
std::string g_path;

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::optional<level> parse_level(std::string_view name) {
  auto n = util::to_lower(name);
  if (n == "trace") return level::trace;
  if (n == "debug") return level::debug;
  if (n == "info") return level::info;
  if (n == "warn" || n == "warning") return level::warn;
  if (n == "error") return level::error;
  return std::nullopt;
}

std::string_view level_name(level l) {
  switch (l) {
    case level::trace: return "trace";
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

void set_level(level l) { g_level.store(l); }
level current_level() { return g_level.load(std::memory_order_relaxed); }

bool set_file(const std::string& path) {
  std::lock_guard lock(g_mutex);
  if (path.empty()) {
    if (g_file) std::fclose(g_file);
    g_file = nullptr;
    g_path.clear();
    return true;
  }
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return false;
  if (g_file) std::fclose(g_file);
  g_file = f;
  g_path = path;
  return true;
}

void reopen() {
  std::lock_guard lock(g_mutex);
  if (!g_file || g_path.empty()) return;
  if (FILE* f = std::fopen(g_path.c_str(), "a")) {
    std::fclose(g_file);
    g_file = f;
  }
}

namespace {

void append_fields(std::string& out, std::string_view event, std::initializer_list<field> fields) {
  out += event;
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_value(out, f.value);
  }
}

}  // namespace

std::string format_fields(std::string_view event, std::initializer_list<field> fields) {
  std::string out;
  append_fields(out, event, fields);
  return out;
}

void write(level l, std::string_view event, std::initializer_list<field> fields) {
  using namespace std::chrono;
  const auto ms_since_epoch = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::int64_t secs = ms_since_epoch / 1000;
  const int ms = static_cast<int>(ms_since_epoch % 1000);
  // A busy server writes many lines a second: the date and time to the second are formatted
  // once per second per thread, and the line is built in one buffer sized for its fields.
  thread_local std::int64_t prefix_secs = -1;
  thread_local char prefix[32];
  thread_local std::size_t prefix_len = 0;
  if (secs != prefix_secs) {
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const int n = std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    prefix_len = n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof prefix - 1) : 0;
    prefix_secs = secs;
  }
  std::size_t size = prefix_len + 16 + event.size();
  for (const auto& f : fields) size += f.key.size() + f.value.size() + 4;
  std::string line;
  line.reserve(size);
  line.append(prefix, prefix_len);
  line += static_cast<char>('0' + ms / 100);
  line += static_cast<char>('0' + ms / 10 % 10);
  line += static_cast<char>('0' + ms % 10);
  line += "Z ";
  line += level_name(l);
  line += ' ';
  append_fields(line, event, fields);
  line += '\n';
  std::lock_guard lock(g_mutex);
  FILE* out = g_file ? g_file : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

std::string new_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string out(12, '0');
  for (auto& c : out) {
    c = hex[v & 0xf];
    v >>= 4;
  }
  return out;
}

}  // namespace hearth::log
