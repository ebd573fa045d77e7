// APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), UIDPLUS APPENDUID (RFC 4315),
// APPENDLIMIT (RFC 7889), literal8 (RFC 3516 BINARY) and CATENATE (RFC 4469).
#include <algorithm>

#include "mail/imap/proto/writer.hpp"
#include "core/util/strings.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/catenate.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {
namespace {

std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// url-resp-text (RFC 4469 §6) is echoed as an atom-like run: no spaces or brackets.
std::string url_resp_text(std::string_view url) {
  std::string out;
  for (char c : url.substr(0, 200))
    if (c > ' ' && c != ']' && c != '[' && c != 0x7f) out += c;
  return out.empty() ? "URL" : out;
}

}  // namespace

std::int64_t to_unix(const date_time& t) {
  return days_from_civil(t.day.year, t.day.month, t.day.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second -
         std::int64_t(t.zone_minutes) * 60;
}

void op_append(session_state& st, const command& cmd, reply& r) {
  const auto& a = std::get<cmd_append>(cmd.args);
  auto& store = *st.env->store;
  auto ref = resolve_mailbox(st, a.mailbox);
  if (!ref) return fail(r, ref.error());
  auto mb = store.status(ref->owner, ref->shared ? ref->name : a.mailbox);
  // RFC 9051 §6.3.12: TRYCREATE when the target does not exist (a user cannot create one in
  // another user's namespace, so not there).
  if (!mb) {
    if (mb.error().code == "mail.no_mailbox" && !ref->shared) return r.no("[TRYCREATE] No such mailbox");
    return fail(r, mb.error());
  }
  // RFC 4314 §4: APPEND needs "i"; flags the user may not set are left off the message.
  if (!require_right(*ref, 'i', r)) return;
  const std::string& owner = ref->owner;
  // CATENATE parts are put together first, so that a bad URL refuses the whole command before
  // anything is stored (RFC 4469 §5: NO [BADURL url]).
  std::vector<append_message> built;
  const bool any_catenate =
      std::any_of(a.messages.begin(), a.messages.end(), [](const append_message& m) { return !m.catenate.empty(); });
  if (any_catenate) {
    built = a.messages;
    for (auto& m : built) {
      if (m.catenate.empty()) continue;
      std::string failed_url;
      auto joined = catenate(st, m.catenate, st.env->append_limit, &failed_url);
      if (!joined) {
        if (joined.error().code == "imap.toobig") return r.no("[TOOBIG] Message exceeds APPENDLIMIT");
        return r.no("[BADURL " + url_resp_text(failed_url) + "] " + joined.error().message);
      }
      m.data = std::move(*joined);
      m.catenate.clear();
    }
  }
  if (ref->rights != all_rights) {
    if (!any_catenate) built = a.messages;
    for (auto& m : built)
      std::erase_if(m.flags, [&](const std::string& fl) {
        const char need = util::iequals(fl, "\\Seen") ? 's' : util::iequals(fl, "\\Deleted") ? 't' : 'w';
        return !has_right(ref->rights, need);
      });
  }
  const auto& messages = any_catenate || ref->rights != all_rights ? built : a.messages;
  for (const auto& m : messages)
    if (std::max<std::uint64_t>(m.data.size(), m.stored_size) > st.env->append_limit)
      return r.no("[TOOBIG] Message exceeds APPENDLIMIT");
  std::vector<std::uint32_t> uids, seen_uids;
  std::uint32_t uidvalidity = mb->uidvalidity;
  for (const auto& m : messages) {
    // RFC 3516 §4.4: a literal8 may hold NULs; a message with NUL in a plain literal is refused.
    if (!m.binary && m.data.find('\0') != std::string::npos) {
      r.no("[CANNOT] NUL octets need a literal8");
    } else {
      std::optional<std::int64_t> when;
      if (m.internal_date) when = to_unix(*m.internal_date);
      // A sharee's \Seen is their own (private_seen.hpp), set once the message is there.
      auto flags = m.flags;
      const bool seen = take_seen(st, owner, flags);
      // A large literal the session streamed to the blob store (reader.hpp) is there already.
      auto res = m.stored_blob.empty() ? store.append(owner, mb->name, m.data, flags, when)
                                       : store.append_blob(owner, mb->name, m.stored_blob, flags, when);
      if (res) {
        uids.push_back(res->uid);
        if (seen) seen_uids.push_back(res->uid);
        uidvalidity = res->uidvalidity;
        continue;
      }
      fail(r, res.error());
    }
    // RFC 3502 §6.3.11: MULTIAPPEND is all or nothing: take back what this command added.
    if (!uids.empty()) {
      auto set = to_uid_set(uids);
      (void)store.store_flags(owner, mb->name, set, mail::flag_mode::add, {"\\Deleted"});
      (void)store.expunge(owner, mb->name, set);
    }
    return;
  }
  // The messages are stored: a failure here must not make the client append them again.
  (void)mark_seen_as_user(st, owner, mb->name, seen_uids);
  // The summary FETCH and SEARCH read (summary.hpp) is made now, while this command runs on
  // the blocking pool anyway, instead of by the first FETCH of the message: that FETCH runs
  // inline with writes refused and would have to run again on the pool to store it. Best
  // effort: a failure here leaves it to that first FETCH. Not for a streamed message: the
  // session built its summary from the literal's pieces as they arrived and stores it after
  // this command (parsing the stored blob would read it whole, which streaming it avoided).
  std::vector<std::uint32_t> small;
  for (std::size_t i = 0; i < uids.size(); ++i)
    if (messages[i].stored_blob.empty()) small.push_back(uids[i]);
  if (!small.empty())
    if (auto added = store.fetch(owner, mb->name, to_uid_set(small))) (void)load_summaries(st, *added);
  if (st.env->on_user_action && !ref->shared)
    st.env->on_user_action({st.account, "append", "", mb->name, uids, messages.size() == 1 ? messages[0].flags : std::vector<std::string>{}});
  r.ok("[APPENDUID " + std::to_string(uidvalidity) + " " + compress_set(uids, true) + "] APPEND completed");
}

}  // namespace hearth::mail::imap
