// The HTTPS request router every web-facing module registers on (DAV, autoconfig, well-known,
// MTA-STS, later XMPP BOSH/WebSocket and admin). Sans-I/O: a handler takes a parsed request and
// returns a response; core/http's session does the socket side (Beast), limits and timeouts.
#pragma once
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

// Routes are added at start-up, before serving; route() is then thread-safe (read-only).
class router {
 public:
  void add(route r);
  // The best route: host-specific before generic, exact path before prefix, longest prefix first.
  // No route for the path: 404. A route for the path but not the method: 405 with Allow.
  response dispatch(const request& req) const;

 private:
  std::vector<route> routes_;
};

// Parses "key=value&..." and percent-decodes the value of `name` ('+' is a space).
std::optional<std::string> query_param(std::string_view query, std::string_view name);
// "Authorization: Basic base64(user:password)" (RFC 7617), or nullopt.
std::optional<std::pair<std::string, std::string>> basic_credentials(const request& req);

}  // namespace hearth::http
