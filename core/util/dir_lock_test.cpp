#include "core/util/dir_lock.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using hearth::util::dir_lock;

namespace {

fs::path fresh_dir(const char* name) {
  auto d = fs::temp_directory_path() / ("hearth-util-test-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A child process that takes the lock, reports through a pipe, and waits to be killed.
pid_t holder(const fs::path& dir) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    auto l = dir_lock::acquire(dir);
    char c = l ? 'y' : 'n';
    (void)!::write(p[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(p[1]);
  char c = 0;
  (void)!::read(p[0], &c, 1);
  ::close(p[0]);
  REQUIRE(c == 'y');
  return pid;
}

}  // namespace

TEST_CASE("dir_lock: a second process is refused with the holder's PID; released at its death", "[util][lock]") {
  auto dir = fresh_dir("lock");
  pid_t pid = holder(dir);
  auto second = dir_lock::acquire(dir);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == "lock.held");
  CHECK(second.error().message.find("(pid " + std::to_string(pid) + ")") != std::string::npos);
  std::ifstream in(dir / "hearth.lock");
  long written = 0;
  in >> written;
  CHECK(written == pid);

  // kill -9 leaves the file behind, but not the lock.
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  CHECK(fs::exists(dir / "hearth.lock"));
  auto third = dir_lock::acquire(dir);
  REQUIRE(third.has_value());
  std::ifstream again(dir / "hearth.lock");
  again >> written;
  CHECK(written == ::getpid());
  CHECK((fs::status(dir / "hearth.lock").permissions() & fs::perms::others_read) == fs::perms::none);
  fs::remove_all(dir);
}

TEST_CASE("dir_lock: a directory that does not exist is an error, not a crash", "[util][lock]") {
  auto r = dir_lock::acquire("/nonexistent-hearth-dir/x");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == "lock.io");
}
