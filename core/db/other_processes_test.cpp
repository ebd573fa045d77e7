// other_processes: a write by another process moves the epoch; nothing, or this process's own
// writes on connections it already has, leave it where it was.
#include "core/db/other_processes.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "core/db/db.hpp"

using namespace hearth;

namespace {

struct temp_file {
  std::filesystem::path path;
  temp_file() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hearth_other_processes_" + std::to_string(rd()) + ".sqlite");
  }
  ~temp_file() {
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
};

// Another process doing what a SQLite connection of its own does that other_processes looks
// at, with plain system calls (SQLite must not be used again in a forked child of a process
// that has the file open; the e2e test imap_refresh_other_process runs the real `hearth`
// CLI): it opens the file, and with `hold` takes the shared lock on the -shm's DMS byte,
// tells `ready`, and keeps it until `go` says.
struct other_process {
  pid_t pid = -1;
  int ready[2] = {-1, -1}, go[2] = {-1, -1};

  other_process(const std::filesystem::path& path, bool hold) {
    if (::pipe(ready) != 0 || ::pipe(go) != 0) return;
    pid = ::fork();
    if (pid != 0) return;
    const int db = ::open(path.c_str(), O_RDWR);
    if (db < 0) ::_exit(1);
    if (hold) {
      const int shm = ::open((path.string() + "-shm").c_str(), O_RDWR);
      struct flock fl {};
      fl.l_type = F_RDLCK;
      fl.l_whence = SEEK_SET;
      fl.l_start = 128;
      fl.l_len = 1;
      if (shm < 0 || ::fcntl(shm, F_SETLK, &fl) != 0) ::_exit(2);
    }
    char b = 1;
    if (::write(ready[1], &b, 1) != 1) ::_exit(3);
    if (hold && ::read(go[0], &b, 1) != 1) ::_exit(4);
    ::_exit(0);
  }
  bool wait_ready() {
    char b = 0;
    return pid > 0 && ::read(ready[0], &b, 1) == 1;
  }
  bool finish() {
    char b = 1;
    (void)::write(go[1], &b, 1);
    int status = 0;
    const bool ok = pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    for (int fd : {ready[0], ready[1], go[0], go[1]}) ::close(fd);
    return ok;
  }
};

// A file in WAL mode with a table, open here, and its watch.
struct watched {
  temp_file f;
  db::connection c = db::connection::open(f.path).value();
  std::shared_ptr<db::other_processes> w;
  watched() {
    if (c.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)")) w = db::other_processes::watch(f.path);
  }
};

bool child_runs(const std::filesystem::path& path) {
  other_process p(path, false);
  return p.wait_ready() && p.finish();
}

}  // namespace

TEST_CASE("other_processes: another process's write moves the epoch, this process's own do not") {
  watched x;
  auto& [f, c, w] = x;
  REQUIRE(w);
  // The first looks settle (a watch begins by assuming the worst); then quiet means still.
  (void)w->epoch();
  (void)w->epoch();
  const auto quiet = w->epoch();
  CHECK(w->epoch() == quiet);
  REQUIRE(c.exec("INSERT INTO t VALUES (2)"));  // this process, on a connection it had
  CHECK(w->epoch() == quiet);

  REQUIRE(child_runs(f.path));  // opened it, as a writer must, and is gone
  const auto after = w->epoch();
  CHECK(after != quiet);
  (void)w->epoch();
  const auto quiet2 = w->epoch();
  CHECK(w->epoch() == quiet2);

  REQUIRE(child_runs(f.path));
  CHECK(w->epoch() != quiet2);
}

TEST_CASE("other_processes: a process that keeps the file open moves the epoch at every look") {
  watched x;
  auto& [f, c, w] = x;
  REQUIRE(w);
  other_process p(f.path, true);
  REQUIRE(p.wait_ready());
  const auto e1 = w->epoch();
  const auto e2 = w->epoch();
  CHECK(e2 != e1);  // open now: it may write at any moment
  REQUIRE(p.finish());
  // It may have written after the last look and is gone: the lock seen then still counts.
  CHECK(w->epoch() != e2);
}
