// Internal to core/db (and its tests): the WAL checkpoint of a database file, run by a thread
// of its own instead of by a committing writer.
//
// SQLite's automatic checkpoint runs inside COMMIT. Run after the commit instead, on the
// committing thread, it still made every ~1000th delivery wait for a copy of the WAL into the
// database file and two fsyncs before its client got an answer, and it ran on whichever pool
// thread committed. Here a commit that sees the WAL past the threshold only asks (request():
// a flag and a notify), and this thread runs a PASSIVE checkpoint on its own connection:
// PASSIVE takes no write lock and waits for no reader, so writers go on while it copies; what
// it cannot copy yet (frames a reader still needs), the next one does.
//
// Bounded WAL: a PASSIVE checkpoint lets writers reuse the WAL from its start, but never
// shrinks the file. Once the file has seen no commit for `idle` after a checkpoint, a TRUNCATE
// checkpoint copies what is left and empties the file. It does not wait (no busy handler): if
// a reader or writer is active it gives up until the next idle period.
//
// Durability is unchanged: the checkpoint connection syncs the WAL before copying and the
// database file before the WAL is reused (synchronous=NORMAL in WAL mode), as SQLite's own
// checkpoint does, and a commit's own promise is the group fsync (group_sync.hpp).
//
// The thread starts at the first request and ends with the object (the last connection of the
// file in this process).
// Thread-safety: every member may be called from any thread.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hearth::db::detail {

class checkpointer {
 public:
  explicit checkpointer(std::string db_path, std::chrono::milliseconds idle = std::chrono::milliseconds(1000))
      : path_(std::move(db_path)), idle_(idle) {}
  ~checkpointer();
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;

  // A commit on the file: counted, for the idle check. Lock-free.
  void committed() noexcept { commits_.fetch_add(1, std::memory_order_relaxed); }
  // Asks for a PASSIVE checkpoint soon. Never blocks on the disk.
  void request();

  // For tests: checkpoints run (PASSIVE), and TRUNCATE checkpoints that emptied the WAL.
  std::uint64_t runs() const;
  std::uint64_t truncations() const;

 private:
  void loop();

  const std::string path_;
  const std::chrono::milliseconds idle_;
  std::atomic<std::uint64_t> commits_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::uint64_t runs_ = 0;
  std::uint64_t truncations_ = 0;
  std::thread thread_;
};

// The checkpointer of a database file (shared by every connection of this process to that
// path). Null for ":memory:" and an empty path.
std::shared_ptr<checkpointer> checkpointer_for(const std::filesystem::path& db_path);

}  // namespace hearth::db::detail
