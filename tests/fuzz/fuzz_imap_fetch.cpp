// libFuzzer target: arbitrary message bytes through the MIME parser into the IMAP FETCH
// renderers (mail/imap/server/fetch_body): ENVELOPE, BODY/BODYSTRUCTURE, BODY[section] and
// BINARY[part] for every part path the structure has, plus a few that it has not. Each must
// finish without a crash, and every slice must lie inside the input. The per-blob summary
// (summary.hpp) must survive its encoding, and its decoder must refuse garbage without a crash;
// Unicode case folding must keep its input length class (never more than 3/2 as long + 3: U+023A folds to a 3-octet U+2C65).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "mail/imap/server/fetch_body.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/message/casefold.hpp"

using namespace hearth::mail;
using namespace hearth::mail::imap;

namespace {

void walk(const message_structure& m, std::string_view bytes, const body_part& p, std::vector<std::uint32_t>& path,
          int depth) {
  for (const char* text : {"", "MIME", "HEADER", "TEXT", "HEADER.FIELDS"}) {
    section_spec s;
    s.part = path;
    s.text = text;
    if (s.text == "HEADER.FIELDS") s.fields = {"From", "Subject"};
    auto b = section_bytes(m, bytes, s);
    if (b && b->size() > bytes.size() + 2) std::abort();
  }
  bool unknown = false;
  auto bin = binary_bytes(m, bytes, path, unknown);
  (void)bin;
  if (depth > 8) return;
  for (std::uint32_t i = 0; i < p.children.size() + 1; ++i) {
    path.push_back(i + 1);
    if (i < p.children.size()) walk(m, bytes, p.children[i], path, depth + 1);
    path.pop_back();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = parse_message(bytes);
  (void)envelope(m.root.header, size % 2 == 0);
  (void)body_structure(m.root, true, false);
  (void)body_structure(m.root, false, true);
  std::vector<std::uint32_t> path;
  walk(m, bytes, m.root, path, 0);
  parsed_message pm;
  pm.bytes = std::make_shared<const std::string>(bytes);
  pm.structure = parse_message(*pm.bytes);
  auto sum = summarize(pm);
  auto back = decode_summary(encode_summary(sum));
  if (!back || back->header != sum.header || back->sent != sum.sent) std::abort();
  (void)header_only(*back);
  (void)decode_summary(bytes);
  if (fold_utf8(bytes).size() > bytes.size() * 3 / 2 + 3) std::abort();
  (void)base_subject(bytes.substr(0, 200));
  (void)parse_mail_date(bytes.substr(0, 100));
  return 0;
}
