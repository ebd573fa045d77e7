// libFuzzer: the zip directory parser and extractor (core/backup/zip.hpp) on arbitrary bytes
// taken as a whole archive.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/backup/zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view z(reinterpret_cast<const char*>(data), size);
  auto tail = z.substr(size > hearth::zip::max_tail ? size - hearth::zip::max_tail : 0);
  auto d = hearth::zip::find_directory(tail, size);
  if (!d) return 0;
  if (d->zip64_record_offset) {
    if (*d->zip64_record_offset >= size) return 0;
    d = hearth::zip::read_zip64_record(z.substr(*d->zip64_record_offset), *d);
    if (!d) return 0;
  }
  if (d->offset > size || d->size > size - d->offset) return 0;
  auto cd = hearth::zip::parse_directory(z.substr(d->offset, d->size), *d);
  if (!cd) return 0;
  for (const auto& e : *cd) {
    if (e.local_offset >= size) continue;
    auto off = hearth::zip::data_offset(z.substr(e.local_offset), e);
    if (!off || *off > size || e.compressed_size > size - *off) continue;
    auto x = hearth::zip::extractor::start(e, [](std::string_view) -> hearth::result<void> { return {}; });
    if (!x) continue;
    if (x->feed(z.substr(*off, e.compressed_size))) (void)x->finish();
  }
  return 0;
}
