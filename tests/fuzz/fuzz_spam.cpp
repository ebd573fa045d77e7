// The learning spam filter's parsers: the tokenizer over a whole message (MIME, HTML,
// addresses, Received), the HTML reduction on its own, the clamd reply and address syntax,
// the From address of the scorer, and the classifier's grouping of tokens (clue_group reads
// token text that comes from the message).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/filter/bayes/classifier.hpp"
#include "mail/filter/bayes/tokenize.hpp"
#include "mail/filter/bayes_scorer.hpp"
#include "mail/filter/clamd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::filter;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bayes::tokenize_limits lim;
  lim.max_message_bytes = 256 * 1024;
  lim.max_text_bytes = 64 * 1024;
  auto tokens = bayes::tokenize(in, lim);
  // Every token as a clue (counts from its hash), so that each goes through clue_group.
  std::vector<bayes::counts> counts;
  for (const auto& t : tokens) {
    auto h = bayes::token_hash(t);
    counts.push_back({h % 50, (h >> 8) % 50});
  }
  (void)bayes::classify(tokens, counts, {1000, 1000});
  (void)bayes::clue_group(in.substr(0, 300));
  std::vector<std::string> toks;
  (void)bayes::html_to_text(in.substr(0, 64 * 1024), toks);
  (void)parse_clamd_reply(in.substr(0, 4096));
  (void)parse_clamd_address(in.substr(0, 300));
  (void)from_address(in);
  (void)bayes::registered_domain(in.substr(0, 300));
  return 0;
}
