// libFuzzer: finding reports in a message (mail/reports/unpack.hpp): MIME, base64, and the gzip
// and zip readers, also fed the input directly as an archive; and the same message read in
// pieces (a large message SMTP kept on disk), which must find the same reports.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mail/reports/unpack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t limit = 1 << 20;  // keep each run fast; the limit logic is the same
  auto whole = hearth::mail::reports::extract_reports(bytes);
  (void)hearth::mail::reports::gunzip(bytes, limit);
  (void)hearth::mail::reports::unzip_first(bytes, limit);
  // The cut and the piece size come from the input, so that every split is tried.
  const std::size_t cut = size ? data[0] % (size + 1) : 0;
  const std::size_t piece = size > 1 ? 1 + data[1] % 61 : 1;
  hearth::mail::body_pieces rest = [&](const std::function<void(std::string_view)>& out) {
    for (std::size_t at = cut; at < size; at += piece) out(bytes.substr(at, piece));
    return true;
  };
  auto streamed = hearth::mail::reports::extract_reports(bytes.substr(0, cut), rest);
  if (static_cast<bool>(whole) != static_cast<bool>(streamed)) std::abort();
  if (whole) {
    if (whole->size() != streamed->size()) std::abort();
    for (std::size_t i = 0; i < whole->size(); ++i)
      if ((*whole)[i].kind != (*streamed)[i].kind || (*whole)[i].bytes != (*streamed)[i].bytes) std::abort();
  }
  return 0;
}
