#include "mail/filter/bayes_scorer.hpp"

#include <set>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::filter {

contribution bayes_test(const bayes::classification& c, const bayes::model_options& m, const bayes_scorer_options& o) {
  using bayes::bayes_class;
  switch (c.verdict) {
    case bayes_class::untrained: return {};
    case bayes_class::spam:
      return c.score >= 0.99 ? contribution{"BAYES_99", o.spam_score} : contribution{"BAYES_90", o.spam_score * 0.85};
    case bayes_class::unsure: return {"BAYES_50", 0};
    case bayes_class::ham:
      return c.score < 0.01 ? contribution{"BAYES_00", o.ham_score} : contribution{"BAYES_05", o.ham_score / 2};
  }
  (void)m;
  return {};
}

std::string from_address(std::string_view message) {
  header_limits hl;
  hl.max_section = 64 * 1024;
  auto h = parse_header(message.substr(0, std::min<std::size_t>(message.size(), 128 * 1024)), hl);
  const header_field* f = h.find("from");
  if (!f) return {};
  auto list = parse_address_list(f->value);
  for (const auto& a : list.mailboxes())
    if (!a.local_part.empty() && !a.domain.empty()) return util::to_lower(a.addr_spec());
  return {};
}

std::vector<contribution> bayes_scorer::score(std::string_view message, const scorer_input& in) {
  std::set<std::string> accounts;
  for (const auto& r : in.recipients) {
    auto a = account_of_ ? account_of_(r) : std::string();
    if (!a.empty()) accounts.insert(a);
  }
  const std::string owner = accounts.size() == 1 ? *accounts.begin() : std::string();
  auto c = e_->verdict(message, owner);
  if (!c) {
    log::warn("spam.classify_failed", {{"code", c.error().code}, {"error", c.error().message}});
    return {};
  }
  auto t = bayes_test(*c, e_->model(), o_);
  if (t.symbol.empty()) return {};
  std::vector<contribution> out{t};
  // Known senders: only a test that would send the message to Junk is taken back.
  if (t.score > 0 && in.score_so_far + t.score >= in.threshold && known_ && !accounts.empty()) {
    bool dmarc_fail = false;
    if (in.results) {
      auto d = in.results->find("dmarc");
      dmarc_fail = d != in.results->end() && d->second == "fail";
    }
    std::string from = from_address(message);
    bool all_know = !dmarc_fail && !from.empty();
    for (const auto& a : accounts) all_know = all_know && known_(a, from);
    if (all_know) out.push_back({"KNOWN_SENDER", -t.score});
  }
  return out;
}

}  // namespace hearth::mail::filter
