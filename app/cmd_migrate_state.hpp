// What `hearth migrate imap` has copied, so that a second run copies only what is new and a run
// killed at any point resumes without a duplicate. One SQLite file, DATA_DIR/migrate.db, beside
// hearth.db (the mail store's schema stays the server's own):
//
//   done(source, folder, uidvalidity, uid)   a source message that needs nothing more
//   copies(account, mailbox, key, uid)       a message of the target account, by dedup key
//   marks(account, mailbox, uidvalidity, last_uid)  how far `copies` covers each mailbox
//
// The store commits a message before `copies` records it, so a kill between the two leaves a
// message that `copies` does not know. The next run first reads every message above a
// mailbox's mark, computes its key from its blob and records it (reconcile): the copy is then
// found and not made again. The same pass indexes mail that was in the account before.
// synchronous=NORMAL is enough here for that reason: after a power cut, reconcile catches up.
// Thread-safety: every method locks; one object serves all the worker threads.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/db/db.hpp"
#include "core/util/result.hpp"

namespace hearth::app::migrate {

struct copy_row {
  std::string mailbox;
  std::string key;
  std::uint32_t uid = 0;
};

class state {
 public:
  // Creates or migrates the file. Errors: "db.*".
  static result<std::unique_ptr<state>> open(const std::filesystem::path& file);

  result<std::unordered_set<std::uint32_t>> done(const std::string& source, const std::string& folder,
                                                  std::uint32_t uidvalidity);
  // One source message handled: its copies and its done row, in one transaction.
  result<void> record(const std::string& account, const std::vector<copy_row>& copies, const std::string& source,
                      const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid);
  result<std::vector<copy_row>> copies(const std::string& account);
  result<void> add_copies(const std::string& account, const std::vector<copy_row>& rows);
  // (uidvalidity, last_uid) of the mailbox's mark, if any.
  result<std::optional<std::pair<std::uint32_t, std::uint32_t>>> mark(const std::string& account,
                                                                      const std::string& mailbox);
  result<void> set_mark(const std::string& account, const std::string& mailbox, std::uint32_t uidvalidity,
                        std::uint32_t last_uid);
  // The mailbox was recreated (new UIDVALIDITY): what we knew of it is void.
  result<void> forget(const std::string& account, const std::string& mailbox);

 private:
  explicit state(db::connection c) : c_(std::move(c)) {}
  std::mutex m_;
  db::connection c_;
};

}  // namespace hearth::app::migrate
