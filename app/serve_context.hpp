// What `hearth serve` hands each protocol area at start-up, and the hooks the areas fill in.
//
// serve.cpp builds the shared pieces (config, directory, authenticator, blob store, event bus,
// mail store, HTTPS router), then calls install_mail, install_imap, install_dav and
// install_xmpp in that order. Each hook puts a handler into `handlers` for the services it
// serves, registers its HTTPS routes on `routes`, and keeps whatever must live as long as the
// server in `keep` (queues, stores, caches). Services nobody claims get the placeholder session
// (app/placeholder_sessions.hpp). After the server stops, `on_stop` runs in reverse order,
// before any of the shared pieces is destroyed.
//
// A hook returns false after logging why (serve then exits 1); it runs on the main thread
// before any listener accepts, so it may block (open databases, run migrations).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/config/config.hpp"
#include "core/net/server.hpp"
#include "core/util/result.hpp"
#include "mail/message/pieces.hpp"

namespace hearth::auth {
class authenticator;
}
namespace hearth::blob {
class store;
}
namespace hearth::directory {
class directory;
}
namespace hearth::events {
class bus;
}
namespace hearth::http {
class router;
class live_routes;
}
namespace hearth::mail {
class store;
}
namespace hearth::mail::sieve_store {
class store;
}
namespace hearth::tls {
class context_set;
}

namespace hearth::app {

struct serve_context {
  const config::config& cfg;
  net::server& server;
  tls::context_set& tls;
  directory::directory& dir;
  auth::authenticator& authn;
  blob::store& blobs;   // DATA_DIR/blobs
  events::bus& bus;
  mail::store& mail;    // DATA_DIR/hearth.db, shared by SMTP delivery, IMAP and POP3
  http::router& routes;
  http::live_routes& live_routes;  // WebSocket upgrades and long polls (core/http/live_routes.hpp)

  std::map<config::service, net::handler> handlers;
  std::vector<std::shared_ptr<void>> keep;
  std::vector<std::function<void()>> on_stop;
  // Set by install_managesieve, which runs first: the Sieve scripts, for delivery as well.
  mail::sieve_store::store* scripts = nullptr;
  // A chat message from the server to a local JID (Sieve's xmpp: notifications); filled in by
  // install_xmpp, called by mail delivery. False when it could not be routed.
  std::shared_ptr<std::function<bool(const std::string& jid, const std::string& text)>> chat =
      std::make_shared<std::function<bool(const std::string&, const std::string&)>>();
  // Mail a local user sends through the server itself (DAV's iMIP invitations and replies):
  // cleaned, DKIM-signed and queued like a submission. Filled in by install_mail.
  using send_fn = std::function<result<void>(const std::string& from, const std::vector<std::string>& to,
                                             const std::string& message)>;
  std::shared_ptr<send_fn> send_mail = std::make_shared<send_fn>();
  // Sees each local delivery's copy (account, trace fields + message, and the account that
  // sent it by authenticated submission or "") before Sieve files it: DAV's iMIP in. For a
  // large message (mail/smtp/server/delivery.hpp's large_message) `copy` is the trace fields
  // and the header section, and `body` reads the whole body in pieces; else `body` is null.
  // Filled in by install_dav, called by mail delivery; must not throw.
  using copy_observer = std::function<void(const std::string& account, const std::string& copy,
                                           const std::string& auth_user, const mail::body_pieces* body)>;
  std::shared_ptr<copy_observer> observe_copy = std::make_shared<copy_observer>();
};

bool install_managesieve(serve_context& ctx);  // serve_managesieve.cpp: the script store, managesieve
bool install_mail(serve_context& ctx);  // serve_mail.cpp: smtp, submission, submissions; the queue
bool install_imap(serve_context& ctx);  // serve_imap.cpp: imap, imaps, pop3, pop3s
bool install_dav(serve_context& ctx);   // serve_dav.cpp: CalDAV/CardDAV routes
bool install_xmpp(serve_context& ctx);  // serve_xmpp.cpp: xmpp_client(s), xmpp_server(s)
bool install_backup(serve_context& ctx);  // serve_backup.cpp: the [backup] schedule
bool install_web(serve_context& ctx);     // serve_web.cpp: the web console (/api/v1 and its pages)

}  // namespace hearth::app
