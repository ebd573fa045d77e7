// Storing messages into an account's mailboxes for imports and migrations, through the mail
// store interface: each message with the flags, keywords and internal date it had elsewhere,
// its bytes written to the blob store once however many folders get a copy (the store is
// content-addressed: every copy names the same blob), and never twice in one mailbox.
//
// "The same message" is the same Message-ID with the same body (SHA-256 of the bytes after
// the header section), or, without a Message-ID, the same bytes: a second import of a file,
// or a message found both in an mbox and a Maildir, adds nothing.
//
// Mailboxes (and their parents) are created on first use. Flags that are not valid IMAP flags
// are dropped and counted. Not thread-safe: one importer per thread.
// Errors: "mail.*" (quota, invalid names...), "blob.*".
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::blob {
class store;
}
namespace hearth::mail {
class store;
}

namespace hearth::app {

class mail_importer {
 public:
  mail_importer(mail::store& st, blob::store& blobs, std::string account)
      : store_(st), blobs_(blobs), account_(std::move(account)) {}

  enum class outcome { stored, duplicate };
  // internal_date: Unix seconds (nullopt: now).
  result<outcome> add(std::string_view mailbox, std::string_view bytes, const std::vector<std::string>& flags,
                      std::optional<std::int64_t> internal_date);

  // Message-ID + body hash, or the hash of all bytes without a Message-ID.
  static std::string identity(std::string_view bytes);
  // Bare LF line ends become CRLF (Maildir and mbox files are stored with LF).
  static std::string crlf(std::string_view bytes);

  std::size_t stored() const { return stored_; }
  std::size_t duplicates() const { return duplicates_; }
  std::size_t dropped_flags() const { return dropped_flags_; }
  std::set<std::string> mailboxes_used() const;

 private:
  result<std::set<std::string>*> known(const std::string& mailbox);
  result<void> ensure_mailbox(const std::string& mailbox);

  mail::store& store_;
  blob::store& blobs_;
  std::string account_;
  std::map<std::string, std::set<std::string>> known_;  // canonical mailbox -> identities in it
  std::map<std::string, std::string> blob_identity_;     // blob id -> identity (copies share blobs)
  std::size_t stored_ = 0, duplicates_ = 0, dropped_flags_ = 0;
};

}  // namespace hearth::app
