// libFuzzer target: arbitrary bytes from an IMAP server through the client's framer (fed in
// uneven pieces), the response parser and every interpretation `hearth migrate imap` makes of
// a response (capabilities, LIST, FETCH, SEARCH, dates), then the migration rules on the
// names, labels and message bytes found. Small limits make the limit paths reachable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/imap/client/response.hpp"
#include "mail/migrate/plan.hpp"

using namespace hearth::mail::imap::client;
namespace plan = hearth::mail::migrate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  limits l;
  l.max_line = 4096;
  l.max_literal = 8192;
  l.max_response = 16384;
  l.max_depth = 8;
  l.max_values = 2000;
  framer f(l);
  std::size_t step = size > 0 ? (data[0] % 13) + 1 : 1;
  for (std::size_t i = 0; i < in.size(); i += step) {
    f.feed(in.substr(i, step));
    for (;;) {
      auto framed = f.next();
      if (!framed || !*framed) break;
      auto r = parse_response(**framed, l);
      if (!r) continue;
      (void)capabilities(*r);
      if (auto e = parse_list(*r)) {
        auto p = plan::plan_folder({e->name, e->delimiter, e->attributes}, false, "INBOX.");
        (void)plan::plan_folder({e->name, e->delimiter, e->attributes}, true);
        (void)p;
      }
      if (auto fd = parse_fetch(*r)) {
        if (fd->gm_labels) (void)plan::file_gmail(*fd->gm_labels, plan::label_mode::keywords);
        if (fd->flags) (void)plan::keep_flags(*fd->flags);
        if (fd->body) (void)plan::dedup_key(*fd->body);
      }
      (void)parse_search(*r, 5000);
      (void)parse_date_time(r->text);
    }
    if (f.buffered() > 2 * 16384 + 8192) break;
  }
  (void)plan::dedup_key(in);
  return 0;
}
