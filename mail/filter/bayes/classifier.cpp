#include "mail/filter/bayes/classifier.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include "mail/filter/bayes/tokenize.hpp"

namespace hearth::mail::filter::bayes {

double chi2_q(double x2, unsigned v) {
  // Q = exp(-m) * sum_{i < v/2} m^i / i!, m = x2/2; summed in log space so that a large m
  // does not underflow exp(-m) before the terms grow.
  const double m = x2 / 2.0;
  if (m <= 0) return 1.0;
  double log_term = -m, sum = std::exp(log_term);
  const double log_m = std::log(m);
  for (unsigned i = 1; i < v / 2; ++i) {
    log_term += log_m - std::log(static_cast<double>(i));
    sum += std::exp(log_term);
  }
  return std::min(sum, 1.0);
}

std::string clue_group(std::string_view token) {
  static constexpr std::array<std::string_view, 7> shape = {"html", "ct", "cte", "charset", "hdr", "meta", "xmailer"};
  static constexpr std::array<std::string_view, 9> hosts = {"from", "to", "cc", "reply-to", "sender",
                                                           "received", "msgid", "url", "email"};
  const auto colon = token.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  const std::string_view prefix = token.substr(0, colon);
  if (std::find(shape.begin(), shape.end(), prefix) != shape.end()) return "shape";
  if (prefix == "skip") return "skip";
  if (std::find(hosts.begin(), hosts.end(), prefix) == hosts.end()) return {};
  // The value is after the last ':' ("to:domain:example.org", "received:ip:192.0"); of an
  // address, its domain. Only a dotted value names a host (not "from:name:joe", "to:none").
  std::string_view v = token.substr(token.rfind(':') + 1);
  if (auto at = v.rfind('@'); at != std::string_view::npos) v = v.substr(at + 1);
  if (v.find('.') == std::string_view::npos) return {};
  return "domain:" + registered_domain(v);
}

const char* class_name(bayes_class c) {
  switch (c) {
    case bayes_class::untrained: return "untrained";
    case bayes_class::ham: return "ham";
    case bayes_class::unsure: return "unsure";
    case bayes_class::spam: return "spam";
  }
  return "?";
}

classification classify(const std::vector<std::string>& tokens, const std::vector<counts>& token_counts,
                        counts trained, const model_options& o) {
  classification out;
  out.trained = trained;
  const double ns = static_cast<double>(std::max<std::uint64_t>(trained.spam, 1));
  const double nh = static_cast<double>(std::max<std::uint64_t>(trained.ham, 1));
  std::vector<clue> clues;
  const std::size_t n = std::min(tokens.size(), token_counts.size());
  for (std::size_t i = 0; i < n; ++i) {
    const counts& c = token_counts[i];
    if (c.spam == 0 && c.ham == 0) continue;
    // A token can be counted more often than the messages of its class after an unlearn race;
    // clamp so the ratios stay probabilities.
    const double sr = std::min(1.0, static_cast<double>(c.spam) / ns);
    const double hr = std::min(1.0, static_cast<double>(c.ham) / nh);
    const double p = sr + hr > 0 ? sr / (sr + hr) : o.prior;
    const double cnt = static_cast<double>(c.spam + c.ham);
    const double f = (o.strength * o.prior + cnt * p) / (o.strength + cnt);
    if (std::fabs(f - 0.5) < o.min_dev) continue;
    clues.push_back({tokens[i], f, c});
  }
  std::sort(clues.begin(), clues.end(), [](const clue& a, const clue& b) {
    const double da = std::fabs(a.prob - 0.5), db = std::fabs(b.prob - 0.5);
    return da != db ? da > db : a.token < b.token;
  });
  if (o.max_per_group > 0) {
    std::unordered_map<std::string, std::size_t> taken;
    std::vector<clue> kept;
    kept.reserve(std::min(clues.size(), o.max_clues));
    for (auto& c : clues) {
      if (kept.size() >= o.max_clues) break;
      auto g = clue_group(c.token);
      if (!g.empty() && ++taken[g] > o.max_per_group) continue;
      kept.push_back(std::move(c));
    }
    clues = std::move(kept);
  }
  if (clues.size() > o.max_clues) clues.resize(o.max_clues);
  if (!clues.empty()) {
    double log_h = 0, log_s = 0;
    for (const auto& c : clues) {
      const double f = std::clamp(c.prob, 1e-6, 1 - 1e-6);
      log_h += std::log(f);
      log_s += std::log(1 - f);
    }
    const unsigned v = 2 * static_cast<unsigned>(clues.size());
    const double h = 1 - chi2_q(-2 * log_h, v);
    const double s = 1 - chi2_q(-2 * log_s, v);
    out.score = (1 + s - h) / 2;
  }
  out.clues = std::move(clues);
  if (trained.spam < o.min_spam || trained.ham < o.min_ham) {
    out.verdict = bayes_class::untrained;
  } else if (out.score >= o.spam_cutoff) {
    out.verdict = bayes_class::spam;
  } else if (out.score < o.ham_cutoff) {
    out.verdict = bayes_class::ham;
  } else {
    out.verdict = bayes_class::unsure;
  }
  return out;
}

}  // namespace hearth::mail::filter::bayes
