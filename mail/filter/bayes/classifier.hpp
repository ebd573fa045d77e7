// The learning spam filter's model: Robinson's per-token probability with Fisher's
// chi-square combining, as SpamBayes computes it (and SpamAssassin's Bayes after it). Pure,
// thread-safe.
//
// For each token with s spam and h ham occurrences among NS spam and NH ham trained messages:
//   p = (s/NS) / (s/NS + h/NH)              the token's spamminess
//   f = (S*x + n*p) / (S + n), n = s + h    pulled toward x (0.5) when seldom seen
// Tokens with |f - 0.5| < min_dev say nothing and are dropped; of the others the max_clues
// most extreme are combined, taking at most max_per_group from each group of correlated
// tokens (clue_group below):
//   H = 1 - C(-2 ln prod(f), 2k), S = 1 - C(-2 ln prod(1-f), 2k), score = (1 + S - H) / 2
// with C the chi-square survival function. The score is near 1 when the evidence is spammy,
// near 0 when hammy, and near 0.5 both when it says nothing and when it says both
// (the unsure zone between ham_cutoff and spam_cutoff).
//
// Why groups: chi-square treats its clues as independent, and some tokens never are. Every
// HTML newsletter shows html:font, html:table, ct:text/html, cte:quoted-printable... at once,
// each around 0.92 because most HTML mail in a training set is spam; counted as ten
// independent pieces of evidence they outvote the words, and wanted commercial newsletters
// scored 0.9997 on the SpamAssassin corpus. The same holds for one
// domain seen in To, Received, Message-ID and Reply-To, and for runs of unspaced text. One
// clue per group keeps what the shape says without saying it ten times (across the three
// splits of the corpus: half the false positives, a fifth fewer missed spam).
//
// Why chi-square rather than OSB with learned weights: on the SpamAssassin public corpus
// (bench/bench_spam.py) it gives the false-positive rate we want with unigram tokens, is
// explainable token by token (`hearth spam classify`), and learns one message at a time with
// only counters, so unlearning is an exact subtraction.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::filter::bayes {

struct counts {
  std::uint64_t spam = 0;
  std::uint64_t ham = 0;
};

struct model_options {
  double strength = 0.45;     // S: how much an unknown token's prior weighs
  double prior = 0.5;         // x: an unknown token's spamminess
  double min_dev = 0.1;       // tokens closer than this to 0.5 are ignored
  std::size_t max_clues = 150;
  std::size_t max_per_group = 1;  // clues taken from one clue_group; 0: no limit
  double ham_cutoff = 0.20;   // below: ham
  double spam_cutoff = 0.90;  // at or above: spam; between: unsure
  std::uint64_t min_spam = 200;  // trained spam and ham needed before the model votes
  std::uint64_t min_ham = 200;
};

struct clue {
  std::string token;
  double prob = 0.5;
  counts seen;
};

enum class bayes_class { untrained, ham, unsure, spam };

struct classification {
  bayes_class verdict = bayes_class::untrained;
  double score = 0.5;        // 0 = ham .. 1 = spam
  std::vector<clue> clues;   // the tokens used, most extreme first
  counts trained;            // the message totals the model had
};

// `token_counts[i]` are the counts of `tokens[i]`; `trained` the numbers of trained messages.
// With fewer than min_spam / min_ham trained, the result is `untrained` with score 0.5 (the
// clues are still computed, for `hearth spam classify`).
classification classify(const std::vector<std::string>& tokens, const std::vector<counts>& token_counts,
                        counts trained, const model_options& o = {});

// The group of correlated tokens `token` belongs to, "" when it stands alone:
//   "shape"          the message's structure (html:, ct:, cte:, charset:, hdr:, meta:, xmailer:)
//   "skip"           runs of text too long to be words (skip:)
//   "domain:D"       a host or address token of the header or links whose registered
//                    domain is D (from:, to:, cc:, reply-to:, sender:, received:, msgid:,
//                    url:, email:), whatever field it came from
std::string clue_group(std::string_view token);

// The chi-square survival function Q(x2, v) for even v: P(X >= x2), X ~ chi2(v).
double chi2_q(double x2, unsigned v);

const char* class_name(bayes_class c);

}  // namespace hearth::mail::filter::bayes
