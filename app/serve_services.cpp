#include "app/serve_services.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/common.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"

namespace hearth::app {
namespace {

constexpr std::size_t secret_bytes = 32;

bool is_hex_secret(std::string_view s) {
  if (s.size() != 2 * secret_bytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Makes the secret file. Returns true if it now exists (made here or by a concurrent start).
bool create_secret(const std::filesystem::path& file, std::string& err) {
  std::string tmpl = file.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmpl.data());  // mode 0600
  if (fd < 0) {
    err = std::strerror(errno);
    return false;
  }
  const std::string text = crypto::hex_encode(crypto::random_bytes(secret_bytes)) + "\n";
  bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  if (!ok) err = std::strerror(errno);
  ::close(fd);
  // link() fails with EEXIST instead of replacing: the first start's secret wins.
  if (ok && ::link(tmpl.c_str(), file.c_str()) != 0 && errno != EEXIST) {
    err = std::strerror(errno);
    ok = false;
  }
  ::unlink(tmpl.c_str());
  if (ok) {
    // The directory entry must survive a crash too, or the next start would make another one.
    int dfd = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return ok;
}

}  // namespace

std::optional<std::string> load_or_create_secret(const std::filesystem::path& data_dir) {
  const auto file = data_dir / "auth.secret";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    std::string err;
    if (!create_secret(file, err)) {
      fail_with(1, "cannot create " + file.string() + ": " + err);
      return std::nullopt;
    }
    log::info("serve.secret", {{"file", file.string()}, {"created", true}});
  }
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    fail_with(1, "cannot read " + file.string());
    return std::nullopt;
  }
  std::string secret(util::trim(text.str()));
  if (!is_hex_secret(secret)) {
    fail_with(1, file.string() + " is not a secret written by hearth (64 hex characters expected); move it away "
                                 "to have a new one made");
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    log::warn("serve.secret", {{"file", file.string()}, {"warning", "readable by other users; chmod 600 it"}});
  return secret;
}

http::session_options https_session_options(const config::config& c) {
  http::session_options o;
  o.read_timeout = std::chrono::seconds(c.read_timeout_seconds);
  o.idle_timeout = std::min<std::chrono::milliseconds>(o.read_timeout, std::chrono::seconds(60));
  o.body_limit = c.http_max_body_size;
  o.header_timeout = std::chrono::seconds(c.http_header_timeout);
  o.body_timeout = std::chrono::seconds(c.http_body_timeout);
  o.body_min_rate = c.http_body_min_rate;
  return o;
}

}  // namespace hearth::app
