// Internal: the implementation of mail::store on core/sql (SQLite or PostgreSQL). Not for other
// folders: they use store.hpp. Split by concern: schema.cpp (migrations, open, shared helpers),
// names.cpp (mailbox names and flags), mailboxes.cpp, messages.cpp, transfer.cpp (copy, move,
// expunge).
#pragma once
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>

#include "core/blob/store.hpp"
#include "core/events/bus.hpp"
#include "core/sql/pipeline.hpp"
#include "core/sql/sql.hpp"
#include "directory/directory.hpp"
#include "mail/store/known_account.hpp"
#include "mail/store/store.hpp"

namespace hearth::mail {

std::int64_t unix_now();

// Canonical flag list (system flags first, keywords deduplicated case-insensitively).
// Errors: "mail.invalid".
result<std::vector<std::string>> canonical_flags(const std::vector<std::string>& flags);
std::string join_flags(const std::vector<std::string>& flags);
std::vector<std::string> split_flags(std::string_view stored);
bool has_flag(const std::vector<std::string>& flags, std::string_view canonical);
// A blob's derived data (store.hpp blob_meta), written or replaced: ?1 the blob id, ?2 the
// data as bytes (meta_bytes: it may hold any octet).
inline constexpr std::string_view upsert_blob_meta =
    "INSERT INTO mail_blob_meta(blob_id, data) VALUES(?1, ?2) ON CONFLICT(blob_id) DO UPDATE SET data = excluded.data";
inline std::span<const std::uint8_t> meta_bytes(std::string_view data) {
  return {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
}
// Applies a STORE to `current` (both canonical); the result is canonical.
std::vector<std::string> apply_flags(const std::vector<std::string>& current, flag_mode mode,
                                     const std::vector<std::string>& given);
// Errors "mail.invalid" for an empty set, too many ranges, or first > last / uid 0.
result<void> check_uid_set(const uid_set& uids);
bool in_set(const uid_set& uids, std::uint32_t uid);

// The "mail" component's migrations for an engine (schema.cpp): one list, in which a step may
// differ on PostgreSQL. Exposed for the upgrade test, which replays the first ones.
std::span<const sql::migration> store_migrations(sql::engine e);

struct mailbox_row {
  std::int64_t id = 0;
  std::string name;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;
};

struct message_row {
  message_info info;
  std::int64_t id = 0;
};

class sql_store final : public store {
 public:
  sql_store(std::unique_ptr<sql::database> db, blob::store& blobs, directory::directory* dir, events::bus* bus)
      : db_(std::move(db)), blobs_(blobs), dir_(dir), bus_(bus) {}
  ~sql_store() override { flush_garbage(); }

  result<std::vector<mailbox_info>> list(std::string_view account) override;
  result<mailbox_info> status(std::string_view account, std::string_view mailbox) override;
  result<mailbox_info> create(std::string_view account, std::string_view name, std::string_view special_use) override;
  result<void> rename(std::string_view account, std::string_view from, std::string_view to) override;
  result<void> remove(std::string_view account, std::string_view name) override;
  result<void> subscribe(std::string_view account, std::string_view name, bool subscribed) override;
  result<std::vector<std::string>> absent_subscriptions(std::string_view account) override;

  result<append_result> append(std::string_view account, std::string_view mailbox, std::string_view bytes,
                               const std::vector<std::string>& flags, std::optional<std::int64_t> internal_date) override;
  result<append_result> append_blob(std::string_view account, std::string_view mailbox, std::string_view blob_id,
                                    const std::vector<std::string>& flags, std::optional<std::int64_t> internal_date,
                                    std::string_view meta) override;
  result<append_result> deliver(std::string_view account, std::string_view bytes) override;
  result<std::vector<message_info>> fetch(std::string_view account, std::string_view mailbox, const uid_set& uids) override;
  result<mailbox_view> view(std::string_view account, std::string_view mailbox) override;
  result<std::vector<message_info>> fetch_flags(std::string_view account, std::string_view mailbox) override;
  result<flags_result> store_flags(std::string_view account, std::string_view mailbox, const uid_set& uids, flag_mode mode,
                                   const std::vector<std::string>& flags,
                                   std::optional<std::uint64_t> unchanged_since) override;
  result<copy_result> copy(std::string_view account, std::string_view from, const uid_set& uids, std::string_view to) override;
  result<copy_result> move(std::string_view account, std::string_view from, const uid_set& uids, std::string_view to) override;
  result<expunge_result> expunge(std::string_view account, std::string_view mailbox,
                                 const std::optional<uid_set>& uids) override;
  result<changes> changes_since(std::string_view account, std::string_view mailbox, std::uint64_t since) override;
  result<quota_usage> usage(std::string_view account) override;
  result<std::vector<std::string>> blob_ids() override;
  result<std::vector<std::optional<std::string>>> blob_meta(const std::vector<std::string>& blob_ids) override;
  result<void> put_blob_meta(std::string_view blob_id, std::string_view data) override;
  result<std::uint32_t> claim_recent(std::string_view account, std::string_view mailbox, std::uint32_t upto) override;
  result<std::vector<std::pair<std::string, std::string>>> metadata(std::string_view account,
                                                                    std::string_view mailbox) override;
  result<void> set_metadata(std::string_view account, std::string_view mailbox,
                            const std::vector<std::pair<std::string, std::optional<std::string>>>& values) override;

  // ---- helpers shared by the concern files ----
  struct account_ref {
    std::string address;
    std::uint64_t quota = 0;
  };
  // Normalizes, checks the directory, creates the default mailboxes on first use. The answer
  // is kept for account_ttl (see known_accounts_); `fresh` asks the directory again, for the
  // writes that apply the quota (append, copy), so a quota or an account removed takes effect
  // at once there, unless the caller vouches for the account (known_account.hpp).
  result<account_ref> prepare(std::string_view account, bool fresh = false);
  // has_defaults: the default mailboxes are known to exist (INBOX cannot be deleted), so only
  // the directory is asked; `known`: the caller's answer, taken instead of the directory's.
  result<account_ref> prepare_uncached(std::string_view account, bool has_defaults,
                                       const known_account_scope* known = nullptr);
  // prepare() and this thread's connection: the start of every read.
  struct reader {
    account_ref account;
    sql::connection* conn;
  };
  result<reader> begin_read(std::string_view account, bool fresh = false);
  // What a write touches, for its locks (core/sql/scope.hpp): the account's mailboxes named
  // here (none: the account's mailbox list itself, or everything of the account), and for a
  // write that adds messages the blob it names and whether it adds bytes under a quota.
  struct write_scope {
    std::string_view mailbox, mailbox2;  // as the caller gave them; "" for none
    std::string_view blob;
    bool adds = false;
  };
  // prepare(), this thread's connection and a write transaction (durable by default; rolled
  // back unless the caller commits tx) with the locks of `scope`: the start of every write.
  struct write_txn {
    account_ref account;
    sql::connection* conn;
    sql::transaction tx;
    sql::durability durability = sql::durability::full;
  };
  // Commits a write to mailbox `m` and publishes `topic` for it. On PostgreSQL the write's
  // transaction carries two things that would otherwise cost a round trip each: the event's
  // NOTIFY (bus::carry), when the commit is not fsync'd (a NOTIFY holds PostgreSQL's one
  // notification lock from COMMIT until the transaction ends, so an fsync'd commit would
  // serialize every notifying writer behind its flush; those events go by the transport's
  // sender after the commit), and the changes a refresh_scope on this thread expects for `m`,
  // read just before COMMIT in its round trip. Errors: the commit's.
  result<void> commit_write(write_txn& w, const mailbox_row& m, std::string_view topic);
  // changes_since's statement (?1 the account, ?2 the canonical name, ?3 since) and what it
  // read: the changes, and each vanished uid's expunge modseq (so a later `since` can be
  // answered from them). "mail.no_mailbox" when the mailbox row is missing.
  static const std::string& changes_sql();
  struct read_changes {
    changes ch;
    std::vector<std::uint64_t> vanished_modseqs;  // beside ch.vanished
  };
  static result<read_changes> changes_from(const sql::rows& r, std::string_view name);
  // What a refresh_scope (refresh_scope.hpp) expects on this thread: the mailbox's changes
  // since `since`, as read by the last write of the command to that mailbox.
  struct expected_refresh {
    const sql_store* store = nullptr;
    std::string account, mailbox;  // normalized address, canonical name
    std::uint64_t since = 0;
    std::optional<read_changes> got;
    bool riding = false;  // left on the connection to go with a read (sql::ride)
    bool answered = false;  // changes_since of the mailbox came: nothing more to read for it
  };
  static thread_local expected_refresh* expected_;
  // The scope expecting `m` of `account` on this thread, or null.
  expected_refresh* expected_for(std::string_view account, std::string_view mailbox) const;
  // changes_since(since) from what the scope's last write read, when it can answer it (same
  // mailbox, `since` at or above the scope's); taken once.
  std::optional<changes> take_expected(sql::connection& c, std::string_view account, std::string_view mailbox,
                                       std::uint64_t since);
  result<write_txn> begin_write(std::string_view account, const write_scope& scope,
                                sql::durability d = sql::durability::full, bool fresh = false);
  // Write ordering. On SQLite every write transaction holds the file's write lock. On
  // PostgreSQL a write takes its account's key shared and each mailbox's key it names
  // exclusively, or, naming none (CREATE, RENAME, DELETE, subscriptions, the defaults, server
  // annotations), the account's key exclusively. What such a write reads and writes is its
  // mailboxes' own (the mailbox row with its uid/modseq counters and kept counts, its messages,
  // expunge log, \Recent mark and annotations) or, for the account's, all of them: so one
  // writer per mailbox at a time keeps every read-then-write as under one global lock, and the
  // uids and modseqs of a mailbox strictly increasing in commit order. Shared beyond that:
  //  - the quota (a sum over the account's messages): a write that adds messages to an
  //    account with a quota also takes quota_key exclusively;
  //  - the UIDVALIDITY counter, shared by every account: one atomic upsert (next_uidvalidity);
  //  - blobs, content-addressed and named by rows of any account, where "no row names it"
  //    decides their removal: an append holds blob_key(id) from BEGIN to COMMIT; a removal
  //    inside a scoped transaction takes each blob's key with try_lock and skips the blobs it
  //    cannot take (remove_unused_blobs), and the others run unscoped (collect_garbage);
  //  - per-user \Seen and ACLs (seen_sql.cpp, acl_sql.cpp): unscoped, as is everything else
  //    that writes across accounts;
  //  - the \Recent mark, on PostgreSQL: claim_recent moves it with one compare-and-set
  //    UPDATE, ordered by the row's lock, and no other write sets that column.
  static std::int64_t account_key(std::string_view address);
  static std::int64_t mailbox_key(std::string_view address, std::string_view mailbox);
  static std::int64_t quota_key(std::string_view address);
  static std::int64_t blob_key(std::string_view blob_id);
  // Every IMAP command makes a few store calls, each naming the account: asking the directory
  // and looking for INBOX each time would be two statements per call (two round trips on
  // PostgreSQL), a sixth of the server's CPU under bench_imap --state. An account's default
  // mailboxes stay (INBOX cannot be deleted), so a prepared account is remembered; the
  // directory's answer (does it exist, its quota) is asked again after account_ttl, so an
  // account removed or a quota changed by another process is seen within that time (at once
  // by append and copy, which ask with `fresh`).
  struct known_account {
    account_ref ref;
    std::chrono::steady_clock::time_point checked;
  };
  static constexpr std::chrono::seconds account_ttl{1};
  static constexpr std::size_t max_known_accounts = 4096;
  std::mutex accounts_mu_;
  std::map<std::string, known_account, std::less<>> known_accounts_;  // by the name callers give
  static result<std::optional<mailbox_row>> find_mailbox(sql::connection& c, std::string_view account,
                                                         std::string_view canonical_name);
  // find_mailbox's statement (?1 the account, ?2 the canonical name), for a caller that sends
  // it with others (core/sql/pipeline.hpp query_all), and the row it reads.
  static constexpr std::string_view find_mailbox_sql =
      "SELECT id, name, uidvalidity, uidnext, highestmodseq FROM mail_mailboxes WHERE account = ?1 AND name = ?2";
  static mailbox_row mailbox_from(const sql::rows& r);
  // find_mailbox with name validation; "mail.no_mailbox" when absent.
  static result<mailbox_row> need_mailbox(sql::connection& c, std::string_view account, std::string_view name);
  // A UIDVALIDITY never handed out before in this database (inside a write transaction).
  static result<std::uint32_t> next_uidvalidity(sql::connection& c);
  static result<mailbox_row> insert_mailbox(sql::connection& c, std::string_view account, std::string_view name,
                                            std::string_view special_use);
  static result<std::vector<message_row>> select_messages(sql::connection& c, std::int64_t mailbox_id,
                                                          const uid_set& uids);
  // The mailbox (validated name, "mail.no_mailbox") and its messages in `uids`, read together:
  // one statement per range when some message matches, so a write's lookup costs no extra round
  // trip. only_deleted: just the messages with \Deleted (what EXPUNGE removes).
  static result<std::pair<mailbox_row, std::vector<message_row>>> select_in_mailbox(sql::connection& c,
                                                                                    std::string_view account,
                                                                                    std::string_view mailbox,
                                                                                    const uid_set& uids,
                                                                                    bool only_deleted = false);
  static result<quota_usage> usage_in(sql::connection& c, const account_ref& a);
  // A change of a mailbox's kept counts (migration 9: what STATUS and LIST report). Each write
  // that adds, removes or re-flags messages applies it in the UPDATE of the mailbox row (uidnext,
  // highestmodseq) that it makes in the same transaction.
  struct count_delta {
    std::int64_t messages = 0, unseen = 0, deleted = 0, bytes = 0;
    void add(const message_info& m, int sign);  // +1: the message comes, -1: it goes
  };
  // Copies rows into `target` with new uids (one new modseq); updates target's uidnext/modseq.
  static result<copy_result> copy_rows(sql::connection& c, const std::string& account, const std::vector<message_row>& rows,
                                       mailbox_row& target);
  // Deletes rows, logs them as expunged with a new modseq; returns that modseq.
  static result<std::uint64_t> expunge_rows(sql::connection& c, mailbox_row& mbox, const std::vector<message_row>& rows);
  // Removes the blob files of `ids` that no row names any more (see store.hpp "Blob garbage").
  // Only for ids whose rows went in a commit that is already durable (fsync'd).
  void collect_garbage(const std::set<std::string>& ids);
  // The removal itself, inside the caller's write transaction: each id whose blob no row (and
  // no upload) names loses its file and its derived data. In a scoped transaction an id whose
  // blob_key another transaction holds (an append of the same content) is left alone and
  // returned, for a later attempt.
  std::set<std::string> remove_unused_blobs(sql::connection& c, const std::set<std::string>& ids);
  // The same in two steps, so that an append sends the checks with its own first read, in one
  // round trip on PostgreSQL (core/sql/pipeline.hpp query_all): blob_checks gives the
  // statements that ask, for each id in order, whether this transaction may remove its blob
  // (its key taken, then no row naming it, in a later statement); remove_checked reads their
  // rows and removes as remove_unused_blobs does. `checks` holds the rows of exactly those
  // statements. The ids must outlive the statements (their parameters are views).
  std::vector<sql::statement> blob_checks(sql::connection& c, const std::set<std::string>& ids);
  std::set<std::string> remove_checked(sql::connection& c, const std::set<std::string>& ids,
                                       std::span<const sql::rows> checks);
  std::atomic<bool> upload_table_seen_{false};  // the upload table exists (remove_unused_blobs)
  // Blobs freed by a commit that was not fsync'd (EXPUNGE): removing them before that commit is
  // on disk could leave, after a power loss, a row naming a missing blob. They wait in
  // garbage_ until a later fsync'd commit covers theirs, then in durable_garbage_ until a
  // write transaction removes them. An append does both without a transaction of its own:
  // under its write lock it takes the durable ones (removed before its commit) and the
  // pending ones (durable once its fsync returns). After garbage_batch of them, one fsync'd
  // marker commit and one removal take all. A crash loses the lists: orphan files, never a
  // missing blob.
  void defer_garbage(const std::set<std::string>& ids);
  std::set<std::string> take_garbage();
  std::set<std::string> take_durable_garbage();
  void give_back_garbage(std::set<std::string> pending, std::set<std::string> durable);
  void flush_garbage();
  static constexpr std::size_t garbage_batch = 64;
  static constexpr std::size_t inline_garbage_limit = 8 * garbage_batch;
  std::mutex garbage_mu_;
  std::set<std::string> durable_garbage_;  // guarded by garbage_mu_
  std::set<std::string> garbage_;  // guarded by garbage_mu_
  // with_row: *bytes go into the blob table (blob::sql_rows) in the message's transaction,
  // rather than being in the blob store already.
  result<append_result> append_common(std::string_view account, std::string_view mailbox, std::string_view blob_id,
                                      const std::string_view* bytes, const std::vector<std::string>& flags,
                                      std::optional<std::int64_t> internal_date,
                                      bool with_row = false, std::string_view meta = {});
  void publish(std::string_view topic, const std::string& account, const std::string& mailbox);

  // What SELECT and flag-only SEARCH read of a mailbox: every message's uid, modseq and stored
  // flags as of (uidvalidity, highestmodseq), shared by all sessions. Every write to a mailbox's
  // messages (append, copy, flags, expunge) raises its highestmodseq in the same transaction,
  // and a recreated mailbox has a new uidvalidity, so an entry whose pair equals the mailbox row
  // just read is the state of that row, whichever process wrote.
  struct flag_index {
    std::uint32_t uidvalidity = 0;
    std::uint64_t highestmodseq = 0;
    std::vector<std::uint32_t> uids;  // ascending
    std::vector<std::uint64_t> modseqs;
    std::vector<std::string> flags;     // stored form ("" for most)
    std::vector<std::string> keywords;  // in use, sorted, unique
  };
  // The entry cached for `m`'s (uidvalidity, highestmodseq), or null.
  std::shared_ptr<const flag_index> cached_flag_index(const mailbox_row& m);
  // `name_key` (account, '\0', canonical name): remembered as this mailbox's, so that the next
  // read of that name on PostgreSQL finds the index before reading the row (read_flag_index).
  void keep_flag_index(std::int64_t mailbox_id, std::shared_ptr<const flag_index> idx, std::string_view name_key = {});
  // The mailbox and its current flag index, as of one read (view, fetch_flags).
  result<std::pair<mailbox_row, std::shared_ptr<const flag_index>>> read_flag_index(std::string_view account,
                                                                                    std::string_view mailbox);
  static constexpr std::size_t flag_index_max_rows = 1u << 18;  // all mailboxes together
  std::mutex index_mu_;
  std::unordered_map<std::int64_t, std::shared_ptr<const flag_index>> index_;  // by mailbox id
  std::unordered_map<std::string, std::int64_t> index_ids_;  // name_key -> mailbox id, a hint
  static constexpr std::size_t max_index_names = 1u << 16;
  std::size_t index_rows_ = 0;

  std::unique_ptr<sql::database> db_;
  blob::store& blobs_;
  directory::directory* dir_;
  events::bus* bus_;
};

}  // namespace hearth::mail
