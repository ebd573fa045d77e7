// The learning spam filter put together: tokenizer + token store + model. What the SMTP
// scorer, the IMAP learner and `hearth spam` call. Thread-safe (the store is).
//
// Owners: "" is the site-wide database; an account address is that user's own. Classifying
// for a user sums both (so a user's own lessons weigh twice: once in the site counts, once in
// theirs); learning for a user also counts in the site database when `also_site` is set, so
// that one user's lessons help everyone from the first day.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/filter/bayes/classifier.hpp"
#include "mail/filter/bayes/token_store.hpp"
#include "mail/filter/bayes/tokenize.hpp"

namespace hearth::mail::filter::bayes {

class engine {
 public:
  engine(std::shared_ptr<token_store> store, model_options model = {}, tokenize_limits limits = {})
      : store_(std::move(store)), model_(model), limits_(limits) {}

  // Errors: the store's ("db.*").
  result<classification> classify(std::string_view message, std::string_view owner) const;
  // classify() for a caller that uses only the verdict and score (the SMTP scorer): while the
  // model has too few trained messages to vote, the answer is `untrained` without clues and the
  // message is not tokenized, which is most of classify()'s cost. Errors: the store's.
  result<classification> verdict(std::string_view message, std::string_view owner) const;
  // The item to pass to learn_batch (tokenized here, written there). `key` is the message's
  // blob id (blob::id_of of its bytes).
  learn_item lesson(std::string_view owner, std::string key, std::string_view message, bool spam, bool also_site) const;
  result<std::vector<learn_outcome>> learn_batch(const std::vector<learn_item>& items) { return store_->learn(items); }

  token_store& store() { return *store_; }
  const model_options& model() const { return model_; }

 private:
  std::shared_ptr<token_store> store_;
  model_options model_;
  tokenize_limits limits_;
};

// What a user did, as far as the spam filter cares, and what it teaches. Special-use
// attributes are RFC 6154's ("\\Junk", "\\Trash").
struct user_move {
  std::string verb;          // "append", "copy", "move", "store"
  std::string from_special;  // of the source mailbox ("" when none or for APPEND)
  std::string to_special;    // of the mailbox the messages are in now
  std::vector<std::string> flags;  // STORE: the flags set; APPEND: the message's flags
};
// true: learn as spam; false: learn as ham; nullopt: nothing to learn.
//   into Junk (MOVE/COPY/APPEND)             spam
//   MOVE out of Junk, not to Trash           ham
//   STORE (or APPEND with) $Junk / Junk      spam
//   STORE (or APPEND with) $NotJunk / NotJunk / NonJunk   ham   (Thunderbird, K-9, Roundcube)
std::optional<bool> lesson_of(const user_move& m);

}  // namespace hearth::mail::filter::bayes
