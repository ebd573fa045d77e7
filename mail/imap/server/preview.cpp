#include "mail/imap/server/preview.hpp"

#include "core/util/strings.hpp"
#include "mail/message/encoding.hpp"

namespace hearth::mail::imap {
namespace {

// Depth-first, the first inline text part of the given subtype; encapsulated messages are not
// entered (their text is another message's, not this one's).
const body_part* first_text(const body_part& p, std::string_view subtype) {
  if (p.type.is_multipart()) {
    for (const auto& c : p.children)
      if (auto* t = first_text(c, subtype)) return t;
    return nullptr;
  }
  if (p.type.type == "text" && p.type.subtype == subtype && p.disposition.type != "attachment") return &p;
  return nullptr;
}

// Drops <style>/<script> elements and every tag; decodes the entities mail bodies use most.
std::string html_to_text(std::string_view h) {
  std::string out;
  out.reserve(h.size());
  std::size_t i = 0;
  while (i < h.size()) {
    if (h[i] == '<') {
      for (std::string_view skip : {"style", "script"}) {
        if (util::istarts_with(h.substr(i + 1), skip)) {
          auto close = util::to_lower(std::string(h.substr(i))).find("</" + std::string(skip));
          i = close == std::string::npos ? h.size() : i + close + 1;
          break;
        }
      }
      auto end = h.find('>', i);
      if (end == std::string_view::npos) break;
      out += ' ';  // a tag separates words ("<p>a</p><p>b</p>" is "a b")
      i = end + 1;
      continue;
    }
    if (h[i] == '&') {
      static constexpr std::pair<std::string_view, std::string_view> entities[] = {
          {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"},
          {"&nbsp;", " "}};
      bool done = false;
      for (auto [name, text] : entities)
        if (util::istarts_with(h.substr(i), name)) {
          out += text;
          i += name.size();
          done = true;
          break;
        }
      if (done) continue;
    }
    out += h[i++];
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

std::string preview_text(const body_part& root, std::string_view bytes, std::size_t max_chars) {
  const body_part* p = first_text(root, "plain");
  const bool html = p == nullptr;
  if (html) p = first_text(root, "html");
  if (!p || p->body_end < p->body_begin || p->body_end > bytes.size()) return "";
  std::string text = decode_transfer_encoding(bytes.substr(p->body_begin, p->body_end - p->body_begin), p->encoding);
  if (auto u = to_utf8(p->type.params.get("charset", "us-ascii"), text)) text = std::move(*u);
  if (html) text = html_to_text(text);
  std::string out;
  std::size_t chars = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    if (is_space(text[i])) {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    // One UTF-8 character: a lead byte and its continuation bytes.
    std::size_t n = 1;
    while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
    if (chars + (pending_space ? 1 : 0) + 1 > max_chars) break;
    if (pending_space) {
      out += ' ';
      ++chars;
      pending_space = false;
    }
    out.append(text, i, n);
    ++chars;
    i += n;
  }
  return out;
}

}  // namespace hearth::mail::imap
