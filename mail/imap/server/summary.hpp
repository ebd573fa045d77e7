// What FETCH, SEARCH, SORT and THREAD need of a message without its body: the header section
// and the BODY/BODYSTRUCTURE responses. Computed once per blob (blobs are immutable) and kept
// in the store's per-blob data (mail::store::blob_meta), so FETCH of headers, ENVELOPE or
// BODYSTRUCTURE reads one SQLite row instead of reading and re-parsing the blob.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail {
class structure_builder;
}

namespace hearth::mail::imap {

struct message_summary {
  std::string header;  // the top-level header section, its empty line included
  // [extensible][utf8]: BODY (0) / BODYSTRUCTURE (1) for IMAP4rev1 (0) / UTF8=ACCEPT (1)
  // sessions; the utf8 strings are empty when equal to the 7-bit ones.
  std::string body[2][2];
  // SEARCH FROM/TO/CC/BCC/SUBJECT without parsing the header: per field, every occurrence's
  // RFC 2047-decoded value and its raw unfolded value, case-folded, each followed by '\0'.
  std::string search_text[5];  // Subject, From, To, Cc, Bcc
  std::optional<std::int64_t> sent;  // the Date field (SENTBEFORE/SENTON/SENTSINCE), if it parses
  int sent_zone = 0;                 // the Date field's zone, minutes east of UTC (its local day)

  // The search_text of a SEARCH key name ("SUBJECT", "FROM"...), or nullptr.
  const std::string* search_field(std::string_view key) const;
  // The index in search_text of a SEARCH key name, or -1.
  static int field_index(std::string_view key);

  const std::string& structure(bool extensible, bool utf8) const {
    return utf8 && !body[extensible][1].empty() ? body[extensible][1] : body[extensible][0];
  }
};

// Derived from a parsed message.
message_summary summarize(const parsed_message& m);
// The same from a message's structure and its top-level header section (empty line included),
// as the streaming builder (mail/message/mime_stream.hpp) gives them without the body.
message_summary summarize(const message_structure& m, std::string_view header);

// The stored form (encode_summary) of the summary of the message fed to `shape`, which is
// finished; empty when the builder gave up on it (a header section past its limits).
std::string summary_of(mail::structure_builder& shape);

// The stored form: a version byte and length-prefixed fields. decode: nullopt for a form
// this version does not read (the caller recomputes and replaces it).
std::string encode_summary(const message_summary& s);
std::optional<message_summary> decode_summary(std::string_view data);

// A parsed_message over the header section only: ENVELOPE, BODY[HEADER], HEADER.FIELDS and
// header SEARCH keys give the same answers as on the whole message.
std::shared_ptr<parsed_message> header_only(const message_summary& s);

// Summaries of `msgs` (parallel), from the store, computing and storing the missing ones.
// search_only: the caller reads only search_text and sent (SEARCH FROM/TO/CC/BCC/SUBJECT/SENT*),
// which the process-wide search cache (server_env::searches) answers without SQLite.
// Errors from the store or the blob store.
result<std::vector<std::shared_ptr<const message_summary>>> load_summaries(session_state& st,
                                                                           std::span<const mail::message_info> msgs,
                                                                           bool search_only = false);

// The search fields of recently searched blobs (a summary without header and structures), so
// that repeated SEARCHes of a large mailbox do not look up every row again; and, with a budget of
// their own, the whole summaries of recently fetched blobs, since clients fetch the same
// messages' headers again and again (a message list redrawn) and each stored summary is a
// statement and its decoding. A blob's content never changes, so entries never go stale. Least
// recently used entries go once a budget is exceeded. Thread-safety: all members, any thread.
class search_cache {
 public:
  // whole_max_bytes: 0 keeps no whole summaries.
  explicit search_cache(std::size_t max_bytes, std::size_t whole_max_bytes = 0)
      : lean_(max_bytes), whole_(whole_max_bytes) {}
  std::shared_ptr<const message_summary> get(const std::string& blob_id) { return lean_.get(blob_id); }
  // get() of each message's blob_id under one lock (a SEARCH asks for a chunk at once): out
  // gets one entry per message, null where the cache has none.
  void get(std::span<const mail::message_info> msgs, std::vector<std::shared_ptr<const message_summary>>& out) {
    lean_.get(msgs, out);
  }
  void put(const std::string& blob_id, std::shared_ptr<const message_summary> s) { lean_.put(blob_id, std::move(s)); }
  // The same for whole summaries (what FETCH reads).
  void get_whole(std::span<const mail::message_info> msgs, std::vector<std::shared_ptr<const message_summary>>& out) {
    whole_.get(msgs, out);
  }
  void put_whole(const std::string& blob_id, std::shared_ptr<const message_summary> s) {
    whole_.put(blob_id, std::move(s));
  }

  // Which blob each message of a mailbox holds, so that a SEARCH of header fields finds its
  // messages' cached fields from the shared flag index (store::fetch_flags) instead of reading
  // every row of the mailbox from the database: at 2 000 messages that read was most of a
  // SEARCH SUBJECT's time. A uid never changes its message while the mailbox keeps its
  // UIDVALIDITY, and a UIDVALIDITY is never reused (store.hpp), so entries are keyed by owner,
  // name and UIDVALIDITY and never go stale; a renamed mailbox's old entries are simply not
  // asked for again. At most max_blob_ids entries in all; past that the index starts over.
  //
  // fill_blob_ids sets blob_id on each message it knows and returns the uids it does not;
  // put_blob_ids records rows read from the store.
  std::vector<std::uint32_t> fill_blob_ids(const std::string& owner, const std::string& mailbox,
                                           std::uint32_t uidvalidity, std::vector<mail::message_info>& msgs);
  void put_blob_ids(const std::string& owner, const std::string& mailbox, std::uint32_t uidvalidity,
                    const std::vector<mail::message_info>& rows);
  static constexpr std::size_t max_blob_ids = 256 * 1024;

 private:
  // Summaries by blob id within max_bytes (each counted with its strings and overhead).
  class lru {
   public:
    explicit lru(std::size_t max_bytes) : max_bytes_(max_bytes) {}
    std::shared_ptr<const message_summary> get(const std::string& blob_id);
    void get(std::span<const mail::message_info> msgs, std::vector<std::shared_ptr<const message_summary>>& out);
    void put(const std::string& blob_id, std::shared_ptr<const message_summary> s);

   private:
    using list = std::list<std::pair<std::string, std::shared_ptr<const message_summary>>>;
    static std::size_t cost(const std::string& id, const message_summary& s);
    std::mutex mu_;
    list order_;  // most recent first
    std::unordered_map<std::string, list::iterator> index_;
    std::size_t bytes_ = 0, max_bytes_;
  };
  lru lean_, whole_;
  std::mutex blob_mu_;
  // "owner\nmailbox\nuidvalidity" -> uid -> blob id
  std::unordered_map<std::string, std::unordered_map<std::uint32_t, std::string>> blob_ids_;
  std::size_t blob_id_count_ = 0;
};

}  // namespace hearth::mail::imap
