// GETMETADATA and SETMETADATA (RFC 5464): annotations on mailboxes and on the server.
//
// Every mailbox belongs to one account, so its /private and /shared entries are both the
// owner's to set. The server's /private entries are the account's own; its /shared entries
// describe the server and are read-only here (/shared/admin names the postmaster).
#include <algorithm>

#include "core/util/strings.hpp"
#include "mail/imap/proto/lexer.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

// RFC 5464 §3.2 limits a server may set; 64 KiB holds any comment or client setting seen in
// practice, and the store caps the number of entries per mailbox.
constexpr std::size_t max_value = 64 * 1024;
constexpr std::size_t max_entry_name = 256;

// RFC 5464 §3.2: "/" separated, starting with /private or /shared, no "*" or "%", no "//",
// no trailing "/", printable ASCII. Entry names compare case-insensitively, so they are
// kept in lower case. `whole_tree` allows the bare "/private" or "/shared" (GETMETADATA
// with DEPTH); an entry to set needs a name under them.
std::optional<std::string> entry_name(std::string_view e, bool whole_tree) {
  if (e.size() > max_entry_name || e.empty() || e.back() == '/') return std::nullopt;
  for (char c : e)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e || c == '*' || c == '%')
      return std::nullopt;
  if (e.find("//") != std::string_view::npos) return std::nullopt;
  std::string low = util::to_lower(e);
  for (std::string_view root : {"/private", "/shared"}) {
    if (low == root) return whole_tree ? std::optional<std::string>(low) : std::nullopt;
    if (low.starts_with(std::string(root) + "/")) return low;
  }
  return std::nullopt;
}

// Depth 0: the entry itself; 1: also its children; -1: every descendant (RFC 5464 §4.2.2).
bool within(std::string_view name, std::string_view asked, int depth) {
  if (name == asked) return true;
  if (depth == 0 || !name.starts_with(asked) || name.size() <= asked.size() || name[asked.size()] != '/') return false;
  if (depth < 0) return true;
  return name.find('/', asked.size() + 1) == std::string_view::npos;
}

}  // namespace

void op_getmetadata(session_state& st, const command& cmd, reply& r) {
  const auto& g = std::get<cmd_getmetadata>(cmd.args);
  std::vector<std::string> asked;
  for (const auto& e : g.entries) {
    auto n = entry_name(e, true);
    if (!n) return r.bad("Invalid entry name");
    asked.push_back(std::move(*n));
  }
  auto stored = st.env->store->metadata(st.account, g.mailbox);
  if (!stored) return fail(r, stored.error());
  if (g.mailbox.empty()) stored->emplace_back("/shared/admin", "mailto:postmaster@" + st.env->hostname);
  std::sort(stored->begin(), stored->end());
  std::string list;
  std::size_t longest_omitted = 0;
  auto add = [&](const std::string& name, const std::string* value) {
    if (!list.empty()) list += ' ';
    // Entry names are astrings (RFC 5464 §5): bare when they can be, as the RFC's examples.
    if (std::all_of(name.begin(), name.end(), is_astring_char)) list += name;
    else write_string(list, name);
    list += ' ';
    write_nstring(list, value, st.utf8);
  };
  for (const auto& a : asked) {
    bool any = false;
    for (const auto& [name, value] : *stored) {
      if (!within(name, a, g.depth)) continue;
      any = true;
      // RFC 5464 §4.2.1: values longer than MAXSIZE are left out and counted in LONGENTRIES.
      if (g.maxsize && value.size() > *g.maxsize) {
        longest_omitted = std::max(longest_omitted, value.size());
        continue;
      }
      add(name, &value);
    }
    if (!any) add(a, nullptr);  // an entry with no value is NIL, as Dovecot answers
  }
  if (!list.empty()) {
    std::string line = "METADATA ";
    write_mailbox(line, g.mailbox, st.utf8);
    r.untagged(line + " (" + list + ")");
  }
  if (longest_omitted) return r.ok("[METADATA LONGENTRIES " + std::to_string(longest_omitted) + "] GETMETADATA completed");
  r.ok("GETMETADATA completed");
}

void op_setmetadata(session_state& st, const command& cmd, reply& r) {
  const auto& s = std::get<cmd_setmetadata>(cmd.args);
  std::vector<std::pair<std::string, std::optional<std::string>>> values;
  for (const auto& [e, v] : s.values) {
    auto n = entry_name(e, false);
    if (!n) return r.bad("Invalid entry name");
    // RFC 5464 §4.3: too large a value is refused with the largest size allowed.
    if (v && v->size() > max_value) return r.no("[METADATA MAXSIZE " + std::to_string(max_value) + "] Value too large");
    if (s.mailbox.empty() && n->starts_with("/shared/"))
      return r.no("[NOPERM] The server's shared annotations are set by its administrator");
    values.emplace_back(std::move(*n), v);
  }
  auto res = st.env->store->set_metadata(st.account, s.mailbox, values);
  if (!res) {
    if (res.error().code == "mail.metadata_toomany") return r.no("[METADATA TOOMANY] Too many annotations");
    return fail(r, res.error());
  }
  r.ok("SETMETADATA completed");
}

}  // namespace hearth::mail::imap
