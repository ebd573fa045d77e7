// The learning spam filter as a `scorer` of the SMTP verdict (verdict.hpp): it classifies
// the message for its recipient (the recipient's own database summed with the site's; the
// site's alone when the recipients are several accounts) and adds one test:
//   BAYES_99  score >= 0.99                      spam_score
//   BAYES_90  spam_cutoff <= score < 0.99        spam_score * 0.85
//   BAYES_50  unsure                             0
//   BAYES_05  0.01 <= score < ham_cutoff         ham_score / 2
//   BAYES_00  score < 0.01                       ham_score
// and nothing before the model has its minimum of trained spam and ham.
//
// Mail from someone the recipient knows (a CardDAV contact, an address they wrote to) is
// never sent to Junk by this test: when it would, KNOWN_SENDER takes its score back. The
// sender is the From address, trusted only when DMARC did not fail (a forged From of a
// contact earns no pass).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mail/filter/bayes/engine.hpp"
#include "mail/filter/verdict.hpp"

namespace hearth::mail::filter {

struct bayes_scorer_options {
  double spam_score = 6.0;
  double ham_score = -2.0;
};

// The local account an address delivers to (aliases resolved), "" when not local.
using account_of_fn = std::function<std::string(std::string_view address)>;
// Whether `account` knows `address` (lower case): its contacts, the addresses it wrote to.
using known_sender_fn = std::function<bool(std::string_view account, std::string_view address)>;

class bayes_scorer final : public scorer {
 public:
  bayes_scorer(std::shared_ptr<bayes::engine> e, bayes_scorer_options o, account_of_fn account_of,
               known_sender_fn known)
      : e_(std::move(e)), o_(o), account_of_(std::move(account_of)), known_(std::move(known)) {}
  const char* name() const override { return "bayes"; }
  std::vector<contribution> score(std::string_view message, const scorer_input& in) override;

 private:
  std::shared_ptr<bayes::engine> e_;
  bayes_scorer_options o_;
  account_of_fn account_of_;
  known_sender_fn known_;
};

// The test a classification earns (name and score), empty name for none.
contribution bayes_test(const bayes::classification& c, const bayes::model_options& m, const bayes_scorer_options& o);

// The lower-case addr-spec of the message's first From mailbox, "" when none.
std::string from_address(std::string_view message);

}  // namespace hearth::mail::filter
