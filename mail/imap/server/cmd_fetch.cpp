// FETCH and UID FETCH (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 CHANGEDSINCE/VANISHED/MODSEQ).
#include <algorithm>

#include "core/sql/write_guard.hpp"
#include "mail/imap/proto/writer.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/fetch_body.hpp"
#include "mail/imap/server/fetch_stream.hpp"
#include "mail/imap/server/inline.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/preview.hpp"
#include "mail/imap/server/progress.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"

namespace hearth::mail::imap {
namespace {

// What an attribute reads: nothing beyond the store's row, the stored summary (header section
// and BODYSTRUCTURE, summary.hpp), or the whole blob.
enum class source { row, summary, blob };

source source_of(const fetch_att& a) {
  const auto& n = a.name;
  if (n == "ENVELOPE" || n == "BODYSTRUCTURE" || n == "RFC822.HEADER") return source::summary;
  if (n == "BODY" && !a.has_section) return source::summary;
  if (n == "BODY" && a.section.part.empty() &&
      (a.section.text == "HEADER" || a.section.text == "HEADER.FIELDS" || a.section.text == "HEADER.FIELDS.NOT"))
    return source::summary;
  if (n == "BODY" || n == "BINARY" || n == "BINARY.SIZE" || n == "RFC822" || n == "RFC822.TEXT" || n == "PREVIEW")
    return source::blob;
  return source::row;
}

// RFC 9051 §6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen.
bool sets_seen(const fetch_att& a) {
  return ((a.name == "BODY" && a.has_section) || a.name == "BINARY") ? !a.peek
                                                                      : (a.name == "RFC822" || a.name == "RFC822.TEXT");
}

void literal(std::string& out, std::string_view data, bool binary_ok) {
  // RFC 3516 §4.3: literal8 "~{n}" only when the content holds NUL.
  if (binary_ok && data.find('\0') != std::string_view::npos) out += '~';
  out += '{' + std::to_string(data.size()) + "}\r\n";
  out += data;
}

std::string_view apply_partial(std::string_view data, const std::optional<partial>& p) {
  if (!p) return data;
  if (p->offset >= data.size()) return {};
  return data.substr(p->offset, p->length);
}

// A FETCH of UID, FLAGS and MODSEQ alone that names at least a quarter of the mailbox (a
// client resynchronising its flags with UID FETCH 1:* (FLAGS)) is answered from the shared
// flag index (store::fetch_flags): when no write came since it was built, that costs one read
// of the mailbox row instead of reading every message row. For a few messages of a large
// mailbox, copying the whole index would cost more than reading their rows.
bool flags_only(const cmd_fetch& f, std::size_t named, std::size_t in_mailbox) {
  for (const auto& a : f.atts)
    if (a.name != "UID" && a.name != "FLAGS" && a.name != "MODSEQ") return false;
  return named * 4 >= in_mailbox;
}

// The flag index's entries for `uids` (ascending), as fetch() would give them for these items.
result<std::vector<mail::message_info>> flags_of(const session_state& st, const selected_mailbox& sel,
                                                 const std::vector<std::uint32_t>& uids) {
  auto all = fetch_flags_as_user(st, sel.owner, sel.name);
  if (!all) return all;
  std::erase_if(*all, [&](const mail::message_info& m) { return !std::binary_search(uids.begin(), uids.end(), m.uid); });
  return all;
}

}  // namespace

void op_fetch(session_state& st, const command& cmd, reply& r) {
  const auto& f = std::get<cmd_fetch>(cmd.args);
  const bool uid = cmd.name == "UID FETCH";
  auto& sel = *st.sel;
  if (f.vanished && !st.qresync) return r.bad("VANISHED needs ENABLE QRESYNC");
  if (f.vanished && !f.changed_since) return r.bad("VANISHED needs CHANGEDSINCE");
  bool want_modseq = f.changed_since.has_value();
  for (const auto& a : f.atts)
    if (a.name == "MODSEQ") want_modseq = true;
  if (want_modseq) st.condstore = true;  // RFC 7162 §3.1: a CONDSTORE-enabling command

  auto uids = resolve(sel, f.set, uid);
  // RFC 9051 §6.4.8: a seq FETCH naming numbers that do not exist is BAD. A range with "*"
  // ("1:*" in an empty mailbox) is let through and simply matches nothing.
  if (!uid && !f.set.saved) {
    for (const auto& rg : f.set.ranges) {
      if (rg.lo == seq_range::star || rg.hi == seq_range::star) continue;
      if (rg.lo > sel.uids.size() || rg.hi > sel.uids.size()) return r.bad("Invalid message sequence number");
    }
  }

  if (f.vanished) {
    auto ch = changes_as_user(st, sel.owner, sel.name, *f.changed_since);
    if (!ch) return fail(r, ch.error());
    std::vector<std::uint32_t> gone;
    for (auto u : ch->vanished)
      for (const auto& rg : f.set.ranges) {
        std::uint32_t lo = rg.lo == seq_range::star ? mail::uid_max : rg.lo;
        std::uint32_t hi = rg.hi == seq_range::star ? mail::uid_max : rg.hi;
        if (lo > hi) std::swap(lo, hi);
        if (u >= lo && u <= hi) {
          gone.push_back(u);
          break;
        }
      }
    if (!gone.empty()) r.untagged("VANISHED (EARLIER) " + compress_set(gone));
  }
  if (uids.empty()) return r.ok(cmd.name + " completed");

  bool whole = false, summary = false, seen = false, only_ranges = true;
  for (const auto& a : f.atts) {
    const auto src = source_of(a);
    whole |= src == source::blob;
    summary |= src == source::summary;
    seen |= sets_seen(a);
    if (src != source::row && !streamable(a)) only_ranges = false;
  }
  std::vector<std::uint32_t> implicit_seen;
  // RFC 4314 §4: without "s" a FETCH of the body leaves \Seen alone.
  if (seen && !sel.read_only && has_right(sel.rights, 's')) {
    auto before = fetch_as_user(st, sel.owner, sel.name, to_uid_set(uids));
    if (!before) return fail(r, before.error());
    for (const auto& m : *before)
      if (std::find(m.flags.begin(), m.flags.end(), "\\Seen") == m.flags.end()) implicit_seen.push_back(m.uid);
    if (!implicit_seen.empty()) {
      auto res = store_flags_as_user(st, sel.owner, sel.name, implicit_seen, mail::flag_mode::add, {"\\Seen"});
      if (!res) return fail(r, res.error());
    }
  }
  auto msgs = flags_only(f, uids.size(), sel.uids.size())
                  ? flags_of(st, sel, uids)
                  : fetch_as_user(st, sel.owner, sel.name, to_uid_set(uids));
  if (!msgs) return fail(r, msgs.error());
  if (whole) {
    std::uint64_t bytes = 0;
    for (const auto& m : *msgs) bytes += m.size;
    // Run inline on an I/O thread (inline.hpp), only small messages are read here; for more,
    // may_block() has the session drop this attempt and run the command on the store pool.
    if (bytes > inline_blob_bytes && !sql::may_block()) return r.no("[UNAVAILABLE] Retried on the store pool");
  }
  std::vector<std::shared_ptr<const message_summary>> sums;
  if (summary && !whole) {
    auto loaded = load_summaries(st, *msgs);
    if (!loaded) return fail(r, loaded.error());
    sums = std::move(*loaded);
  }

  progress_meter progress(st, cmd.tag, msgs->size());
  for (std::size_t mi = 0; mi < msgs->size(); ++mi) {
    progress.step(mi);
    const auto& m = (*msgs)[mi];
    if (f.changed_since && m.modseq <= *f.changed_since) continue;
    const std::uint32_t seq = seq_of(sel, m.uid);
    if (!seq) continue;
    std::shared_ptr<parsed_message> pm;
    const message_summary* sum = sums.empty() ? nullptr : sums[mi].get();
    // fetch_stream.hpp: a large message's bytes go from the blob store to the socket.
    const bool stream = whole && only_ranges && m.size >= stream_min_bytes;
    std::vector<deferred_bytes> deferred;
    if (whole && !stream) {
      auto loaded = load_message(st, m);
      if (!loaded) return fail(r, loaded.error());
      pm = *loaded;
    } else if (sum) {
      pm = header_only(*sum);
    }
    const bool was_set = std::binary_search(implicit_seen.begin(), implicit_seen.end(), m.uid);
    if (was_set) sel.modseqs[seq - 1] = std::max(sel.modseqs[seq - 1], m.modseq);
    std::string items;
    auto add = [&](std::string_view s) {
      if (!items.empty()) items += ' ';
      items += s;
    };
    bool has_uid = false, has_flags = false, has_modseq = false;
    for (const auto& a : f.atts) {
      const auto& n = a.name;
      if (stream && streamable(a)) {
        const std::size_t before = deferred.size();
        auto item = streamed_item(*st.env->blobs, m, a, deferred);
        if (!item) return fail(r, item.error());
        add(*item);
        if (deferred.size() > before) deferred.back().at = items.size();  // the literal's bytes end the item
      } else if (n == "UID") {
        add("UID " + std::to_string(m.uid));
        has_uid = true;
      } else if (n == "FLAGS") {
        add("FLAGS " + session_flags(st, m));
        has_flags = true;
      } else if (n == "INTERNALDATE") {
        add("INTERNALDATE \"" + imap_date_time(m.internal_date) + "\"");
      } else if (n == "RFC822.SIZE") {
        add("RFC822.SIZE " + std::to_string(m.size));
      } else if (n == "MODSEQ") {
        add("MODSEQ (" + std::to_string(m.modseq) + ")");
        has_modseq = true;
      } else if (n == "PREVIEW") {
        // RFC 8970: "PREVIEW" SP nstring, plain text of at most 256 characters (Hearth
        // gives 200). 8-bit text goes out as a literal unless UTF8=ACCEPT is on.
        std::string item = "PREVIEW ";
        write_string(item, preview_text(pm->structure.root, *pm->bytes), st.utf8);
        add(item);
      } else if (n == "SAVEDATE") {
        // RFC 8514 §5: "SAVEDATE" SP (date-time / nil); messages stored before the store kept
        // save dates have none, and their internal date is not a save date.
        add(m.save_date ? "SAVEDATE \"" + imap_date_time(*m.save_date) + "\"" : std::string("SAVEDATE NIL"));
      } else if (n == "EMAILID") {
        add("EMAILID (" + email_id(m.blob_id) + ")");
      } else if (n == "THREADID") {
        add("THREADID NIL");  // RFC 8474 §5.2: NIL when the server does not keep thread ids
      } else if (n == "ENVELOPE") {
        add("ENVELOPE " + envelope(pm->structure.root.header, st.utf8));
      } else if (n == "BODYSTRUCTURE" || (n == "BODY" && !a.has_section)) {
        const bool ext = n == "BODYSTRUCTURE";
        add(n + " " + (sum ? sum->structure(ext, st.utf8) : body_structure(pm->structure.root, ext, st.utf8)));
      } else if (n == "RFC822" || n == "RFC822.HEADER" || n == "RFC822.TEXT") {
        section_spec s;
        s.text = n == "RFC822" ? "" : n == "RFC822.HEADER" ? "HEADER" : "TEXT";
        auto data = section_bytes(pm->structure, *pm->bytes, s).value_or("");
        std::string item = n + " ";
        literal(item, data, false);
        add(item);
      } else if (n == "BODY") {
        auto data = section_bytes(pm->structure, *pm->bytes, a.section);
        std::string item = "BODY[" + section_name(a.section) + "]";
        if (a.range) item += "<" + std::to_string(a.range->offset) + ">";
        item += ' ';
        if (!data) item += "NIL";
        else literal(item, apply_partial(*data, a.range), false);
        add(item);
      } else if (n == "BINARY" || n == "BINARY.SIZE") {
        bool unknown = false;
        auto data = binary_bytes(pm->structure, *pm->bytes, a.section.part, unknown);
        if (unknown) return r.no("[UNKNOWN-CTE] Cannot decode this part's transfer encoding");
        if (!data) return r.no("[NONEXISTENT] No such body part");
        std::string sec;
        for (std::size_t i = 0; i < a.section.part.size(); ++i)
          sec += (i ? "." : "") + std::to_string(a.section.part[i]);
        if (n == "BINARY.SIZE") {
          add("BINARY.SIZE[" + sec + "] " + std::to_string(data->size()));
        } else {
          std::string item = "BINARY[" + sec + "]";
          if (a.range) item += "<" + std::to_string(a.range->offset) + ">";
          item += ' ';
          literal(item, apply_partial(*data, a.range), true);
          add(item);
        }
      }
    }
    // RFC 9051 §6.4.8: UID FETCH always returns UID; RFC 7162 §3.1.4.1: MODSEQ with CHANGEDSINCE.
    if (uid && !has_uid) add("UID " + std::to_string(m.uid));
    if (was_set && !has_flags) add("FLAGS " + session_flags(st, m));
    if (f.changed_since && !has_modseq) add("MODSEQ (" + std::to_string(m.modseq) + ")");
    if (has_flags || was_set) announce_keywords(st, r, m.flags);
    const std::string head = "* " + std::to_string(seq) + " FETCH (";
    for (auto& d : deferred) {
      d.at += r.out.size() + head.size();
      r.deferred.push_back(std::move(d));
    }
    r.out += head + items + ")\r\n";
  }
  r.ok(cmd.name + " completed");
}

}  // namespace hearth::mail::imap
