#include "mail/filter/bayes/engine.hpp"

#include <algorithm>

#include "core/util/strings.hpp"

namespace hearth::mail::filter::bayes {

namespace {

// The message's tokens looked up and weighed against `trained`.
result<classification> weigh(token_store& store, const tokenize_limits& limits, const model_options& model,
                             std::string_view message, std::string_view owner, counts trained) {
  auto tokens = tokenize(message, limits);
  std::vector<std::uint64_t> hashes;
  hashes.reserve(tokens.size());
  for (const auto& t : tokens) hashes.push_back(token_hash(t));
  auto c = store.lookup(owner, hashes);
  if (!c) return c.error();
  return bayes::classify(tokens, *c, trained, model);
}

}  // namespace

result<classification> engine::classify(std::string_view message, std::string_view owner) const {
  auto tot = store_->totals(owner);
  if (!tot) return tot.error();
  return weigh(*store_, limits_, model_, message, owner, *tot);
}

result<classification> engine::verdict(std::string_view message, std::string_view owner) const {
  auto tot = store_->totals(owner);
  if (!tot) return tot.error();
  if (tot->spam < model_.min_spam || tot->ham < model_.min_ham) {
    classification out;
    out.trained = *tot;
    return out;  // untrained, score 0.5: what classify() would say, without its clues
  }
  return weigh(*store_, limits_, model_, message, owner, *tot);
}

learn_item engine::lesson(std::string_view owner, std::string key, std::string_view message, bool spam,
                          bool also_site) const {
  learn_item it;
  it.owner = std::string(owner);
  it.message = std::move(key);
  it.spam = spam;
  it.also_site = also_site;
  auto tokens = tokenize(message, limits_);
  it.tokens.reserve(tokens.size());
  for (const auto& t : tokens) it.tokens.push_back(token_hash(t));
  std::sort(it.tokens.begin(), it.tokens.end());
  it.tokens.erase(std::unique(it.tokens.begin(), it.tokens.end()), it.tokens.end());
  return it;
}

std::optional<bool> lesson_of(const user_move& m) {
  const bool into_junk = util::iequals(m.to_special, "\\Junk");
  const bool from_junk = util::iequals(m.from_special, "\\Junk");
  if (m.verb == "store" || (m.verb == "append" && !into_junk)) {
    bool spam = false, ham = false;
    for (const auto& f : m.flags) {
      if (util::iequals(f, "$Junk") || util::iequals(f, "Junk")) spam = true;
      if (util::iequals(f, "$NotJunk") || util::iequals(f, "NotJunk") || util::iequals(f, "NonJunk")) ham = true;
    }
    if (spam != ham) return spam;
    return std::nullopt;
  }
  if (m.verb == "append" || m.verb == "copy" || m.verb == "move") {
    if (into_junk) return true;
    if (m.verb == "move" && from_junk && !util::iequals(m.to_special, "\\Trash")) return false;
  }
  return std::nullopt;
}

}  // namespace hearth::mail::filter::bayes
