// The HTTPS request router every web-facing module registers on (DAV, autoconfig, well-known,
// MTA-STS, later XMPP BOSH/WebSocket and admin). Sans-I/O: a handler takes a parsed request and
// returns a response; core/http's session does the socket side (Beast), limits and timeouts.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::http {

struct request {
  std::string method;                          // "GET", "PROPFIND", ... (as sent, upper case)
  std::string target;                          // as sent: path plus optional "?query"
  std::string path;                            // percent-decoded path, no query; always starts with '/'
  std::string query;                           // raw query string without '?'
  std::string host;                            // Host header without port, lowercase, no trailing dot
  std::map<std::string, std::string> headers;  // names lowercase; repeated headers joined with ", "
  std::string body;
  std::string remote_ip;
  bool tls = true;
  std::string header(std::string_view lowercase_name) const {
    auto it = headers.find(std::string(lowercase_name));
    return it == headers.end() ? std::string() : it->second;
  }
};

struct response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "text/xml; charset=utf-8"}
  std::string body;
  // Wait this long before sending (login throttling: auth::auth_result::delay). The session
  // waits on a timer, so no thread is held while it waits; capped at 30 s.
  std::chrono::milliseconds delay{0};
  // Instead of `body`: `file_length` octets of this file from `file_offset`, read while they
  // are sent (downloads too large to hold in memory). Content-Length is file_length; never
  // compressed. The file must stay readable until the response is written (blobs do).
  std::string file;
  std::uint64_t file_offset = 0, file_length = 0;
  static response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8") {
    response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", std::move(content_type));
    r.body = std::move(body);
    return r;
  }
};

using handler = std::function<response(const request&)>;

// One route: requests whose path equals `path` (or, with prefix = true, starts with it) and,
// if `host_prefix` is set, whose Host starts with it (e.g. "autoconfig." or "mta-sts.").
// `methods` empty = any method. Handlers may block briefly (a database read, an Argon2id
// check): the session runs them off the I/O threads.
struct route {
  std::vector<std::string> methods;
  std::string path;
  bool prefix = false;
  std::optional<std::string> host_prefix;
  handler fn;
};

// Routes are added at start-up, before serving; dispatch() is then thread-safe (read-only).
class router {
 public:
  void add(route r);
  // The best route: host-specific before generic (a longer host_prefix first), exact path
  // before prefix, longest prefix first. Routes with the same host_prefix, path and prefix flag
  // are one resource (register one route per method if you like); within it the route that
  // lists the method wins, then one with no methods (it gets every method, OPTIONS included),
  // then, for HEAD, the GET route (RFC 9110 §9.3.2; the session drops the body).
  // No route for the path: 404. OPTIONS that no route takes: 200 with Allow. Otherwise a
  // method the resource lacks: 405 with Allow (GET implies HEAD; OPTIONS is always listed).
  // Exceptions from handlers pass through (the session answers 500).
  response dispatch(const request& req) const;

 private:
  std::vector<route> routes_;
};

// Parses "key=value&..." and percent-decodes the value of `name` ('+' is a space); keys are
// decoded before comparing. The first occurrence wins; "key" without '=' gives "". nullopt when
// the key is absent or its value has a malformed escape ("%zz", a trailing '%').
std::optional<std::string> query_param(std::string_view query, std::string_view name);
// "Authorization: Basic base64(user:password)" (RFC 7617), or nullopt: another scheme, base64
// that is not strict RFC 4648 (crypto::base64_decode), no ':', an empty user, or a control
// character in either part. The split is at the first ':' (RFC 7617 §2).
std::optional<std::pair<std::string, std::string>> basic_credentials(const request& req);

}  // namespace hearth::http
