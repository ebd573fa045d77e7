// The spam verdict: the sum of the score contributions of every check, two
// thresholds, the X-Spam-Status / X-Spam-Score fields. Pure and thread-safe.
//
// The learning filter (a later issue) plugs in as a `scorer`: it sees the message and the
// contributions so far and adds its own (a symbol and a score) before the verdict is taken.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::filter {

struct contribution {
  std::string symbol;  // "RDNS_NONE", "DNSBL_bl.example", "BAYES_SPAM"
  double score = 0;
};

// What a scorer knows of the transaction besides the message.
struct scorer_input {
  std::string sender;                     // envelope MAIL FROM address ("" for <>)
  std::vector<std::string> recipients;    // envelope RCPT TO addresses
  double score_so_far = 0;
  double threshold = 5;                   // verdict_options::threshold
  const std::map<std::string, std::string>* results = nullptr;  // transaction_state::results
};

// A source of score contributions over the whole message (the learning filter). Called on
// the blocking pool; must be thread-safe.
class scorer {
 public:
  virtual ~scorer() = default;
  virtual const char* name() const = 0;
  virtual std::vector<contribution> score(std::string_view message, const scorer_input& in) = 0;
};

struct verdict_options {
  double threshold = 5.0;         // at or above: spam, delivered to Junk
  double reject_threshold = 15.0; // at or above: refused 550 5.7.1
};

enum class spam_action { deliver, junk, reject };

struct spam_verdict {
  double score = 0;
  spam_action action = spam_action::deliver;
  std::string fields;  // "X-Spam-Status: ...\r\nX-Spam-Score: ...\r\n" (folded when long)
};

// `symbols` are the "NAME(score)" entries of transaction_state::symbols.
spam_verdict decide(double score, const std::vector<std::string>& symbols, const verdict_options& o);

// "NAME(1.5)" for the symbol list.
std::string symbol_text(std::string_view name, double score);

}  // namespace hearth::mail::filter
