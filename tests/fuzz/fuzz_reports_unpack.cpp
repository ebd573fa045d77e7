// libFuzzer: finding reports in a message (mail/reports/unpack.hpp): MIME, base64, and the gzip
// and zip readers, also fed the input directly as an archive.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/reports/unpack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t limit = 1 << 20;  // keep each run fast; the limit logic is the same
  (void)hearth::mail::reports::extract_reports(bytes);
  (void)hearth::mail::reports::gunzip(bytes, limit);
  (void)hearth::mail::reports::unzip_first(bytes, limit);
  return 0;
}
