#include "mail/imap/server/catenate.hpp"

#include <charconv>

#include "core/util/strings.hpp"
#include "mail/imap/proto/lexer.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/server/fetch_body.hpp"
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

result<std::string> resolve_imap_url(session_state& st, std::string_view url) {
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
  auto pm = load_message(st, msgs->front());
  if (!pm) return bad(url, "the message cannot be read");
  std::string bytes;
  if (section && !section->empty()) {
    section_spec spec;
    try {
      std::string framed = "[" + *section + "]\r\n";
      lexer lx(framed, lexer_options{});
      spec = detail::parse_section(lx, false);
      if (!lx.at_crlf()) return bad(url, "bad SECTION");
    } catch (...) {  // the lexer's syntax_error
      return bad(url, "bad SECTION");
    }
    auto got = section_bytes((*pm)->structure, *(*pm)->bytes, spec);
    if (!got) return bad(url, "no such section");
    bytes = std::move(*got);
  } else {
    bytes = *(*pm)->bytes;
  }
  if (range) {
    if (range->offset >= bytes.size()) return std::string();
    bytes = bytes.substr(range->offset, range->length);
  }
  return bytes;
}

result<std::string> catenate(session_state& st, const std::vector<cat_part>& parts, std::uint64_t limit,
                             std::string* failed_url) {
  std::string out;
  for (const auto& p : parts) {
    if (!p.url) {
      out += p.data;
    } else {
      auto got = resolve_imap_url(st, p.data);
      if (!got) {
        if (failed_url) *failed_url = p.data;
        return got.error();
      }
      out += *got;
    }
    if (out.size() > limit) return hearth::error("imap.toobig", "the message would exceed APPENDLIMIT");
  }
  return out;
}

}  // namespace hearth::mail::imap
