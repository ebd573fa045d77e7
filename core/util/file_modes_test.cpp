#include "core/util/file_modes.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using hearth::util::make_private;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void touch(const fs::path& p, unsigned mode) {
  std::ofstream(p) << "x";
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("make_private: files 0600, directories 0700, certificates stay readable", "[util][modes]") {
  auto d = fs::temp_directory_path() / ("hearth-util-test-" + std::to_string(::getpid()) + "-modes");
  fs::remove_all(d);
  fs::create_directories(d / "blobs" / "ab");
  fs::create_directories(d / "tls");
  ::chmod(d.c_str(), 0755);
  ::chmod((d / "blobs").c_str(), 0755);
  ::chmod((d / "tls").c_str(), 0755);
  ::chmod((d / "blobs" / "ab").c_str(), 0777);
  touch(d / "hearth.db", 0644);
  touch(d / "blobs" / "ab" / "cdef", 0640);
  touch(d / "tls" / "ca.key", 0644);
  touch(d / "tls" / "ca.crt", 0666);
  touch(d / "tls" / "host.crt", 0644);
  touch(d / "auth.secret", 0600);
  fs::create_symlink("/etc/hostname", d / "link");
  fs::create_symlink("/etc/hostname", d / "blobs" / "link");
  touch(d / "hearth.db-wal", 0644);
  // Not named: never touched (a data directory set by mistake to a home directory).
  touch(d / "notes.txt", 0644);
  touch(d / "hearth.dbx", 0644);
  fs::create_directories(d / "other");
  ::chmod((d / "other").c_str(), 0755);

  auto changes = make_private(d, {"hearth.db", "auth.secret", "blobs", "tls"});
  REQUIRE(changes.has_value());
  CHECK(mode_of(d) == 0700);
  CHECK(mode_of(d / "blobs") == 0700);
  CHECK(mode_of(d / "blobs" / "ab") == 0700);
  CHECK(mode_of(d / "hearth.db") == 0600);
  CHECK(mode_of(d / "hearth.db-wal") == 0600);
  CHECK(mode_of(d / "notes.txt") == 0644);
  CHECK(mode_of(d / "hearth.dbx") == 0644);
  CHECK(mode_of(d / "other") == 0755);
  CHECK(mode_of(d / "blobs" / "ab" / "cdef") == 0600);
  CHECK(mode_of(d / "tls" / "ca.key") == 0600);
  CHECK(mode_of(d / "tls" / "ca.crt") == 0644);   // world-writable no more, still readable
  CHECK(mode_of(d / "tls" / "host.crt") == 0644);  // untouched
  // Everything changed is reported, nothing else: d, blobs, ab, tls, hearth.db, -wal, cdef,
  // ca.key, ca.crt.
  CHECK(changes->size() == 9);
  for (const auto& c : *changes) CHECK(c.path.filename() != "host.crt");
  CHECK(make_private(d, {"hearth.db", "auth.secret", "blobs", "tls"}).value().empty());  // a second pass has nothing to do
  fs::remove_all(d);
}
