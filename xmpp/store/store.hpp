// XMPP's durable state: rosters (RFC 6121 §2) with versions (XEP-0237), offline messages
// (XEP-0160), the message archive (XEP-0313), PEP items (XEP-0163), vcard-temp (XEP-0054),
// private XML (XEP-0049), block lists (XEP-0191) and last activity (XEP-0012).
//
// One implementation on core/sql (sql_store.cpp), migration component "xmpp": a SQLite file
// (DATA_DIR/xmpp.db) or a PostgreSQL database shared by several nodes.
//
// Accounts are bare JIDs (the normalized email address). Stanzas are stored serialized.
// Writes a client is told about (offline, archive) commit with durability::full
// (ARCHITECTURE.md principle 3).
//
// Errors: a database failure throws hearth::error_exception (the session answers
// internal-server-error / wait). Thread-safety: every method may be called from any thread
// (one connection per thread). Calls block on the database.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // Opens the database (a SQLite file path, created if need be, or a PostgreSQL URL, as
  // sql::open takes) and applies the migrations. Errors: "db.*".
  static result<std::unique_ptr<store>> open(const std::string& target);
  virtual ~store() = default;

  // ---- roster ----
  virtual std::vector<roster_item> roster(std::string_view owner) = 0;
  virtual std::optional<roster_item> roster_get(std::string_view owner, std::string_view contact) = 0;
  // Writes (inserts or replaces) the item and bumps the roster version; returns the new version.
  virtual std::int64_t roster_put(std::string_view owner, const roster_item& item) = 0;
  virtual std::int64_t roster_remove(std::string_view owner, std::string_view contact) = 0;
  virtual std::int64_t roster_version(std::string_view owner) = 0;

  // ---- offline (XEP-0160) ----
  // Returns false when the queue holds `limit` messages already.
  virtual bool offline_push(std::string_view owner, std::string_view stanza, std::size_t limit) = 0;
  // Returns and deletes the queued stanzas, oldest first.
  virtual std::vector<std::string> offline_pop(std::string_view owner) = 0;
  virtual std::size_t offline_count(std::string_view owner) = 0;

  // ---- archive (XEP-0313) ----
  // Durable when it returns. A stanza_id the owner's archive has already is ignored.
  virtual void archive_add(std::string_view owner, const archived& a) = 0;
  virtual archive_page archive_find(std::string_view owner, const archive_query& q) = 0;

  // ---- PEP (XEP-0163) ----
  virtual void pep_publish(std::string_view owner, std::string_view node, const pep_item& item, std::size_t max_items) = 0;
  virtual std::vector<pep_item> pep_items(std::string_view owner, std::string_view node, std::size_t max) = 0;
  virtual bool pep_retract(std::string_view owner, std::string_view node, std::string_view id) = 0;
  virtual std::vector<std::string> pep_nodes(std::string_view owner) = 0;
  virtual void pep_delete_node(std::string_view owner, std::string_view node) = 0;

  // ---- simple per-account documents: vcard-temp, private XML, last activity ----
  virtual std::optional<std::string> doc_get(std::string_view owner, std::string_view kind) = 0;
  virtual void doc_put(std::string_view owner, std::string_view kind, std::string_view xml) = 0;

  // ---- block list (XEP-0191) ----
  virtual std::vector<std::string> blocked(std::string_view owner) = 0;
  virtual void block(std::string_view owner, const std::vector<std::string>& jids) = 0;
  virtual void unblock(std::string_view owner, const std::vector<std::string>& jids) = 0;  // empty = all
};

}  // namespace hearth::xmpp
