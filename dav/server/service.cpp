// Authentication, the credential cache, dispatch by method, and route registration.
#include <algorithm>
#include <random>
#include <thread>

#include "auth/authenticator.hpp"
#include "core/crypto/crypto.hpp"
#include "core/events/bus.hpp"
#include "core/log/log.hpp"
#include "dav/server/internal.hpp"
#include "dav/server/schedule.hpp"
#include "dav/server/sharing.hpp"

namespace hearth::dav {
namespace {

constexpr std::chrono::milliseconds max_auth_delay{5000};
constexpr std::size_t max_cache_entries = 10000;

http::response unauthorized() {
  auto r = plain(401, "Unauthorized");
  // RFC 7617 §2.1: the charset parameter says credentials are UTF-8.
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Hearth\", charset=\"UTF-8\"");
  return r;
}

std::string random_key() {
  std::random_device rd;
  std::string k(32, '\0');
  for (auto& c : k) c = static_cast<char>(rd());
  return k;
}

}  // namespace

service::service(store& st, auth::authenticator& authn, events::bus* bus, options opts)
    : view_(opts.shares ? make_shared_view(st, *opts.shares) : nullptr),
      store_(view_ ? *view_ : st),
      authn_(authn),
      bus_(bus),
      opts_(std::move(opts)) {
  cache_key_ = opts_.cache_key.empty() ? random_key() : opts_.cache_key;
}

std::optional<http::response> service::authenticate(const http::request& req, std::string& user) {
  auto creds = http::basic_credentials(req);
  if (!creds) return unauthorized();
  const std::string key = crypto::hmac_sha256(cache_key_, creds->first + '\0' + creds->second);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.expires > now) {
        user = it->second.address;
        return std::nullopt;
      }
      cache_.erase(it);
    }
  }
  auth::context actx{"http", req.remote_ip, req.tls, std::nullopt};
  auto res = authn_.check_password(actx, creds->first, creds->second);
  // Handlers run on the blocking pool, so the throttle's pause can be slept here.
  std::this_thread::sleep_for(std::min(res.delay, max_auth_delay));
  switch (res.result) {
    case auth::outcome::ok: break;
    case auth::outcome::blocked: return plain(429, "Too Many Requests");
    case auth::outcome::tls_required: return plain(403, "TLS required");
    default: return unauthorized();
  }
  user = res.address;
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= max_cache_entries) cache_.clear();
  cache_[key] = {res.address, now + opts_.cache_ttl};
  return std::nullopt;
}

void service::changed(const std::string& user, const collection& c) {
  if (bus_) bus_->publish({"dav.change", user, c.name});
}

http::response service::handle(const http::request& req) {
  try {
    if (req.method == "OPTIONS") {
      ctx c{req, {}, parse_path(req.path)};
      return do_options(c);
    }
    std::string user;
    if (auto denied = authenticate(req, user)) return *denied;
    auto ok = store_.ensure_defaults(user);
    if (!ok) throw error_exception(ok.error());
    sched::ensure_boxes(*this, user);
    ctx c{req, user, parse_path(req.path)};
    return dispatch(c);
  } catch (const error_exception& e) {
    log::error("dav.fail", {{"method", req.method}, {"path", req.path}, {"error", e.err().message}});
    return plain(503, "Service Unavailable");
  }
}

http::response service::dispatch(ctx& c) {
  const auto& m = c.req.method;
  const bool well_known = c.req.path.starts_with("/.well-known/") || c.req.path == "/";
  if (well_known && m != "PROPFIND") {
    // RFC 6764 §5: the context path redirects to the DAV root.
    auto r = plain(301, "Moved Permanently");
    r.headers.emplace_back("Location", std::string(root_path));
    return r;
  }
  if (c.t.type == target::none) return plain(404, "Not Found");
  // Another account's principal, homes and everything below: not found (nothing leaks).
  if (!c.t.user.empty() && c.t.user != c.user) return plain(404, "Not Found");
  // The birthday calendar follows the contacts; clients read it and nothing else (RFC 3744
  // §7.1.1: need-privileges). A COPY/MOVE whose destination is in it is refused in copy_move.
  if (is_birthday_calendar(c.t.kind, c.t.coll_name) && m != "PROPFIND" && m != "REPORT" && m != "GET" && m != "HEAD")
    return error_response(403, xml::dav("need-privileges"));
  if (auto inv = invite_gate(c)) return std::move(*inv);
  if (auto shared = share_gate(c)) return std::move(*shared);
  if (auto r = sched::guard(*this, c.user, c.t, c.req)) return *r;
  if (m == "PROPFIND") return do_propfind(c);
  if (m == "REPORT") return do_report(c);
  if (m == "GET") return do_get(c, false);
  if (m == "HEAD") return do_get(c, true);
  if (m == "PUT") return do_put(c);
  if (m == "DELETE") return do_delete(c);
  if (m == "MKCOL") return do_mkcol(c, false);
  if (m == "MKCALENDAR") return do_mkcol(c, true);
  if (m == "PROPPATCH") return do_proppatch(c);
  if (m == "COPY") return do_copy_move(c, false);
  if (m == "MOVE") return do_copy_move(c, true);
  if (m == "ACL") return do_acl(c);
  if (m == "POST") return do_share_post(c);
  auto r = plain(405, "Method Not Allowed");
  r.headers.emplace_back("Allow", "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT, COPY, MOVE, ACL, POST");
  return r;
}

http::response handle(service& s, const http::request& req) { return s.handle(req); }

std::shared_ptr<service> register_routes(http::router& r, store& st, auth::authenticator& authn, events::bus* bus,
                                         options opts) {
  auto s = std::make_shared<service>(st, authn, bus, std::move(opts));
  auto add = [&](std::string path, bool prefix) {
    http::route rt;
    rt.path = std::move(path);
    rt.prefix = prefix;
    rt.fn = [s](const http::request& req) { return s->handle(req); };
    r.add(std::move(rt));
  };
  // Clients given only the server's URL (vdirsyncer, python-caldav) start with PROPFIND on "/".
  {
    http::route rt;
    rt.path = "/";
    rt.fn = [s](const http::request& req) {
      if (req.method != "PROPFIND" && req.method != "OPTIONS") return plain(404, "Not Found");
      return s->handle(req);
    };
    r.add(std::move(rt));
  }
  add("/dav", false);
  add("/dav/", true);
  add("/.well-known/caldav", false);
  add("/.well-known/carddav", false);
  add("/.well-known/caldav/", false);
  add("/.well-known/carddav/", false);
  return s;
}

}  // namespace hearth::dav
