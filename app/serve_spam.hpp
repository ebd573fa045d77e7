// The learning spam filter and the antivirus in `hearth serve`, and what `hearth spam` shares
// with it (app/cmd_spam.cpp). The token database is DATA_DIR/spam.db.
#pragma once
#include <memory>
#include <string>

#include "app/serve_context.hpp"
#include "app/serve_mail.hpp"
#include "mail/filter/bayes/engine.hpp"
#include "mail/filter/bayes_scorer.hpp"
#include "mail/filter/verdict.hpp"

namespace hearth::mail::imap {
struct server_env;
}

namespace hearth::app {

// Reads [filter.bayes] into model options; logs and returns false on a bad value.
bool spam_model_options(const config::config& c, mail::filter::bayes::model_options& out);
// Reads filter.bayes.spam_score / ham_score; logs and returns false on a bad value.
bool spam_scorer_options(const config::config& c, mail::filter::bayes_scorer_options& out);
// Opens DATA_DIR/spam.db with the configured model. Null (after logging why) on error.
std::shared_ptr<mail::filter::bayes::engine> open_spam_engine(const config::config& c);

// serve: the Bayes scorer for the verdict (null when filter.bayes.enabled is off); `dir`
// (SMTP's cached view) names each message's owner. Returns false on a configuration or
// database error.
bool make_spam_scorer(serve_context& ctx, directory::directory& dir, std::shared_ptr<mail::filter::scorer>& out);
// serve: the clamd filter, first of checks.late, when filter.antivirus.clamd is set.
bool install_antivirus(serve_context& ctx, mail_checks& checks);
// serve: the IMAP learner on env.on_user_action, when filter.bayes.learn is on.
bool install_spam_learner(serve_context& ctx, mail::imap::server_env& env);

}  // namespace hearth::app
