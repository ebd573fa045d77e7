#include "mail/imap/server/catenate.hpp"

#include <algorithm>
#include <charconv>

#include "core/util/strings.hpp"
#include "mail/imap/proto/lexer.hpp"
#include "mail/imap/proto/parser.hpp"
#include "core/blob/reader.hpp"
#include "core/blob/store.hpp"
#include "mail/imap/server/fetch_body.hpp"
#include "mail/imap/server/fetch_stream.hpp"
#include "mail/message/mime_stream.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

hearth::error bad(std::string_view, std::string_view why) { return hearth::error("imap.badurl", std::string(why)); }

// RFC 3986 percent-decoding; nullopt on a malformed escape.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
    out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

bool to_u64(std::string_view s, std::uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Finds `key` (";UID=" etc.) case-insensitively at or after `from`.
std::size_t ifind(std::string_view s, std::string_view key, std::size_t from = 0) {
  for (std::size_t i = from; i + key.size() <= s.size(); ++i)
    if (util::iequals(s.substr(i, key.size()), key)) return i;
  return std::string_view::npos;
}

}  // namespace

result<cat_source> resolve_imap_url(session_state& st, std::string_view url) {
  std::string_view rest = url;
  if (util::istarts_with(rest, "imap://")) {
    rest.remove_prefix(7);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return bad(url, "no message in the URL");
    std::string_view server = rest.substr(0, slash);
    rest.remove_prefix(slash);
    if (auto at = server.rfind('@'); at != std::string_view::npos) {
      std::string_view user = server.substr(0, at);
      if (auto semi = user.find(';'); semi != std::string_view::npos) user = user.substr(0, semi);
      auto u = unescape(user);
      if (!u || !util::iequals(*u, st.account)) return bad(url, "another user's URL");
      server.remove_prefix(at + 1);
    }
    if (auto colon = server.rfind(':'); colon != std::string_view::npos && server.find(']') == std::string_view::npos)
      server = server.substr(0, colon);
    if (st.env->hostname.empty() || !util::iequals(server, st.env->hostname)) return bad(url, "another server's URL");
  }
  if (rest.empty() || rest[0] != '/') return bad(url, "not an IMAP URL");
  rest.remove_prefix(1);
  // URLAUTH (RFC 4467) is not offered: its parts make the URL one we do not serve.
  if (ifind(rest, ";URLAUTH=") != std::string_view::npos || ifind(rest, ";EXPIRE=") != std::string_view::npos)
    return bad(url, "URLAUTH is not supported");
  auto uid_at = ifind(rest, "/;UID=");
  if (uid_at == std::string_view::npos) return bad(url, "the URL names no message");
  std::string_view mailbox_part = rest.substr(0, uid_at);
  std::string_view tail = rest.substr(uid_at + 6);
  std::optional<std::uint64_t> uidvalidity;
  if (auto v = ifind(mailbox_part, ";UIDVALIDITY="); v != std::string_view::npos) {
    std::uint64_t n = 0;
    if (!to_u64(mailbox_part.substr(v + 13), n)) return bad(url, "bad UIDVALIDITY");
    uidvalidity = n;
    mailbox_part = mailbox_part.substr(0, v);
  }
  auto mailbox = unescape(mailbox_part);
  if (!mailbox || mailbox->empty()) return bad(url, "bad mailbox name");
  // The rest: uid, then optional "/;SECTION=..." and "/;PARTIAL=o[.l]".
  std::string_view uid_text = tail.substr(0, tail.find('/'));
  tail.remove_prefix(uid_text.size());
  std::uint64_t uid = 0;
  if (!to_u64(uid_text, uid) || uid == 0 || uid > 0xffffffffu) return bad(url, "bad UID");
  std::optional<std::string> section;
  std::optional<partial> range;
  if (util::istarts_with(tail, "/;SECTION=")) {
    tail.remove_prefix(10);
    auto end = ifind(tail, "/;PARTIAL=");
    section = unescape(tail.substr(0, end));
    if (!section) return bad(url, "bad SECTION");
    tail = end == std::string_view::npos ? std::string_view{} : tail.substr(end);
  }
  if (util::istarts_with(tail, "/;PARTIAL=")) {
    tail.remove_prefix(10);
    partial p;
    auto dot = tail.find('.');
    if (!to_u64(tail.substr(0, dot), p.offset)) return bad(url, "bad PARTIAL");
    p.length = std::uint64_t(-1);
    if (dot != std::string_view::npos && (!to_u64(tail.substr(dot + 1), p.length) || p.length == 0))
      return bad(url, "bad PARTIAL");
    range = p;
    tail = {};
  }
  if (!tail.empty()) return bad(url, "unexpected text in the URL");

  auto& store = *st.env->store;
  auto mb = store.status(st.account, *mailbox);
  if (!mb) return bad(url, "no such mailbox");
  if (uidvalidity && *uidvalidity != mb->uidvalidity) return bad(url, "the mailbox's UIDVALIDITY changed");
  auto msgs = store.fetch(st.account, mb->name, to_uid_set({static_cast<std::uint32_t>(uid)}));
  if (!msgs || msgs->empty()) return bad(url, "no such message");
  const auto& msg = msgs->front();
  std::optional<section_spec> spec;
  if (section && !section->empty()) {
    try {
      std::string framed = "[" + *section + "]\r\n";
      lexer lx(framed, lexer_options{});
      spec = detail::parse_section(lx, false);
      if (!lx.at_crlf()) return bad(url, "bad SECTION");
    } catch (...) {  // the lexer's syntax_error
      return bad(url, "bad SECTION");
    }
  }
  cat_source out;
  auto size = st.env->blobs->size_of(msg.blob_id);
  if (!size) return bad(url, "the message cannot be read");
  if (!spec) {
    out.blob_id = msg.blob_id;
    out.length = *size;
  } else if (*size < stream_min_bytes) {
    // Small: parsed whole, from the session's cache when a FETCH just read it.
    auto pm = load_message(st, msg);
    if (!pm) return bad(url, "the message cannot be read");
    auto got = section_bytes((*pm)->structure, *(*pm)->bytes, *spec);
    if (!got) return bad(url, "no such section");
    out.text = std::move(*got);
  } else {
    // Large: its structure (offsets included) from one pass over its pieces, then the
    // section's range, copied later piece by piece.
    auto r = blob::open_reader(*st.env->blobs, msg.blob_id);
    if (!r) return bad(url, "the message cannot be read");
    mail::structure_builder shape;
    for (std::uint64_t at = 0; at < (*r)->size();) {
      auto piece = (*r)->read(at, cat_piece_bytes);
      if (!piece || piece->empty()) return bad(url, "the message cannot be read");
      shape.feed(*piece);
      at += piece->size();
    }
    auto built = shape.finish();
    if (!built) return bad(url, "the message's header is too large to take a section of");
    if (auto fields = section_fields(built->structure, *spec)) {
      out.text = std::move(*fields);
    } else if (auto where = section_range(built->structure, (*r)->size(), *spec)) {
      out.blob_id = msg.blob_id;
      out.offset = where->first;
      out.length = where->second - where->first;
    } else {
      return bad(url, "no such section");
    }
  }
  if (range) {
    // RFC 5092 §5: PARTIAL is an offset into the octets the rest of the URL names.
    const std::uint64_t n = out.size();
    const std::uint64_t from = std::min(range->offset, n);
    const std::uint64_t len = std::min(range->length, n - from);
    if (out.blob_id.empty()) {
      out.text = out.text.substr(from, len);
    } else {
      out.offset += from;
      out.length = len;
    }
  }
  return out;
}

result<std::vector<cat_source>> plan_catenate(session_state& st, const std::vector<cat_part>& parts,
                                              std::uint64_t limit, std::string* failed_url) {
  std::vector<cat_source> plan;
  std::uint64_t total = 0;
  for (const auto& p : parts) {
    if (!p.url) {
      plan.emplace_back().text = p.data;
    } else {
      auto got = resolve_imap_url(st, p.data);
      if (!got) {
        if (failed_url) *failed_url = p.data;
        return got.error();
      }
      plan.push_back(std::move(*got));
    }
    total += plan.back().size();
    if (total > limit) return hearth::error("imap.toobig", "the message would exceed APPENDLIMIT");
  }
  return plan;
}

result<void> copy_catenated(const blob::store& blobs, const std::vector<cat_source>& plan,
                            const std::function<result<void>(std::string_view)>& sink) {
  for (const auto& src : plan) {
    if (src.blob_id.empty()) {
      for (std::size_t at = 0; at < src.text.size(); at += cat_piece_bytes)
        if (auto r = sink(std::string_view(src.text).substr(at, cat_piece_bytes)); !r) return r.error();
      continue;
    }
    auto r = blob::open_reader(blobs, src.blob_id);
    if (!r) return r.error();
    for (std::uint64_t at = src.offset, end = src.offset + src.length; at < end;) {
      auto piece = (*r)->read(at, static_cast<std::size_t>(std::min<std::uint64_t>(cat_piece_bytes, end - at)));
      if (!piece) return piece.error();
      // The blob is shorter than when the URL was resolved: never a silently short message.
      if (piece->empty()) return hearth::error("blob.missing_part", "the blob ended early: " + src.blob_id);
      if (auto w = sink(*piece); !w) return w.error();
      at += piece->size();
    }
  }
  return {};
}

}  // namespace hearth::mail::imap
