// `hearth serve`: every listener in one process (ARCHITECTURE.md "Listeners").
//
// Start-up order: config (exit 2 on error, every problem printed with FILE:LINE:COL), log
// settings, TLS certificates (exit 1), data directory, the directory, the authenticator and the
// HTTPS routes, listeners, signals. SIGTERM/SIGINT stop
// with a short grace period; SIGHUP reloads the certificates and the log settings and keeps
// serving with the old ones if anything is wrong.
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <boost/asio/signal_set.hpp>

#include "app/common.hpp"
#include "app/mail_store_open.hpp"
#include "app/placeholder_sessions.hpp"
#include "app/serve_cluster.hpp"
#include "app/serve_context.hpp"
#include "app/serve_services.hpp"
#include "auth/authenticator.hpp"
#include "auth/directory_source.hpp"
#include "core/blob/store.hpp"
#include "core/config/config.hpp"
#include "core/events/bus.hpp"
#include "core/http/router.hpp"
#include "core/http/session.hpp"
#include "core/log/log.hpp"
#include "directory/cached.hpp"
#include "core/net/blocking.hpp"
#include "core/net/server.hpp"
#include "core/net/store_pool.hpp"
#include "core/sql/pool.hpp"
#include "core/tls/context_set.hpp"
#include "core/util/dir_lock.hpp"
#include "core/util/file_modes.hpp"
#include "mail/store/store.hpp"
#include "rfc6764/autoconfig.hpp"

namespace hearth::app {
namespace {

// SIGTERM must end the process within 2 s even with clients connected: 1 s for sessions
// to finish, then their sockets are closed (net::server::stop adds at most 0.3 s).
constexpr std::chrono::milliseconds stop_grace{1000};

const char* usage_text =
    "usage: hearth [--config FILE] serve\n\n"
    "Runs every enabled listener (SMTP, submission, IMAP, POP3, ManageSieve, HTTPS, XMPP) in one\n"
    "process, in the foreground. Signals: SIGTERM/SIGINT stop; SIGHUP reloads the TLS\n"
    "certificates and the log settings from the config file.\n";

// Returns false (after logging why) if the level or the file cannot be applied.
bool apply_log_settings(const config::config& c) {
  bool ok = true;
  if (auto lvl = log::parse_level(c.log_level)) {
    log::set_level(*lvl);
  } else {
    log::warn("log.level", {{"error", "unknown level"}, {"level", c.log_level}});
    ok = false;
  }
  if (!c.log_file.empty() && !log::set_file(c.log_file.string())) {
    log::warn("log.file", {{"error", "cannot open"}, {"file", c.log_file.string()}});
    ok = false;
  }
  return ok;
}

void reload(const std::filesystem::path& file, std::vector<config::certificate>& certs, tls::context_set& tls) {
  auto fresh = config::load(file);
  if (fresh) {
    apply_log_settings(*fresh);
    log::reopen();
    certs = fresh->certificates;
  } else {
    // Still reload the certificate files the running config names: renewing a certificate
    // should not depend on an unrelated edit being right.
    log::error("reload", {{"config", "failed"}, {"error", fresh.error().message}});
  }
  auto n = tls.reload(certs);
  if (n)
    log::info("reload", {{"tls", "ok"}, {"certificates", std::uint64_t(*n)}});
  else
    log::error("reload", {{"tls", "failed"}, {"error", n.error().message}, {"kept", "previous certificates"}});
}

// Databases, keys, the secret, blobs and the spool are private (core/util/file_modes.hpp);
// what an earlier version, a restore or a hand-made file left readable is fixed, with a warning.
void secure_data_dir(const std::filesystem::path& dir) {
  constexpr std::size_t max_lines = 20;  // a restored blob folder may hold a million files
  // What Hearth keeps there (README "Where the data lives"); new files are private through the
  // umask, so this list only has to cover what earlier versions made.
  auto changes = util::make_private(dir, {"hearth.db", "xmpp.db", "auth.secret", "hearth.lock", "blobs", "queue", "tls",
                                          "backup_mx_recipients.txt"});
  if (!changes) {
    log::warn("serve.permissions", {{"error", changes.error().message}});
    return;
  }
  for (std::size_t i = 0; i < changes->size() && i < max_lines; ++i) {
    const auto& c = (*changes)[i];
    log::warn("serve.permissions", {{"path", c.path.string()}, {"mode", util::octal_mode(c.before)},
                                    {"fixed", util::octal_mode(c.after)}});
  }
  if (changes->size() > max_lines)
    log::warn("serve.permissions", {{"fixed_more", std::uint64_t(changes->size() - max_lines)}});
}

}  // namespace

int cmd_serve(const globals& g, const args& a) {
#if defined(__GLIBC__)
  // Fixed malloc thresholds. glibc raises its mmap threshold (up to 32 MiB) after the first
  // large free, after which transient multi-MB buffers (a SELECT/SEARCH over 10 000 messages,
  // a Depth 1 PROPFIND of a 10 000-event calendar) stay in the per-thread arenas for good:
  // IMAP bench RSS 100 -> 40 MiB, DAV bench 83 -> 36 MiB (issues 4 and 5). A fixed value also
  // turns the dynamic rule off; only large blocks are affected.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024);
#endif
  auto p = parse_args(a, {}, {});
  if (p.help) {
    std::fputs(usage_text, stdout);
    return 0;
  }
  if (!p.error.empty()) return fail_with(2, p.error);
  if (!p.positional.empty()) return fail_with(2, "serve takes no arguments");

  auto cfg = load_config(g);
  if (!cfg) return 2;
  apply_log_settings(*cfg);

  auto tls = tls::context_set::create(cfg->certificates);
  if (!tls) return fail_with(1, "TLS: " + tls.error().message);

  std::error_code ec;
  std::filesystem::create_directories(cfg->data_dir, ec);
  if (ec) return fail_with(1, "cannot create the data directory " + cfg->data_dir.string() + ": " + ec.message());
  // One server per data directory, before anything in it is touched: a second one would clean
  // up the spool and blob files the first is about to commit.
  auto data_lock = util::dir_lock::acquire(cfg->data_dir);
  if (!data_lock) return fail_with(1, data_lock.error().message);
  secure_data_dir(cfg->data_dir);

  log::info("serve.start", {{"version", version}, {"config", cfg->file.string()},
                            {"certificates", std::uint64_t((*tls)->size())}});

  net::server srv({.threads = cfg->threads, .max_connections_per_ip = cfg->max_connections_per_ip}, *tls);

  // The directory is opened (and migrated) at start, so that a schema problem stops the
  // server here rather than at the first login. `hearth user add` etc. write to the same
  // file while we run.
  auto stored_dir = open_directory(*cfg);
  if (!stored_dir) return 1;
  // Every area uses this view, which remembers nothing but announces each change made through
  // it (the web console's) on the bus, so that SMTP's cache (app/serve_mail.cpp) on this node
  // and the others forgets it. The bus is declared before every user of the directory.
  events::bus bus;
  auto dir = directory::make_cached(*stored_dir, &bus, {0, std::chrono::milliseconds(0)});
  log::info("serve.directory", {{"database", database_name(*cfg)},
                                {"domains", std::uint64_t(dir->domains().size())},
                                {"accounts", std::uint64_t(dir->accounts(std::nullopt).size())}});
  // The stores' ceiling, which an operator sizes max_connections by (the LISTEN/NOTIFY
  // connections of the event bus and XMPP routing come on top).
  if (on_postgres(*cfg))
    log::info("serve.db_pool", {{"connections", std::uint64_t(cfg->database_pool ? cfg->database_pool
                                                                               : sql::default_pool_size(cfg->threads))}});

  // One authenticator for every protocol (ARCHITECTURE.md principle 2), keyed with the
  // instance's persistent secret so that fake SCRAM salts do not change across restarts.
  auto secret = load_or_create_secret(cfg->data_dir);
  if (!secret) return 1;
  // Several nodes on one database share the event bus and the login counts.
  auto cluster = open_cluster_parts(database_target(*cfg));
  if (!cluster) return 1;
  auth::throttle_config throttling;
  throttling.delay_after = cfg->auth_delay_after;
  throttling.block_after = cfg->auth_block_after;
  throttling.block_seconds = cfg->auth_block_seconds;
  throttling.window_seconds = cfg->auth_window_seconds;
  auth::authenticator_options auth_opts;
  auth_opts.secret = *secret;
  auth_opts.plus_protocols = cfg->auth_scram_plus;
  auth_opts.throttle_counts = cluster->throttle_counts;
  auth::directory_source credentials(*dir);
  auth::authenticator authn(credentials, throttling, auth_opts);

  // Shared by the protocol areas (app/serve_context.hpp).
  blob::store blobs(blob_dir(*cfg));
  // A blob folder shared with other nodes (database.blobs) may hold their writes in progress:
  // only temp files an hour old are leftovers there.
  auto temp_left = cfg->database_blobs.empty() ? blobs.cleanup_temp() : blobs.cleanup_temp(std::chrono::hours(1));
  if (temp_left && *temp_left > 0) log::info("serve.blobs", {{"removed_temp", std::uint64_t(*temp_left)}});
  if (cluster->events) bus.attach(cluster->events);
  auto mail_store = open_mail_store(*cfg, blobs, dir.get(), &bus);
  if (!mail_store) return fail_with(1, "mail store: " + mail_store.error().message);

  // The HTTPS routes every web-facing module registers (core/http/router.hpp); fixed once the
  // areas are installed.
  auto routes = std::make_shared<http::router>();
  auto live_routes = std::make_shared<http::live_routes>();
  rfc6764::register_routes(*routes, *cfg, *dir, authn);
  const auto https_opts = https_session_options(*cfg);

  serve_context ctx{*cfg, srv, **tls, *dir, authn, blobs, bus, **mail_store, *routes, *live_routes, {}, {}, {}};
  // Runs the areas' stop hooks however this function ends (they reference ctx's pieces).
  struct stop_hooks {
    serve_context& c;
    void run() {
      for (auto it = c.on_stop.rbegin(); it != c.on_stop.rend(); ++it) (*it)();
      c.on_stop.clear();
    }
    ~stop_hooks() {
      run();
      c.keep.clear();
    }
  } stop_guard{ctx};
  for (auto* install : {install_managesieve, install_mail, install_imap, install_dav, install_xmpp, install_backup, install_web})
    if (!install(ctx)) return 1;

  // Services no area claims yet keep a placeholder that negotiates TLS and closes politely.
  placeholder_options popts;
  popts.hostname = cfg->hostname;
  popts.read_timeout = std::chrono::seconds(cfg->read_timeout_seconds);
  popts.max_line = cfg->max_line_length;

  // Over the per-address cap, an HTTPS client gets a 503 with Retry-After rather than a reset
  // (a browser or DAV client then says "busy", not "cannot connect").
  srv.set_over_limit(config::service_name(config::service::https),
                     http::make_busy_handler(std::chrono::seconds(10), std::chrono::seconds(5)));

  for (config::service svc : config::all_services) {
    const auto& l = cfg->listen(svc);
    if (l.port == 0) continue;
    net::handler h;
    if (svc == config::service::https)
      h = http::make_https_handler(routes, https_opts, live_routes);
    else if (auto it = ctx.handlers.find(svc); it != ctx.handlers.end())
      h = it->second;
    else
      h = placeholder_session(svc, popts);
    auto bound = srv.add_listener(config::service_name(svc), cfg->bind_addresses(svc), l.port, config::service_tls(svc),
                                  std::move(h));
    if (!bound) {
      log::error("serve.listen", {{"service", config::service_name(svc)}, {"error", bound.error().message}});
      return fail_with(1, bound.error().message);
    }
  }

  auto certs = cfg->certificates;
  boost::asio::signal_set signals(srv.io(), SIGTERM, SIGINT, SIGHUP);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& e, int sig) {
      if (e) return;
      if (sig == SIGHUP) {
        reload(cfg->file, certs, **tls);
        wait_signal();
        return;
      }
      log::info("serve.stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"},
                                   {"connections", std::uint64_t(srv.active_connections())}});
      srv.stop(stop_grace);
    });
  };
  wait_signal();

  srv.run();
  // No more events from the other nodes: the sessions they were for are gone.
  bus.detach();
  stop_guard.run();
  // Handlers still running on the blocking pool use the directory, the authenticator and the
  // stores, which are destroyed when this function returns.
  net::drain_store_pool();
  net::drain_blocking_pool();
  log::info("serve.stop");
  return 0;
}

}  // namespace hearth::app
