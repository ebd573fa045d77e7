#include "app/db_stores.hpp"

#include "auth/sql_throttle_state.hpp"
#include "core/blob/store.hpp"
#include "dav/store/shares.hpp"
#include "dav/store/store.hpp"
#include "directory/directory.hpp"
#include "mail/filter/bayes/token_store.hpp"
#include "mail/filter/decision_store.hpp"
#include "mail/filter/greylist.hpp"
#include "mail/queue/store.hpp"
#include "mail/queue/sts_cache.hpp"
#include "mail/reports/store.hpp"
#include "mail/sieve_store/store.hpp"
#include "mail/store/acl.hpp"
#include "mail/store/seen.hpp"
#include "mail/store/store.hpp"
#include "web/admin/token_store.hpp"
#include "web/session_store.hpp"
#include "web/totp_store.hpp"
#include "xmpp/modules/muc/store.hpp"
#include "xmpp/modules/push/store.hpp"
#include "xmpp/modules/upload/store.hpp"
#include "xmpp/sasl2/token_store.hpp"
#include "xmpp/store/registry.hpp"
#include "xmpp/store/store.hpp"

namespace hearth::app {

namespace {

// Opens with `f` and drops the store: only the migrations matter here.
template <class F>
std::function<result<void>(const std::string&, const std::filesystem::path&)> opens(F f) {
  return [f](const std::string& target, const std::filesystem::path& data_dir) -> result<void> {
    auto s = f(target, data_dir);
    if (!s) return s.error();
    return {};
  };
}

using path = std::filesystem::path;

}  // namespace

const std::vector<store_schema>& store_schemas() {
  static const std::vector<store_schema> all = {
      {"directory", "hearth.db", opens([](const std::string& t, const path&) { return directory::directory::open(t); })},
      {"mail", "hearth.db", opens([](const std::string& t, const path& d) {
         blob::store blobs(d / "blobs");
         return mail::store::open(t, blobs);
       })},
      {"mail_acl", "hearth.db", opens([](const std::string& t, const path&) { return mail::acl_store::open(t); })},
      {"mail_seen", "hearth.db", opens([](const std::string& t, const path&) { return mail::seen_store::open(t); })},
      {"queue", "hearth.db", opens([](const std::string& t, const path& d) { return mail::queue::store::open(d, t); })},
      {"queue_sts", "hearth.db", opens([](const std::string& t, const path&) { return mail::queue::open_sts_cache(t); })},
      // Written only on PostgreSQL (several nodes); listed so that a copy back to SQLite
      // knows its tables.
      {"auth_throttle", "hearth.db",
       opens([](const std::string& t, const path&) { return auth::open_sql_throttle_state(t); })},
      {"greylist", "hearth.db",
       opens([](const std::string& t, const path&) { return mail::filter::greylist::open(t, {}); })},
      {"sieve", "hearth.db",
       opens([](const std::string& t, const path&) { return mail::sieve_store::store::open(t, {}); })},
      {"dav", "hearth.db", opens([](const std::string& t, const path&) { return dav::store::open(t); })},
      {"dav_shares", "hearth.db", opens([](const std::string& t, const path&) { return dav::share_store::open(t); })},
      {"upload", "hearth.db", opens([](const std::string& t, const path&) { return xmpp::upload::open_store(t); })},
      {"web", "hearth.db", opens([](const std::string& t, const path&) { return web::open_session_store(t); })},
      {"web_totp", "hearth.db", opens([](const std::string& t, const path&) { return web::open_totp_store(t); })},
      {"web_tokens", "hearth.db",
       opens([](const std::string& t, const path&) { return web::admin::open_token_store(t); })},
      {"xmpp", "xmpp.db", opens([](const std::string& t, const path&) { return xmpp::store::open(t); })},
      {"muc", "xmpp.db", opens([](const std::string& t, const path&) { return xmpp::muc::open_store(t); })},
      {"push", "xmpp.db", opens([](const std::string& t, const path&) { return xmpp::push::open_store(t); })},
      // Only nodes on PostgreSQL write it; a copy carries what a node killed with -9 left, which
      // the node forgets at its next start.
      {"xmpp_registry", "xmpp.db", opens([](const std::string& t, const path&) {
         return xmpp::open_session_registry(t, std::chrono::seconds(90));
       })},
      {"fast", "xmpp.db",
       opens([](const std::string& t, const path&) { return xmpp::sasl2::open_token_store(t, "schema only"); })},
      {"decisions", "decisions.db",
       opens([](const std::string& t, const path&) { return mail::filter::open_decision_store(t); })},
      {"spam", "spam.db",
       opens([](const std::string& t, const path&) { return mail::filter::bayes::open_token_store(t); })},
      {"reports", "reports.db", opens([](const std::string& t, const path&) { return mail::reports::open_store(t); })},
  };
  return all;
}

}  // namespace hearth::app
