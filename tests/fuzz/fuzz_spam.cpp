// The learning spam filter's parsers: the tokenizer over a whole message (MIME, HTML,
// addresses, Received), the HTML reduction on its own, the clamd reply and address syntax,
// the From address of the scorer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/filter/bayes/tokenize.hpp"
#include "mail/filter/bayes_scorer.hpp"
#include "mail/filter/clamd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::filter;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bayes::tokenize_limits lim;
  lim.max_message_bytes = 256 * 1024;
  lim.max_text_bytes = 64 * 1024;
  (void)bayes::tokenize(in, lim);
  std::vector<std::string> toks;
  (void)bayes::html_to_text(in.substr(0, 64 * 1024), toks);
  (void)parse_clamd_reply(in.substr(0, 4096));
  (void)parse_clamd_address(in.substr(0, 300));
  (void)from_address(in);
  (void)bayes::registered_domain(in.substr(0, 300));
  return 0;
}
