// The learning spam filter (mail/filter/bayes) and the antivirus (mail/filter/antivirus.hpp)
// wired into `hearth serve`: the scorer of the SMTP verdict, the IMAP learner, and the
// look-ups that cross areas, which only app/ may do: a recipient's CardDAV contacts (dav/) and
// the addresses they wrote to (their Sent folder) count as known senders.
#include "app/serve_spam.hpp"

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <set>
#include <unordered_map>

#include "app/common.hpp"
#include "core/blob/store.hpp"
#include "core/events/bus.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "dav/store/store.hpp"
#include "mail/filter/antivirus.hpp"
#include "mail/filter/bayes_scorer.hpp"
#include "mail/filter/learner.hpp"
#include "mail/imap/server/state.hpp"
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {
namespace {

namespace mf = mail::filter;

bool read_double(const char* key, const std::string& text, double& out, double lo, double hi) {
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < lo || v > hi) {
    log::error("filter.config", {{"key", key}, {"value", text},
                                 {"error", "expected a number from " + std::to_string(lo) + " to " + std::to_string(hi)}});
    return false;
  }
  out = v;
  return true;
}

// The addresses of a vCard's EMAIL properties (any group, any parameters), lower case.
void vcard_emails(std::string_view card, std::set<std::string>& out) {
  std::string unfolded;
  unfolded.reserve(card.size());
  for (std::size_t i = 0; i < card.size(); ++i) {
    if (card[i] == '\r') continue;
    if (card[i] == '\n' && i + 1 < card.size() && (card[i + 1] == ' ' || card[i + 1] == '\t')) {
      ++i;
      continue;
    }
    unfolded += card[i];
  }
  for (auto line : util::split(unfolded, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = util::to_lower(line.substr(0, std::min(colon, line.find(';'))));
    if (auto dot = name.rfind('.'); dot != std::string::npos) name = name.substr(dot + 1);
    if (name != "email") continue;
    std::string v = util::to_lower(util::trim(line.substr(colon + 1)));
    if (v.starts_with("mailto:")) v = v.substr(7);
    if (v.find('@') != std::string::npos && v.size() < 320) out.insert(v);
  }
}

// Who each account knows: its address books' EMAILs (re-read after a CardDAV change) and the
// To/Cc/Bcc of its Sent folder (read once, then only the messages added since).
class known_senders {
 public:
  known_senders(std::shared_ptr<dav::store> dav, mail::store& mail, blob::store& blobs, events::bus& bus)
      : dav_(std::move(dav)), mail_(mail), blobs_(blobs) {
    sub_ = bus.subscribe("dav.change", [this](const events::event& e) {
      std::lock_guard lk(mu_);
      // A resync (another node's events may be lost) may stand for any user's change.
      if (e.resync)
        for (auto& [name, u] : users_) u.contacts_fresh = false;
      else if (auto it = users_.find(e.key); it != users_.end())
        it->second.contacts_fresh = false;
    });
  }

  bool knows(std::string_view account, std::string_view address) {
    std::lock_guard lk(mu_);
    auto& u = users_[std::string(account)];
    if (!u.contacts_fresh) load_contacts(std::string(account), u);
    if (u.contacts.count(std::string(address))) return true;
    load_sent(std::string(account), u);
    return u.sent.count(std::string(address)) > 0;
  }

 private:
  struct user {
    bool contacts_fresh = false;
    std::set<std::string> contacts;
    std::set<std::string> sent;
    std::uint32_t sent_validity = 0;
    std::uint32_t sent_next = 1;  // first uid not read yet
  };
  static constexpr std::size_t max_sent_scan = 5000;

  void load_contacts(const std::string& account, user& u) {
    u.contacts.clear();
    u.contacts_fresh = true;
    if (!dav_) return;
    auto books = dav_->collections(account, dav::kind::addressbook);
    if (!books) return;
    for (const auto& b : *books) {
      auto objs = dav_->objects(b.id, true);
      if (!objs) continue;
      for (const auto& o : *objs) vcard_emails(o.data, u.contacts);
    }
  }

  void load_sent(const std::string& account, user& u) {
    auto boxes = mail_.list(account);
    if (!boxes) return;
    const mail::mailbox_info* sent = nullptr;
    for (const auto& b : *boxes)
      if (b.special_use == "\\Sent") sent = &b;
    if (!sent) return;
    if (sent->uidvalidity != u.sent_validity) {
      u.sent.clear();
      u.sent_validity = sent->uidvalidity;
      u.sent_next = 1;
    }
    if (sent->uidnext <= u.sent_next) return;
    auto msgs = mail_.fetch(account, sent->name, {{u.sent_next, mail::uid_max}});
    if (!msgs) return;
    std::size_t from = msgs->size() > max_sent_scan ? msgs->size() - max_sent_scan : 0;
    for (std::size_t i = from; i < msgs->size(); ++i) {
      auto head = blobs_.head((*msgs)[i].blob_id, 64 * 1024);
      if (!head) continue;
      auto h = mail::parse_header(*head);
      for (const char* f : {"to", "cc", "bcc"})
        for (const auto* field : h.find_all(f))
          for (const auto& a : mail::parse_address_list(field->value).mailboxes())
            if (!a.local_part.empty() && !a.domain.empty()) u.sent.insert(util::to_lower(a.addr_spec()));
    }
    u.sent_next = sent->uidnext;
  }

  std::shared_ptr<dav::store> dav_;
  mail::store& mail_;
  blob::store& blobs_;
  std::mutex mu_;
  std::unordered_map<std::string, user> users_;
  events::subscription sub_;
};

std::weak_ptr<mf::bayes::engine> shared_engine;

std::shared_ptr<mf::bayes::engine> engine_for(serve_context& ctx) {
  if (auto e = shared_engine.lock()) return e;
  auto e = open_spam_engine(ctx.cfg);
  if (e) {
    ctx.keep.push_back(e);
    shared_engine = e;
  }
  return e;
}

}  // namespace

bool spam_model_options(const config::config& c, mf::bayes::model_options& m) {
  m.min_spam = c.filter_bayes_min_spam;
  m.min_ham = c.filter_bayes_min_ham;
  if (!read_double("filter.bayes.spam_cutoff", c.filter_bayes_spam_cutoff, m.spam_cutoff, 0.5, 1) ||
      !read_double("filter.bayes.ham_cutoff", c.filter_bayes_ham_cutoff, m.ham_cutoff, 0, 0.5))
    return false;
  return true;
}

bool spam_scorer_options(const config::config& c, mf::bayes_scorer_options& so) {
  return read_double("filter.bayes.spam_score", c.filter_bayes_spam_score, so.spam_score, 0, 100) &&
         read_double("filter.bayes.ham_score", c.filter_bayes_ham_score, so.ham_score, -100, 0);
}

std::shared_ptr<mf::bayes::engine> open_spam_engine(const config::config& c) {
  mf::bayes::model_options m;
  if (!spam_model_options(c, m)) return nullptr;
  auto st = mf::bayes::open_token_store(database_target(c, "spam.db"));
  if (!st) {
    log::error("spam.store", {{"database", database_name(c, "spam.db")}, {"code", st.error().code},
                              {"error", st.error().message}});
    return nullptr;
  }
  return std::make_shared<mf::bayes::engine>(std::shared_ptr<mf::bayes::token_store>(std::move(*st)), m);
}

bool make_spam_scorer(serve_context& ctx, directory::directory& dir, std::shared_ptr<mf::scorer>& out) {
  const auto& c = ctx.cfg;
  if (!c.filter_bayes_enabled) return true;
  mf::bayes_scorer_options so;
  if (!spam_scorer_options(c, so)) return false;
  auto e = engine_for(ctx);
  if (!e) return false;
  mf::account_of_fn account_of = [&dir](std::string_view address) -> std::string {
    for (const auto& a : dir.resolve(address))
      if (auto acc = dir.find_account(a)) return acc->address;
    return {};
  };
  mf::known_sender_fn known;
  if (c.filter_bayes_trust_contacts) {
    std::shared_ptr<dav::store> dav;
    if (auto d = dav::store::open(database_target(c))) dav = std::shared_ptr<dav::store>(std::move(*d));
    else log::warn("spam.contacts", {{"error", d.error().message}});
    auto ks = std::make_shared<known_senders>(dav, ctx.mail, ctx.blobs, ctx.bus);
    ctx.keep.push_back(ks);
    known = [ks](std::string_view account, std::string_view address) { return ks->knows(account, address); };
  }
  out = std::make_shared<mf::bayes_scorer>(e, so, std::move(account_of), std::move(known));
  auto t = e->store().totals("");
  log::info("spam.bayes", {{"database", database_name(c, "spam.db")},
                           {"site_spam", t ? t->spam : 0}, {"site_ham", t ? t->ham : 0},
                           {"min_spam", std::uint64_t(c.filter_bayes_min_spam)},
                           {"min_ham", std::uint64_t(c.filter_bayes_min_ham)}});
  return true;
}

bool install_antivirus(serve_context& ctx, mail_checks& checks) {
  const auto& c = ctx.cfg;
  if (c.filter_antivirus_clamd.empty()) return true;
  mf::antivirus_options o;
  auto t = mf::parse_clamd_address(c.filter_antivirus_clamd);
  if (!t) {
    log::error("filter.config", {{"key", "filter.antivirus.clamd"}, {"value", c.filter_antivirus_clamd},
                                 {"error", "expected a Unix socket path or host:port"}});
    return false;
  }
  if (c.filter_antivirus_on_error != "defer" && c.filter_antivirus_on_error != "accept") {
    log::error("filter.config", {{"key", "filter.antivirus.on_error"}, {"value", c.filter_antivirus_on_error},
                                 {"error", "expected \"defer\" or \"accept\""}});
    return false;
  }
  o.target = *t;
  o.clamd.timeout = std::chrono::seconds(c.filter_antivirus_timeout);
  o.clamd.max_stream_bytes = c.filter_antivirus_max_stream_bytes;
  o.on_submission = c.filter_antivirus_submission;
  o.accept_on_error = c.filter_antivirus_on_error == "accept";
  checks.late.insert(checks.late.begin(), std::make_shared<mf::antivirus_filter>(std::move(o)));
  log::info("filter.antivirus", {{"clamd", c.filter_antivirus_clamd}, {"submission", c.filter_antivirus_submission},
                                 {"on_error", c.filter_antivirus_on_error}});
  return true;
}

bool install_spam_learner(serve_context& ctx, mail::imap::server_env& env) {
  const auto& c = ctx.cfg;
  if (!c.filter_bayes_learn) return true;
  auto e = engine_for(ctx);
  if (!e) return false;
  mf::learner_options lo;
  lo.also_site = c.filter_bayes_learn_site_wide;
  // A test hook: tests set it to show that what is learnt does not depend on where the
  // messages are by the time the learner reads them.
  if (const char* d = std::getenv("HEARTH_TEST_LEARN_DELAY_MS"); d && *d) lo.delay = std::chrono::milliseconds(std::atoi(d));
  auto l = std::make_shared<mf::learner>(e, ctx.mail, ctx.blobs, lo);
  ctx.keep.push_back(l);
  ctx.on_stop.push_back([l] { l->stop(); });
  env.on_user_action = [l](const mail::imap::user_action& a) {
    l->submit({a.account, a.verb, a.from, a.to, a.blobs, a.uids, a.flags});
  };
  return true;
}

}  // namespace hearth::app
