// APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), UIDPLUS APPENDUID (RFC 4315),
// APPENDLIMIT (RFC 7889), literal8 (RFC 3516 BINARY) and CATENATE (RFC 4469).
#include <algorithm>
#include <map>

#include "core/blob/store.hpp"
#include "mail/imap/proto/writer.hpp"
#include "core/util/strings.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/catenate.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/fetch_stream.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"
#include "mail/message/mime_stream.hpp"

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

// Puts a CATENATE's planned octets together into `m`: in memory below stream_min_bytes (the
// message is then stored as a literal of that size would be), else written to the blob store
// piece by piece while the same pieces build its summary, as a streamed literal's are
// (session.cpp), so that neither the message nor a URL's message is ever held whole.
// Errors: "imap.nul" (NUL octets outside a literal8, RFC 3516 §4.4), the blob store's
// ("blob.too_big" past the APPENDLIMIT).
result<void> assemble(session_state& st, const std::vector<cat_source>& plan, append_message& m,
                      std::string& summary) {
  std::uint64_t total = 0;
  for (const auto& p : plan) total += p.size();
  const blob::store& blobs = *st.env->blobs;
  if (total < stream_min_bytes) {
    std::string joined;
    joined.reserve(total);
    auto r = copy_catenated(blobs, plan, [&](std::string_view piece) -> result<void> {
      joined += piece;
      return {};
    });
    if (!r) return r.error();
    m.data = std::move(joined);
    return {};
  }
  auto w = blobs.begin(st.env->append_limit);
  if (!w) return w.error();
  mail::structure_builder shape;
  bool nul = false;
  auto r = copy_catenated(blobs, plan, [&](std::string_view piece) -> result<void> {
    nul = nul || piece.find('\0') != std::string_view::npos;
    shape.feed(piece);
    return w->write(piece);
  });
  if (!r) return r.error();
  if (nul && !m.binary) return hearth::error("imap.nul", "NUL octets need a literal8");
  const std::uint64_t size = w->size();
  auto id = w->commit();
  if (!id) return id.error();
  m.data.clear();
  m.stored_blob = std::move(*id);
  m.stored_size = size;
  summary = summary_of(shape);
  return {};
}

}  // namespace

std::int64_t to_unix(const date_time& t) {
  return days_from_civil(t.day.year, t.day.month, t.day.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second -
         std::int64_t(t.zone_minutes) * 60;
}

void op_append(session_state& st, const command& cmd, reply& r) {
  const auto& a = std::get<cmd_append>(cmd.args);
  // The summaries built from the pieces of messages stored in pieces (a streamed literal, a
  // large CATENATE), parallel to the messages; empty where there is none. Taken first: they
  // belong to this command only, whatever it answers.
  std::map<std::string, std::string> streamed = std::move(st.streamed_summaries);
  st.streamed_summaries.clear();
  std::vector<std::string> summaries(a.messages.size());
  for (std::size_t i = 0; i < a.messages.size(); ++i)
    if (auto it = streamed.find(a.messages[i].stored_blob); it != streamed.end() && !a.messages[i].stored_blob.empty())
      summaries[i] = std::move(it->second);
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
  // CATENATE parts are resolved first, every message's, so that a bad URL refuses the whole
  // command before anything is stored (RFC 4469 §5: NO [BADURL url]); then each message is
  // put together.
  std::vector<append_message> built;
  const bool any_catenate =
      std::any_of(a.messages.begin(), a.messages.end(), [](const append_message& m) { return !m.catenate.empty(); });
  if (any_catenate) {
    built = a.messages;
    std::vector<std::vector<cat_source>> plans(built.size());
    for (std::size_t i = 0; i < built.size(); ++i) {
      if (built[i].catenate.empty()) continue;
      std::string failed_url;
      auto plan = plan_catenate(st, built[i].catenate, st.env->append_limit, &failed_url);
      if (!plan) {
        if (plan.error().code == "imap.toobig") return r.no("[TOOBIG] Message exceeds APPENDLIMIT");
        return r.no("[BADURL " + url_resp_text(failed_url) + "] " + plan.error().message);
      }
      plans[i] = std::move(*plan);
    }
    for (std::size_t i = 0; i < built.size(); ++i) {
      if (built[i].catenate.empty()) continue;
      if (auto put = assemble(st, plans[i], built[i], summaries[i]); !put) {
        if (put.error().code == "imap.nul") return r.no("[CANNOT] NUL octets need a literal8");
        if (put.error().code == "blob.too_big") return r.no("[TOOBIG] Message exceeds APPENDLIMIT");
        return fail(r, put.error());
      }
      built[i].catenate.clear();
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
  std::vector<mail::blob_ref> blobs;
  std::vector<mail::message_info> small;  // stored from the command's literal: summarised below
  std::uint32_t uidvalidity = mb->uidvalidity;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
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
      // Its summary, when the pieces gave one, goes in the same commit as the message.
      auto res = m.stored_blob.empty()
                     ? store.append(owner, mb->name, m.data, flags, when)
                     : store.append_blob(owner, mb->name, m.stored_blob, flags, when, summaries[i]);
      if (res) {
        uids.push_back(res->uid);
        blobs.push_back({res->message.blob_id, res->message.size});
        if (seen) seen_uids.push_back(res->uid);
        if (m.stored_blob.empty()) small.push_back(std::move(res->message));
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
  // effort: a failure here leaves it to that first FETCH. Not for a message stored in pieces
  // (a streamed literal, a large CATENATE): its summary was built from the pieces and went in
  // with it (parsing the stored blob would read it whole, which streaming it avoided); if the
  // builder gave up on it, the first FETCH of its structure parses it, once.
  if (!small.empty()) (void)load_summaries(st, small);
  if (st.env->on_user_action && !ref->shared)
    st.env->on_user_action({st.account, "append", "", mb->name, std::move(blobs), {}, messages.size() == 1 ? messages[0].flags : std::vector<std::string>{}});
  r.ok("[APPENDUID " + std::to_string(uidvalidity) + " " + compress_set(uids, true) + "] APPEND completed");
}

}  // namespace hearth::mail::imap
