#include "mail/imap/server/fetch_stream.hpp"

#include <algorithm>

#include "core/blob/reader.hpp"

namespace hearth::mail::imap {

bool streamable(const fetch_att& a) {
  const bool whole_message = a.section.part.empty() && a.section.text.empty() && a.section.fields.empty();
  if (a.name == "RFC822") return true;
  if (a.name == "BODY") return a.has_section && whole_message;
  if (a.name == "BINARY" || a.name == "BINARY.SIZE") return whole_message;
  return false;
}

result<std::string> streamed_item(const blob::store& blobs, const mail::message_info& m, const fetch_att& a,
                                  std::vector<deferred_bytes>& deferred) {
  // BINARY.SIZE[] of the whole message is its size: no transfer encoding applies to it.
  if (a.name == "BINARY.SIZE") return "BINARY.SIZE[] " + std::to_string(m.size);
  std::uint64_t offset = 0, length = m.size;
  if (a.range) {
    // RFC 9051 §6.4.5: a partial range past the end gives an empty string.
    offset = std::min(a.range->offset, m.size);
    length = std::min(a.range->length, m.size - offset);
  }
  std::string item;
  if (a.name == "RFC822") item = "RFC822 ";
  else item = a.name + "[]" + (a.range ? "<" + std::to_string(a.range->offset) + ">" : std::string()) + " ";
  if (a.name == "BINARY" && length > 0) {
    auto r = blob::open_reader(blobs, m.blob_id);
    if (!r) return r.error();
    bool nul = false;
    for (std::uint64_t at = offset; at < offset + length && !nul;) {
      auto piece = (*r)->read(at, static_cast<std::size_t>(std::min<std::uint64_t>(offset + length - at, 1 << 20)));
      if (!piece) return piece.error();
      if (piece->empty()) return hearth::fail("blob.io", "blob " + m.blob_id + " ends early");
      nul = piece->find('\0') != std::string::npos;
      at += piece->size();
    }
    if (nul) item += '~';
  }
  item += '{' + std::to_string(length) + "}\r\n";
  if (length > 0) deferred.push_back({item.size(), m.blob_id, offset, length});
  return item;
}

}  // namespace hearth::mail::imap
