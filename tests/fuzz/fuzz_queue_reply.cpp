// The outbound queue's SMTP reply parser and EHLO capability parser (mail/queue/reply.hpp):
// input is what a remote server sends, split into lines.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/queue/reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::queue;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  reply_parser p;
  while (!in.empty()) {
    auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto st = p.feed(line);
    if (st == reply_parser::state::done) {
      auto r = p.take();
      (void)parse_ehlo(r);
      (void)r.summary();
      (void)r.status();
    } else if (st == reply_parser::state::error) {
      p.take();
    }
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  std::string_view whole(reinterpret_cast<const char*>(data), size);
  (void)dot_stuff(whole);
  (void)xtext_decode(whole);
  return 0;
}
