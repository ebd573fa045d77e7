// XMPP: wired into `hearth serve` (app/serve_context.hpp).
//
// One hub (xmpp/router) over the XMPP store (DATA_DIR/xmpp.db), the modules (one per XEP), and
// the c2s listeners on 5222 (STARTTLS required) and 5223 (direct TLS), and federation
// (xmpp/s2s) on 5269 (STARTTLS) and 5270 (direct TLS) with its own DNS resolver for SRV.
#include "app/common.hpp"
#include "app/serve_context.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "app/serve_services.hpp"
#include "app/serve_xmpp_cluster.hpp"
#include "auth/authenticator.hpp"
#include "core/dns/resolver.hpp"
#include "directory/directory.hpp"
#include "core/log/log.hpp"
#include "core/util/file_modes.hpp"
#include "core/util/strings.hpp"
#include "xmpp/c2s/c2s.hpp"
#include "xmpp/component/component.hpp"
#include "xmpp/modules/modules.hpp"
#include "xmpp/modules/muc/service.hpp"
#include "xmpp/modules/push/service.hpp"
#include "xmpp/modules/upload/service.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/s2s/s2s.hpp"
#include "xmpp/sasl2/token_store.hpp"
#include "xmpp/store/store.hpp"
#include "xmpp/web/web.hpp"

namespace hearth::app {

namespace {

// A component's secret: the first line of a file only the server can read, since whoever
// reads it can speak for the component's whole domain. nullopt (logged) otherwise.
std::optional<std::string> read_component_secret(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    log::error("xmpp.component", {{"secret_file", file.string()}, {"error", "not a readable file"}});
    return std::nullopt;
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    log::error("xmpp.component", {{"secret_file", file.string()}, {"mode", util::octal_mode(st.st_mode & 07777)},
                                  {"error", "must belong to the server's user and be readable by it only (chmod 600)"}});
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.size() > 1024) {
    log::error("xmpp.component", {{"secret_file", file.string()}, {"error", "cannot read a secret line from it"}});
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    log::error("xmpp.component", {{"secret_file", file.string()}, {"error", "the secret is empty"}});
    return std::nullopt;
  }
  return line;
}

// External components (XEP-0114): their domains join the hub before the modules' caps are
// computed; the listener opens only when there is one.
bool install_components(serve_context& ctx, xmpp::hub& hub, const xmpp::parser_limits& limits,
                        std::chrono::seconds idle) {
  if (ctx.cfg.xmpp_components.empty()) return true;
  std::vector<xmpp::component::definition> defs;
  for (const auto& c : ctx.cfg.xmpp_components) {
    auto secret = read_component_secret(c.secret_file);
    if (!secret) return false;
    defs.push_back({util::to_lower(c.domain), c.name, std::move(*secret)});
  }
  xmpp::component::options o;
  o.limits = limits;
  o.idle_timeout = idle;
  auto svc = xmpp::component::install(hub, std::move(defs), o);
  auto port = ctx.server.add_listener("xmpp_component", ctx.cfg.xmpp_component_addresses, ctx.cfg.xmpp_component_port,
                                      config::tls_mode::starttls, xmpp::component::handler(svc));
  if (!port) {
    log::error("xmpp.component.listen", {{"error", port.error().message}});
    return false;
  }
  ctx.keep.push_back(svc);
  return true;
}

}  // namespace

bool install_xmpp(serve_context& ctx) {
  auto st = xmpp::store::open(database_target(ctx.cfg, "xmpp.db"));
  if (!st) {
    log::error("xmpp.store", {{"error", st.error().message}});
    return false;
  }
  std::shared_ptr<xmpp::store> store(std::move(*st));
  xmpp::hub_options ho;
  ho.hostname = ctx.cfg.hostname;
  ho.max_resources = ctx.cfg.xmpp_max_resources;
  ho.offline_limit = ctx.cfg.xmpp_offline_queue;
  auto hub = std::make_shared<xmpp::hub>(ho, *store, ctx.dir);
  // XEP-0215: the STUN/TURN server for calls, before install_all so its feature is in the caps.
  xmpp::modules::extdisco_options eo;
  eo.host = ctx.cfg.xmpp_turn_host;
  eo.port = static_cast<unsigned>(ctx.cfg.xmpp_turn_port);
  eo.turn_secret = ctx.cfg.xmpp_turn_secret;
  eo.credential_ttl = std::chrono::hours(ctx.cfg.xmpp_turn_credential_hours);
  xmpp::modules::install_extdisco(*hub, eo);
  // Push notifications (XEP-0357): registrations in xmpp.db under their own migrations.
  std::shared_ptr<xmpp::push::push_store> push_store;
  if (ctx.cfg.xmpp_push_max_per_account > 0) {
    auto ps = xmpp::push::open_store(database_target(ctx.cfg, "xmpp.db"));
    if (!ps) {
      log::error("xmpp.push.store", {{"error", ps.error().message}});
      return false;
    }
    push_store = std::move(*ps);
    xmpp::push::options po;
    po.summary = ctx.cfg.xmpp_push_summary;
    po.max_per_account = ctx.cfg.xmpp_push_max_per_account;
    po.interval_us = std::int64_t(ctx.cfg.xmpp_push_interval) * 1000000;
    xmpp::push::install(*hub, *push_store, po);
  }
  xmpp::modules::install_all(*hub);
  // Several nodes: sessions bound on the others are reached through the registry.
  std::shared_ptr<void> cluster;
  if (!install_xmpp_cluster(ctx, *hub, cluster)) return false;
  // Sieve's enotify xmpp: method (RFC 5437): a chat message from the server to a local account.
  *ctx.chat = [h = std::weak_ptr<xmpp::hub>(hub), host = ctx.cfg.hostname, &dir = ctx.dir](const std::string& jid,
                                                                                      const std::string& text) {
    auto hb = h.lock();
    try {
      if (!hb || !dir.find_account(jid)) return false;
    } catch (const std::exception&) {
      return false;
    }
    xmpp::element msg("message", "jabber:client");
    msg.set("from", host).set("to", jid).set("type", "chat");
    xmpp::element body("body", "jabber:client");
    body.children.push_back(xmpp::element::text_node(text));
    msg.children.push_back(std::move(body));
    hb->route(std::move(msg));
    return true;
  };
  auto secret = load_or_create_secret(ctx.cfg.data_dir);
  if (!secret) return false;
  // Group chat (XEP-0045) on SUBDOMAIN.DOMAIN of each domain known at start; its rooms live in
  // the same database file under their own migrations.
  std::shared_ptr<xmpp::muc::muc_store> muc_store;
  std::shared_ptr<void> muc;
  if (!ctx.cfg.xmpp_muc_subdomain.empty()) {
    auto ms = xmpp::muc::open_store(database_target(ctx.cfg, "xmpp.db"));
    if (!ms) {
      log::error("xmpp.muc.store", {{"error", ms.error().message}});
      return false;
    }
    muc_store = std::move(*ms);
    xmpp::muc::service_options mo;
    mo.subdomain = ctx.cfg.xmpp_muc_subdomain;
    mo.secret = *secret;
    mo.max_rooms_per_user = ctx.cfg.xmpp_muc_max_rooms_per_user;
    mo.room_limits.max_occupants = ctx.cfg.xmpp_muc_max_occupants;
    mo.room_limits.messages_per_second = ctx.cfg.xmpp_muc_messages_per_second;
    std::vector<std::string> domains;
    for (const auto& d : ctx.dir.domains()) domains.push_back(d.name);
    muc = xmpp::muc::install(*hub, *muc_store, mo, domains);
  }
  // HTTP File Upload (XEP-0363) on SUBDOMAIN.DOMAIN, files in the blob store; their rows in
  // hearth.db, where the backup lists blobs under its lock (app/backup.cpp).
  std::shared_ptr<xmpp::upload::upload_store> upload_store;
  std::shared_ptr<xmpp::upload::service> upload;
  if (!ctx.cfg.xmpp_upload_subdomain.empty() && ctx.cfg.listen(config::service::https).port != 0) {
    auto us = xmpp::upload::open_store(database_target(ctx.cfg));
    if (!us) {
      log::error("xmpp.upload.store", {{"error", us.error().message}});
      return false;
    }
    upload_store = std::move(*us);
    xmpp::upload::service_options uo;
    uo.subdomain = ctx.cfg.xmpp_upload_subdomain;
    uo.secret = *secret;
    uo.https_port = ctx.cfg.listen(config::service::https).port;
    uo.max_file_size = std::uint64_t(ctx.cfg.xmpp_upload_max_file_mb) << 20;
    uo.quota = std::uint64_t(ctx.cfg.xmpp_upload_quota_mb) << 20;
    uo.slot_lifetime = std::chrono::seconds(ctx.cfg.xmpp_upload_slot_seconds);
    uo.keep = std::chrono::hours(24) * ctx.cfg.xmpp_upload_expire_days;
    std::vector<std::string> domains;
    for (const auto& d : ctx.dir.domains()) domains.push_back(d.name);
    upload = xmpp::upload::install(*hub, *upload_store, ctx.blobs, ctx.live_routes, ctx.server.io().get_executor(),
                                   uo, domains);
    ctx.on_stop.push_back([u = upload] { xmpp::upload::stop(*u); });
  }
  xmpp::c2s_options co;
  co.idle_timeout = std::chrono::seconds(std::max(ctx.cfg.read_timeout_seconds, 60u) * 3);
  co.limits.max_stanza = ctx.cfg.xmpp_max_stanza_size;
  co.limits.max_depth = ctx.cfg.xmpp_max_depth;
  co.stanzas_per_second = ctx.cfg.xmpp_stanzas_per_second;
  co.max_queue = ctx.cfg.xmpp_max_queue;
  co.max_unauthenticated_bytes = ctx.cfg.xmpp_max_unauthenticated_bytes;
  // One authenticator for every protocol (ctx.authn): throttling, blocks and app passwords are
  // shared with IMAP, SMTP and HTTP. XMPP's localpart logins (RFC 6120 §6.3.8) are completed by
  // the session through auth::context::user_domain.
  // FAST tokens (XEP-0484) for SASL2 logins, kept as nonces in xmpp.db; the tokens derive from
  // the server's secret, which the database does not hold.
  auto fast = xmpp::sasl2::open_token_store(database_target(ctx.cfg, "xmpp.db"), *secret);
  if (!fast) {
    log::error("xmpp.fast.store", {{"error", fast.error().message}});
    return false;
  }
  std::shared_ptr<xmpp::sasl2::token_store> fast_tokens(std::move(*fast));
  co.fast_tokens = fast_tokens.get();
  if (!install_components(ctx, *hub, co.limits, co.idle_timeout)) return false;
  auto c2s = xmpp::make_c2s_service(*hub, ctx.authn, co);
  ctx.handlers[config::service::xmpp_client] = xmpp::c2s_handler(c2s);
  ctx.handlers[config::service::xmpps_client] = xmpp::c2s_handler(c2s);
  // Browsers: WebSocket and BOSH on the HTTPS listener, the same c2s sessions behind them.
  xmpp::web::web_options wo;
  wo.origins = ctx.cfg.xmpp_web_origins;
  wo.hostname = ctx.cfg.hostname;
  wo.https_port = ctx.cfg.listen(config::service::https).port;
  wo.max_message = ctx.cfg.xmpp_max_stanza_size;
  wo.is_local_domain = [h = hub.get()](const std::string& d) { return h->is_local_domain(d); };
  xmpp::web::register_routes(ctx.routes, ctx.live_routes, c2s, wo);
  // Federation: outgoing streams found through SRV (dns.servers), dialback keys from the
  // server's persistent secret.
  dns::options dopts;
  dopts.servers = ctx.cfg.dns_servers;
  dopts.dnssec = ctx.cfg.dnssec;
  dopts.trust_anchor_file = ctx.cfg.dns_trust_anchor_file.string();
  auto resolver = std::make_shared<dns::resolver>(ctx.server.io().get_executor(), dopts);
  xmpp::s2s_options so;
  so.dialback_secret = *secret;
  so.idle_timeout = co.idle_timeout;
  so.limits = co.limits;
  so.ca_file = ctx.cfg.xmpp_s2s_ca_file.string();
  so.give_up = std::chrono::seconds(ctx.cfg.xmpp_s2s_give_up);
  if (!ctx.cfg.certificates.empty()) {
    so.cert_file = ctx.cfg.certificates.front().cert_file.string();
    so.key_file = ctx.cfg.certificates.front().key_file.string();
  }
  auto s2s = xmpp::make_s2s_service(ctx.server.io().get_executor(), *hub, *resolver, so);
  hub->set_remote([s2s = s2s.get()](xmpp::element st) { xmpp::s2s_send(*s2s, std::move(st)); });
  ctx.handlers[config::service::xmpp_server] = xmpp::s2s_handler(s2s);
  ctx.handlers[config::service::xmpps_server] = xmpp::s2s_handler(s2s);
  // 5270 handshakes before the session starts: ask for the remote's certificate there too, so
  // SASL EXTERNAL works over direct TLS (XEP-0368) as over STARTTLS.
  ctx.server.set_before_handshake(config::service_name(config::service::xmpps_server),
                                  xmpp::s2s_request_client_certificate);
  // keep is cleared front to back: the services, then the hub, then the store.
  ctx.keep.push_back(s2s);
  ctx.keep.push_back(resolver);
  ctx.keep.push_back(c2s);
  ctx.keep.push_back(hub);
  if (cluster) ctx.keep.push_back(cluster);
  if (upload) ctx.keep.push_back(upload);
  if (upload_store) ctx.keep.push_back(upload_store);
  if (muc) ctx.keep.push_back(muc);
  if (muc_store) ctx.keep.push_back(muc_store);
  ctx.keep.push_back(fast_tokens);
  if (push_store) ctx.keep.push_back(push_store);
  ctx.keep.push_back(store);
  return true;
}

}  // namespace hearth::app
