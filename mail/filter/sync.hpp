// Backup MX recipient sync. The backup fetches, for each of its backup_mx
// domains, GET <sync_url>/hearth/backup-mx/recipients?domain=D from the primary over verified
// TLS with "Authorization: Bearer <secret>", and replaces its recipients file (DATA_DIR) with
// the union, atomically (write + rename): backup_mx (checks.hpp) reloads it when it changes, and
// a restart without the primary still has the last good list. Any failure keeps the old file.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hearth::mail::filter {

inline constexpr std::string_view sync_path = "/hearth/backup-mx/recipients";
inline constexpr std::size_t sync_max_body = 16u << 20;

struct https_url {
  std::string host;  // a name, or an IP literal (IPv6 without brackets)
  std::string port = "443";
  std::string path;  // without a trailing '/', may be empty
};
// "https://host[:port][/path]"; nullopt for anything else (http:, userinfo, query, bad port).
std::optional<https_url> parse_https_url(std::string_view url);

// Checks one domain's listing: lines "x@D" or "@D" (D = domain, compared case-insensitively);
// returns them lowercased, or nullopt when a line is malformed or names another domain.
std::optional<std::vector<std::string>> parse_listing(std::string_view body, std::string_view domain);

struct sync_options {
  std::string url;      // the primary's https base URL
  std::string secret;
  std::string ca_file;  // extra trusted CAs (PEM), besides the system store; may be empty
  std::vector<std::string> domains;
  std::filesystem::path file;  // the recipients file backup_mx reads
  std::uint32_t interval = 600;
};

// One sync: fetch every domain, then write the file. On failure returns false with `error`
// set and leaves the file alone. Blocking (own io_context; 30 s timeout per request).
bool sync_once(const sync_options& o, std::string& error);

// Runs sync_once at start and then every `interval` seconds on its own thread.
class recipient_sync {
 public:
  explicit recipient_sync(sync_options o);
  ~recipient_sync();
  recipient_sync(const recipient_sync&) = delete;
  recipient_sync& operator=(const recipient_sync&) = delete;
  void stop();

 private:
  void run();
  sync_options o_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hearth::mail::filter
