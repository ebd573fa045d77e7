// XMPP's durable state in SQLite (its own file, DATA_DIR/xmpp.db, migration component "xmpp"):
// rosters (RFC 6121 §2) with versions (XEP-0237), offline messages (XEP-0160), the message
// archive (XEP-0313), PEP items (XEP-0163), vcard-temp (XEP-0054), private XML (XEP-0049),
// block lists (XEP-0191) and last activity (XEP-0012).
//
// Accounts are bare JIDs (the normalized email address). Stanzas are stored serialized.
// Writes a client is told about (offline, archive) commit with durability::full
// (ARCHITECTURE.md principle 3).
//
// Errors: a database failure throws hearth::error_exception (the session answers
// internal-server-error / wait). Thread-safety: every method may be called from any thread
// (one SQLite connection per thread).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/db/db.hpp"
#include "core/util/result.hpp"

namespace hearth::xmpp {

// RFC 6121 §2.1.2.5 subscription states plus the pending flags of Appendix A.
struct roster_item {
  std::string contact;              // bare JID
  std::string name;
  bool sub_to = false;              // we receive the contact's presence
  bool sub_from = false;            // the contact receives ours
  bool ask_out = false;             // we asked (pending out)
  bool pending_in = false;          // they asked, not yet answered
  bool approved = false;            // pre-approved (RFC 6121 §3.4)
  bool in_roster = true;            // false: only a pending-in state, not shown to the client
  std::vector<std::string> groups;
  std::string subscription() const;  // "none" | "to" | "from" | "both"
  static roster_item for_contact(std::string contact, bool in_roster) {
    roster_item r;
    r.contact = std::move(contact);
    r.in_roster = in_roster;
    return r;
  }
};

struct archived {
  std::int64_t id = 0;
  std::string stanza_id;  // the archive id given to clients
  std::string with;       // bare JID of the other party
  std::int64_t stamp_us = 0;
  std::string stanza;     // serialized <message/>
};

struct archive_query {
  std::optional<std::string> with;
  std::optional<std::int64_t> start_us, end_us;
  std::optional<std::string> after_id, before_id;  // RSM; before_id "" = the last page
  std::size_t max = 50;
};

struct archive_page {
  std::vector<archived> items;
  bool complete = false;
  std::size_t count = 0;
};

struct pep_item {
  std::string id;
  std::string payload;  // serialized element
};

class store {
 public:
  // Opens/creates the file and applies the migrations. Errors: "db.*".
  static result<std::unique_ptr<store>> open(const std::filesystem::path& file);

  // ---- roster ----
  std::vector<roster_item> roster(std::string_view owner);
  std::optional<roster_item> roster_get(std::string_view owner, std::string_view contact);
  // Writes (inserts or replaces) the item and bumps the roster version; returns the new version.
  std::int64_t roster_put(std::string_view owner, const roster_item& item);
  std::int64_t roster_remove(std::string_view owner, std::string_view contact);
  std::int64_t roster_version(std::string_view owner);

  // ---- offline (XEP-0160) ----
  // Returns false when the queue holds `limit` messages already.
  bool offline_push(std::string_view owner, std::string_view stanza, std::size_t limit);
  // Returns and deletes the queued stanzas, oldest first.
  std::vector<std::string> offline_pop(std::string_view owner);
  std::size_t offline_count(std::string_view owner);

  // ---- archive (XEP-0313) ----
  void archive_add(std::string_view owner, const archived& a);
  archive_page archive_find(std::string_view owner, const archive_query& q);

  // ---- PEP (XEP-0163) ----
  void pep_publish(std::string_view owner, std::string_view node, const pep_item& item, std::size_t max_items);
  std::vector<pep_item> pep_items(std::string_view owner, std::string_view node, std::size_t max);
  bool pep_retract(std::string_view owner, std::string_view node, std::string_view id);
  std::vector<std::string> pep_nodes(std::string_view owner);
  void pep_delete_node(std::string_view owner, std::string_view node);

  // ---- simple per-account documents: vcard-temp, private XML, last activity ----
  std::optional<std::string> doc_get(std::string_view owner, std::string_view kind);
  void doc_put(std::string_view owner, std::string_view kind, std::string_view xml);

  // ---- block list (XEP-0191) ----
  std::vector<std::string> blocked(std::string_view owner);
  void block(std::string_view owner, const std::vector<std::string>& jids);
  void unblock(std::string_view owner, const std::vector<std::string>& jids);  // empty = all

 private:
  explicit store(db::database d) : db_(std::move(d)) {}
  db::database db_;

  // Group commit for archive_add: concurrent callers' rows go into one fsync'd transaction
  // (the first waiting caller writes everyone's rows; each returns once its row is durable).
  struct archive_row;
  std::mutex batch_mu_;
  std::condition_variable batch_cv_;
  std::vector<archive_row*> batch_;
  bool batch_writing_ = false;
};

}  // namespace hearth::xmpp
