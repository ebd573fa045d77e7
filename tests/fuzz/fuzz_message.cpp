// libFuzzer target for mail/message (links hearth_mail_message): the header parser, the MIME
// structure parser, address lists, parameters and the decoders must never crash, and every
// offset they report must lie inside the input and nest inside its parent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mail/message/message.hpp"

using namespace hearth::mail;

namespace {

void check_part(const body_part& p, std::size_t lo, std::size_t hi, std::string_view in, int depth) {
  if (depth > 2 * 20 + 2) std::abort();
  if (p.header_begin < lo || p.header_begin > p.body_begin || p.body_begin > p.body_end ||
      p.body_end > hi)
    std::abort();
  for (const auto& f : p.header.fields) {
    if (f.offset < p.header_begin || f.offset + f.raw.size() > p.body_begin) std::abort();
    if (f.raw.data() != in.data() + f.offset) std::abort();
  }
  if (p.type.is_multipart() && p.children.empty()) std::abort();
  if (p.type.is_message() && p.children.size() != 1) std::abort();
  std::string_view body = in.substr(p.body_begin, p.size());
  if (p.children.empty()) {
    (void)decode_transfer_encoding(body.substr(0, 4096), p.encoding);
    (void)decode_transfer_encoding(body.substr(0, 4096), "quoted-printable");
    (void)decode_base64(body.substr(0, 4096));
  }
  for (const auto& c : p.children) check_part(c, p.body_begin, p.body_end, in, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto s = parse_message(in);
  check_part(s.root, 0, in.size(), in, 0);
  (void)find_part(s.root, {1, 2, 1});
  (void)find_part(s.root, {3});
  for (const auto& f : s.root.header.fields) {
    auto list = parse_address_list(f.value);
    for (const auto& a : list.mailboxes()) (void)a.addr_spec();
    (void)display_value(f);
    (void)parse_content_type(f.value);
    (void)parse_content_disposition(f.value);
  }
  // The raw input as one field value too, so short inputs reach every parser.
  (void)parse_address_list(in);
  (void)parse_parameters(in);
  (void)decode_encoded_words(in);
  (void)decode_quoted_printable(in);
  return 0;
}
