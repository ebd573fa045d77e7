// Internal to core/sql: a database that hands each thread its own connection, opened on first
// use by the driver's open_connection() and kept until the database is destroyed (Hearth's
// threads, I/O and blocking pool, live as long as the process). A thread finds its connection
// without a lock, by the database's never-reused id.
#pragma once
#include <mutex>
#include <vector>

#include "core/sql/sql.hpp"

namespace hearth::sql::detail {

class threaded_database : public database {
 public:
  connection& get() final;
  result<connection*> try_get() final;

 protected:
  virtual result<std::unique_ptr<connection>> open_connection() = 0;

 private:
  std::uint64_t id_ = next_id();
  std::mutex mu_;
  std::vector<std::unique_ptr<connection>> conns_;
  static std::uint64_t next_id();
};

}  // namespace hearth::sql::detail
