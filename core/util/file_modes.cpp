#include "core/util/file_modes.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace hearth::util {

namespace fs = std::filesystem;

namespace {

// What mode the entry should have, given its current one.
unsigned wanted(const fs::path& p, const struct stat& st) {
  unsigned cur = st.st_mode & 07777;
  if (S_ISDIR(st.st_mode)) return 0700;
  // A certificate is public: it may stay readable, but no one else may change it.
  if (p.extension() == ".crt") return (cur & 0644) | 0600;
  return 0600;
}

bool fix(const fs::path& p, std::vector<mode_change>& out, std::string& err) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    err = std::strerror(errno);
    return false;
  }
  if (S_ISLNK(st.st_mode) || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) return true;
  unsigned cur = st.st_mode & 07777, want = wanted(p, st);
  if (cur == want) return true;
  if (::chmod(p.c_str(), want) != 0) {
    err = std::strerror(errno);
    return false;
  }
  out.push_back({p, cur, want});
  return true;
}

}  // namespace

std::string octal_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

result<std::vector<mode_change>> make_private(const fs::path& dir, std::initializer_list<std::string_view> names) {
  std::vector<mode_change> out;
  std::string err;
  if (!fix(dir, out, err)) return fail("modes.io", "cannot set the mode of " + dir.string() + ": " + err);
  auto named = [&](const std::string& n) {
    for (auto want : names)
      if (n.rfind(want, 0) == 0 && (n.size() == want.size() || n[want.size()] == '-' || n[want.size()] == '.')) return true;
    return false;
  };
  std::error_code ec;
  fs::directory_iterator top(dir, ec), end;
  if (ec) return fail("modes.io", "cannot read " + dir.string() + ": " + ec.message());
  for (; top != end; top.increment(ec)) {
    if (ec) break;
    if (!named(top->path().filename().string())) continue;
    std::string e;
    if (!fix(top->path(), out, e)) continue;  // removed meanwhile (a temp file) is no error
    if (!top->is_directory(ec) || top->is_symlink(ec)) continue;
    // directory_options::none: symbolic links to directories are not followed.
    std::error_code rec;
    fs::recursive_directory_iterator it(top->path(), fs::directory_options::skip_permission_denied, rec), rend;
    for (; !rec && it != rend; it.increment(rec)) fix(it->path(), out, e);
  }
  return out;
}

}  // namespace hearth::util
