// The XEP-0313 page query over an archive table: a user's archive (xmpp/store) and a room's
// (xmpp/modules/muc) differ only in the table and in the columns naming the owner and the
// other party. The table has columns id (growing with time), stanza_id, stamp and stanza.
#pragma once
#include <string_view>

#include "core/sql/sql.hpp"
#include "xmpp/store/store.hpp"

namespace hearth::xmpp {

struct archive_table {
  std::string_view table;        // "archive"
  std::string_view owner_column;  // "owner": whose archive a row is in
  std::string_view with_column;   // "with_jid": read into archived::with, filtered by q.with
};

// The page of `owner`'s rows matching q, oldest first, with the count of all matches. Throws
// as the stores' other `.value()` reads do when the database fails.
archive_page find_archive_page(sql::connection& c, const archive_table& t, std::string_view owner,
                               const archive_query& q);

// Rows selected as "id, stanza_id, <with_column>, stamp, stanza".
std::vector<archived> read_archived(const sql::rows& r);

}  // namespace hearth::xmpp
