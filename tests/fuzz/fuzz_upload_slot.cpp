// libFuzzer target: the untrusted inputs of HTTP File Upload (xmpp/modules/upload/proto):
// a PUT's bearer token against a URL, a download's Range header, a request path, and the file
// names and content types a slot request carries. None may crash; a range that is answered
// must lie inside the file; a token the fuzzer did not get signed must not verify.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xmpp/modules/upload/proto/slot.hpp"

using namespace hearth::xmpp::upload;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string id = "0123456789abcdef0123456789abcdef";
  if (verify(in, id, "a.jpg", "secret", 0)) std::abort();
  const std::uint64_t sizes[] = {0, 1, 1000, UINT64_MAX};
  for (auto n : sizes) {
    auto r = parse_range(in, n);
    if (r.kind == range_kind::partial && (r.range.first > r.range.last || r.range.last >= n)) std::abort();
  }
  if (auto p = parse_path(in, "/upload/")) {
    if (!valid_id(p->id) || !valid_filename(p->filename)) std::abort();
    (void)url_path(p->id, p->filename);
  }
  (void)valid_filename(in);
  (void)valid_content_type(in);
  // A real slot with the input as its fields must verify back to the same fields.
  slot s;
  s.id = id;
  s.filename = "f";
  // Owners are local accounts: addresses of at most 254 octets (RFC 5321 §4.5.3.1.3), which
  // keeps every real token under max_token.
  s.owner = std::string(in.substr(0, std::min<std::size_t>(in.find('\n'), 254)));
  s.content_type = "application/octet-stream";
  s.size = size;
  s.expires = 10;
  auto v = verify(sign(s, "k"), s.id, s.filename, "k", 5);
  if (!v || v->owner != s.owner || v->size != s.size) std::abort();
  return 0;
}
