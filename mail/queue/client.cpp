#include "mail/queue/client.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is destroyed (the same note as in app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <map>
#include <optional>

#include "core/crypto/crypto.hpp"
#include "core/dns/resolver.hpp"
#include "core/net/blocking.hpp"
#include "core/net/connection.hpp"
#include "core/util/strings.hpp"
#include "core/log/log.hpp"
#include "mail/queue/dane.hpp"
#include "mail/queue/dane_policy.hpp"
#include "mail/queue/reply.hpp"

namespace hearth::mail::queue {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_hosts = 10;     // MX hosts tried per attempt
constexpr std::size_t max_addresses = 10; // addresses tried per attempt

// A client SMTP connection: TCP, then net::connection (deadlines on every read and write,
// TLS upgraded in place by STARTTLS without per-connection buffers while idle).
class smtp_conn {
 public:
  smtp_conn(asio::any_io_executor ex, asio::ssl::context& ctx) : ex_(std::move(ex)), ctx_(ctx) {}

  // `source`: the local address to connect from (unspecified: the system chooses).
  asio::awaitable<bool> connect(const tcp::endpoint& ep, const asio::ip::address& source,
                                std::chrono::seconds timeout) {
    conn_ = co_await net::dial(ex_, ep, source, timeout, error_);
    co_return conn_ != nullptr;
  }

  // Reads one complete (multi-line) reply. nullopt on timeout, EOF or garbage (error()).
  asio::awaitable<std::optional<smtp_reply>> read_reply(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    reply_parser p;
    for (;;) {
      auto line = co_await read_line(deadline);
      if (!line) co_return std::nullopt;
      switch (p.feed(*line)) {
        case reply_parser::state::more: break;
        case reply_parser::state::done: co_return p.take();
        case reply_parser::state::error:
          error_ = "bad reply: " + p.error();
          close();
          co_return std::nullopt;
      }
    }
  }

  asio::awaitable<bool> write(std::string_view data, std::chrono::seconds timeout) {
    if (!conn_) co_return false;
    conn_->set_write_timeout(timeout);
    bool ok = co_await conn_->write(data);
    if (!ok) error_ = "write failed or timed out";
    co_return ok;
  }

  // Client handshake, without requiring a valid certificate (opportunistic TLS, RFC 7435).
  // RFC 3207 §4.2: nothing read before the handshake is trusted (the connection drops it).
  asio::awaitable<bool> start_tls(const std::string& sni, std::chrono::seconds timeout) {
    if (!conn_) co_return false;
    bool ok = co_await conn_->start_tls_client(ctx_, sni, timeout);
    if (!ok) error_ = "TLS handshake failed or timed out";
    co_return ok;
  }

  void close() {
    if (conn_) conn_->close();
  }
  bool is_open() const { return conn_ && conn_->is_open(); }
  bool tls() const { return conn_ && conn_->is_tls(); }
  const std::string& error() const { return error_; }
  std::string tls_version() { return conn_ ? conn_->tls_version() : ""; }
  std::string local_ip() const { return conn_ ? conn_->local_ip() : ""; }
  std::string remote_ip() const { return conn_ ? conn_->remote_ip() : ""; }
  // The certificate chains to a trusted CA and names `host` (RFC 6125).
  bool verified(const std::string& host) { return conn_ && conn_->peer_verified(host); }
  // Why it does not ("certificate has expired", "hostname mismatch"...), for logs and DSNs.
  std::string verify_error(const std::string& host) {
    SSL* ssl = conn_ ? conn_->native_ssl() : nullptr;
    if (!ssl) return "no TLS";
    const long rc = SSL_get_verify_result(ssl);
    if (rc != X509_V_OK) return X509_verify_cert_error_string(rc);
    return "the certificate does not name " + host;
  }
  // The chain the server presented, leaf first, in DER (for DANE).
  std::vector<std::string> peer_chain() {
    std::vector<std::string> out;
    SSL* ssl = conn_ ? conn_->native_ssl() : nullptr;
    STACK_OF(X509)* chain = ssl ? SSL_get_peer_cert_chain(ssl) : nullptr;
    for (int i = 0; chain && i < sk_X509_num(chain) && i < 10; ++i) {
      unsigned char* buf = nullptr;
      const int n = i2d_X509(sk_X509_value(chain, i), &buf);
      if (n <= 0) break;
      out.emplace_back(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
      OPENSSL_free(buf);
    }
    return out;
  }
  // The same, as an RFC 8460 §4.3.1 result type.
  std::string certificate_result_type() {
    SSL* ssl = conn_ ? conn_->native_ssl() : nullptr;
    if (!ssl) return "validation-failure";
    switch (SSL_get_verify_result(ssl)) {
      case X509_V_OK: return "certificate-host-mismatch";  // the chain is fine: the name is not
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID: return "certificate-expired";
      default: return "certificate-not-trusted";
    }
  }

 private:
  asio::awaitable<std::optional<std::string>> read_line(std::chrono::steady_clock::time_point deadline) {
    const auto now = std::chrono::steady_clock::now();
    if (!conn_ || now >= deadline) {
      error_ = "timed out waiting for the reply";
      close();
      co_return std::nullopt;
    }
    auto r = co_await conn_->read_line(max_reply_line, deadline - now);
    switch (r.status) {
      case net::read_status::ok: co_return std::move(r.data);
      case net::read_status::too_long: error_ = "reply line too long"; break;
      case net::read_status::timeout: error_ = "timed out waiting for the reply"; break;
      case net::read_status::closed: error_ = "connection closed by the remote"; break;
    }
    close();
    co_return std::nullopt;
  }

  asio::any_io_executor ex_;
  asio::ssl::context& ctx_;
  std::unique_ptr<net::connection> conn_;  // once connected
  std::string error_;
};

struct host_addr {
  std::string host;
  asio::ip::address ip;
};

std::string relay_of(const host_addr& h, std::uint16_t port) {
  std::string ip = h.ip.to_string();
  return h.host + "[" + ip + "]:" + std::to_string(port);
}

void set_all(attempt_result& out, rcpt_result::kind k, const std::string& reply, const std::string& status) {
  for (auto& r : out.rcpts) r = rcpt_result{k, reply, status};
}

// RFC 5321 §5.1: the hosts to try, MX by preference; none with an explanation in `out`.
// `secure`: the answer (records or denial) was DNSSEC-validated, for DANE.
asio::awaitable<std::vector<std::string>> mx_hosts(const attempt_request& req, attempt_result& out, bool& secure) {
  auto mx = co_await req.resolver->mx(req.domain);
  secure = mx.secure;
  std::vector<std::string> hosts;
  switch (mx.st) {
    case dns::status::ok: {
      // RFC 7505 §3: a domain that advertises a null MX does not accept mail.
      for (const auto& r : mx.records) {
        if (r.host.empty()) {
          set_all(out, rcpt_result::kind::permanent, "556 5.1.10 domain " + req.domain + " does not accept mail (null MX)", "5.1.10");
          co_return hosts;
        }
      }
      auto recs = mx.records;
      std::stable_sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) { return a.preference < b.preference; });
      // RFC 5321 §5.1: when we are one of the MX hosts (a backup MX), only the more preferred
      // ones are tried; never ourselves, nor a host of equal or lower preference.
      auto same_host = [&](std::string h) {
        if (!h.empty() && h.back() == '.') h.pop_back();
        return !h.empty() && util::iequals(h, req.helo);
      };
      auto self = std::find_if(recs.begin(), recs.end(), [&](const auto& r) { return same_host(r.host); });
      if (self != recs.end()) {
        const auto ours = self->preference;
        std::erase_if(recs, [&](const auto& r) { return r.preference >= ours; });
        if (recs.empty()) {
          set_all(out, rcpt_result::kind::temporary,
                  "451 4.4.4 we are the most preferred MX host of " + req.domain + " but do not serve it", "4.4.4");
          co_return hosts;
        }
      }
      for (const auto& r : recs)
        if (std::find(hosts.begin(), hosts.end(), r.host) == hosts.end() && hosts.size() < max_hosts) hosts.push_back(r.host);
      break;
    }
    case dns::status::nodata:
      hosts.push_back(req.domain);  // RFC 5321 §5.1: the implicit MX
      break;
    case dns::status::nxdomain:
      set_all(out, rcpt_result::kind::permanent, "550 5.1.2 domain " + req.domain + " does not exist (DNS: no such domain)", "5.1.2");
      break;
    default:
      set_all(out, rcpt_result::kind::temporary,
              "451 4.4.3 MX look-up for " + req.domain + " failed: " + std::string(dns::status_name(mx.st)) + (mx.why.empty() ? "" : " (" + mx.why + ")"),
              "4.4.3");
      break;
  }
  co_return hosts;
}

asio::awaitable<std::vector<asio::ip::address>> addresses(const attempt_request& req, const std::string& host) {
  std::vector<asio::ip::address> out;
  // An address literal as the domain (RCPT TO:<a@[192.0.2.1]>): RFC 5321 §5.1 no MX look-up.
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    std::string lit = host.substr(1, host.size() - 2);
    if (lit.rfind("IPv6:", 0) == 0) lit = lit.substr(5);
    boost::system::error_code ec;
    auto a = asio::ip::make_address(lit, ec);
    if (!ec) out.push_back(a);
    co_return out;
  }
  // A relay written as an IP address ("192.0.2.7:587") needs no look-up either.
  boost::system::error_code lit_ec;
  if (auto a = asio::ip::make_address(host, lit_ec); !lit_ec) {
    out.push_back(a);
    co_return out;
  }
  auto a4 = co_await req.resolver->a(host);
  if (a4.st == dns::status::ok)
    for (const auto& a : a4.records) out.push_back(a);
  auto a6 = co_await req.resolver->aaaa(host);
  if (a6.st == dns::status::ok)
    for (const auto& a : a6.records) out.push_back(a);
  co_return out;
}

// RFC 6531: an envelope with a non-ASCII address needs SMTPUTF8.
bool needs_smtputf8(const attempt_request& req) {
  if (has_8bit(req.from)) return true;
  for (const auto& r : req.rcpts)
    if (has_8bit(r.address)) return true;
  return false;
}

std::string mail_from(const attempt_request& req, const ehlo_caps& caps) {
  std::string cmd = "MAIL FROM:<" + req.from + ">";
  if (caps.size) cmd += " SIZE=" + std::to_string(req.message->size);
  if (caps.eightbitmime && req.message->eight_bit) cmd += " BODY=8BITMIME";
  if (caps.smtputf8 && needs_smtputf8(req)) cmd += " SMTPUTF8";
  if (req.requiretls) cmd += " REQUIRETLS";  // RFC 8689 §4.2.1, only once checked
  if (caps.dsn) {
    if (!req.ret.empty()) cmd += " RET=" + req.ret;
    if (!req.envid.empty()) cmd += " ENVID=" + req.envid;
  }
  return cmd + "\r\n";
}

std::string rcpt_to(const recipient& r, const ehlo_caps& caps) {
  std::string cmd = "RCPT TO:<" + r.address + ">";
  if (caps.dsn) {
    if (!r.notify.empty()) cmd += " NOTIFY=" + r.notify;
    if (!r.orcpt.empty()) cmd += " ORCPT=" + r.orcpt;
  }
  return cmd + "\r\n";
}

enum class session_end {
  finished,   // every recipient has its result for this attempt
  next_host,  // this host did not take the transaction: try the next address/host
  retry_plain // STARTTLS failed: try the same address again without TLS
};

struct credentials {
  std::string username, password;
};

// RFC 4954 AUTH with PLAIN (RFC 4616) or LOGIN, the mechanisms smarthosts offer. Only over
// TLS (the caller checks). False with `out` filled when the relay refuses: the message is
// deferred, never bounced, as a wrong password is ours to fix, not the sender's.
asio::awaitable<bool> authenticate(smtp_conn& c, const ehlo_caps& caps, const credentials& cr, attempt_result& out,
                                   std::chrono::seconds t) {
  auto has = [&](std::string_view m) { return std::find(caps.auth.begin(), caps.auth.end(), m) != caps.auth.end(); };
  auto refused = [&](const std::string& why) {
    set_all(out, rcpt_result::kind::temporary, "454 4.7.0 relay " + out.relay + " refused our login as " + cr.username + ": " + why,
            "4.7.0");
    return false;
  };
  std::optional<smtp_reply> r;
  if (has("PLAIN")) {
    std::string blob;
    blob += '\0';
    blob += cr.username;
    blob += '\0';
    blob += cr.password;
    // GCC 12: no temporary with a destructor inside a co_await expression (see queue.cpp).
    const std::string cmd = "AUTH PLAIN " + crypto::base64_encode(blob) + "\r\n";
    if (!co_await c.write(cmd, t)) co_return refused(c.error());
    r = co_await c.read_reply(t);
  } else if (has("LOGIN")) {
    if (!co_await c.write("AUTH LOGIN\r\n", t)) co_return refused(c.error());
    for (const std::string* part : {&cr.username, &cr.password}) {
      r = co_await c.read_reply(t);
      if (!r || r->code != 334) break;
      const std::string line = crypto::base64_encode(*part) + "\r\n";
      if (!co_await c.write(line, t)) co_return refused(c.error());
    }
    if (r && r->code == 334) r = co_await c.read_reply(t);
  } else {
    co_return refused("it offers neither AUTH PLAIN nor AUTH LOGIN");
  }
  if (!r) co_return refused(c.error());
  if (r->code != 235) co_return refused(r->summary());
  co_return true;
}

// Sends the queued message in pieces, encoded as it goes out: dot-stuffed with its terminator
// for DATA (`stuff`), CRLF-normalised for BDAT. The pieces are read on the blocking pool, one
// at a time. Returns what went wrong in words for the DSN; on a read error the connection is
// closed, since the server holds part of a message that must not be taken as whole.
asio::awaitable<result<void>> send_message(smtp_conn& c, const outbound_message& m, bool stuff,
                                           std::chrono::seconds timeout) {
  auto opened = co_await net::run_blocking([&m] { return m.open(); });
  if (!opened) {
    c.close();
    co_return fail(opened.error().code, "reading the queued message (" + opened.error().message + ")");
  }
  message_reader& reader = **opened;
  wire_encoder enc(stuff);
  std::string out;
  for (;;) {
    auto piece = co_await net::run_blocking([&reader] { return reader.next(); });
    if (!piece) {
      c.close();
      co_return fail(piece.error().code, "reading the queued message (" + piece.error().message + ")");
    }
    out.clear();
    const bool end = piece->empty();
    if (end) enc.finish(out);
    else enc.feed(*piece, out);
    if (!out.empty() && !co_await c.write(out, timeout)) co_return fail("smtp.write", "sending the message");
    if (end) break;
  }
  // BDAT announced m.size octets: a spool that changed under us would desynchronise the
  // session, so it ends here instead.
  if (!stuff && enc.size() != m.size) {
    c.close();
    co_return fail("queue.io", "reading the queued message (its size changed)");
  }
  co_return result<void>{};
}

// One SMTP session on an open connection. `cr`: log in (after STARTTLS) with these.
// `sts`: the MTA-STS policy that applies (null: none); `dane`: the host's DANE state (null or
// off: none); `pol` receives the policy and its outcome.
asio::awaitable<session_end> run_session(const attempt_request& req, smtp_conn& c, const std::string& host, bool use_tls,
                                         const credentials* cr, const sts_policy* sts, const dane_host* dane,
                                         attempt_result& out, std::string& last_error, bool& policy_failure,
                                         bool& requiretls_failure, tls_session_policy& pol) {
  const bool enforce = !out.via_relay && sts && sts->mode == sts_mode::enforce;
  const bool testing = !out.via_relay && sts && sts->mode == sts_mode::testing;
  const bool dane_on = !out.via_relay && dane &&
                       (dane->st == dane_host::state::verify || dane->st == dane_host::state::tls_only);
  out.verified = false;
  pol.policy = dane_on ? tls_session_policy::kind::dane
               : (enforce || testing) ? tls_session_policy::kind::sts
                                      : tls_session_policy::kind::none;
  auto failed = [&](const char* type, const std::string& why) {
    if (pol.ok) {
      pol.ok = false;
      pol.result_type = type;
      pol.reason = why;
    }
  };
  // DANE (RFC 7672 §2.2): a host with usable or unusable TLSA records is skipped when TLS or
  // the match fails, whatever REQUIRETLS or MTA-STS say. MTA-STS: in enforce mode the host is
  // skipped (QUIT, next host); in testing mode logged. REQUIRETLS enforces, whatever the
  // policy says.
  auto sts_fails = [&](const char* type, const std::string& why) {
    if (dane_on) {
      last_error = "DANE (TLSA " + dane->name + "): " + why;
      policy_failure = true;
      failed(type, last_error);
      return true;
    }
    if (enforce || testing) failed(type, why);
    if (req.requiretls) {
      last_error = "REQUIRETLS: " + why;
      requiretls_failure = true;
      return true;
    }
    if (testing) {
      log::info("smtp.out.sts_testing", {{"id", req.queue_id}, {"domain", req.domain}, {"relay", out.relay}, {"would_refuse", why}});
      return false;
    }
    if (!enforce) return false;
    last_error = "MTA-STS policy of " + req.domain + " (enforce): " + why;
    policy_failure = true;
    if (!pol.ok) pol.reason = last_error;
    return true;
  };
  // TLS-RPT (RFC 8460 §4.3): the session's TLS outcome, noted once it is known. Without a
  // policy the certificate is not checked (opportunistic TLS), so only STARTTLS itself can fail.
  const bool has_policy = !out.via_relay && (dane_on || (req.sts && req.sts->mode != sts_mode::none));
  auto note_tls = [&](std::string result_type, std::string reason) {
    if (out.via_relay) return;
    tls_outcome o;
    if (dane_on) o.policy_type = "tlsa";  // the queue fills in sts / no-policy-found otherwise
    o.result_type = std::move(result_type);
    o.reason = std::move(reason);
    o.sending_ip = out.local_ip;  // read at connect: a failed handshake closes the socket
    o.receiving_mx = host;
    o.receiving_ip = c.remote_ip();
    out.tls_sessions.push_back(std::move(o));
  };
  const auto t = req.command_timeout;
  auto lost = [&](std::string_view when) {
    last_error = "lost connection with " + out.relay + " while " + std::string(when) + ": " + c.error();
    return session_end::next_host;
  };
  auto greeting = co_await c.read_reply(std::min<std::chrono::seconds>(t, 300s));
  if (!greeting) co_return lost("waiting for the greeting");
  if (greeting->code != 220) {
    last_error = "host " + out.relay + " greeted us with: " + greeting->summary();
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::next_host;
  }
  ehlo_caps caps;
  auto hello = [&]() -> asio::awaitable<bool> {
    const std::string ehlo = "EHLO " + req.helo + "\r\n";
    if (!co_await c.write(ehlo, t)) co_return false;
    auto r = co_await c.read_reply(t);
    if (!r) co_return false;
    if (r->code == 250) {
      caps = parse_ehlo(*r);
      co_return true;
    }
    // RFC 5321 §3.2: a server that does not know EHLO answers 5xx; HELO then.
    const std::string helo = "HELO " + req.helo + "\r\n";
    if (!co_await c.write(helo, t)) co_return false;
    auto h = co_await c.read_reply(t);
    if (!h) co_return false;
    caps = {};
    if (h->code != 250) {
      last_error = "host " + out.relay + " refused HELO: " + h->summary();
      co_return false;
    }
    co_return true;
  };
  if (!co_await hello()) {
    if (!c.error().empty()) last_error = "lost connection with " + out.relay + " during EHLO: " + c.error();
    if (c.is_open()) co_await c.write("QUIT\r\n", 10s);
    co_return session_end::next_host;
  }
  if (!caps.starttls) note_tls("starttls-not-supported", "host " + out.relay + " does not offer STARTTLS");
  if (!caps.starttls && sts_fails("starttls-not-supported", "host " + out.relay + " does not offer STARTTLS")) {
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::next_host;
  }
  if (caps.starttls && use_tls) {
    if (!co_await c.write("STARTTLS\r\n", t)) co_return lost("sending STARTTLS");
    auto r = co_await c.read_reply(t);
    if (!r) co_return lost("waiting for the STARTTLS reply");
    if (r->code == 220) {
      // RFC 6066 §3: a server name, never an address literal (a relay written as an IP).
      boost::system::error_code ip_ec;
      (void)asio::ip::make_address(host, ip_ec);
      const std::string sni = ip_ec ? host : std::string();
      if (!co_await c.start_tls(sni, std::min<std::chrono::seconds>(t, 60s))) {
        last_error = c.error();
        note_tls("validation-failure", "TLS with " + out.relay + " failed: " + last_error);
        if (sts_fails("validation-failure", "TLS with " + out.relay + " failed: " + last_error)) co_return session_end::next_host;
        if (cr) {
          set_all(out, rcpt_result::kind::temporary, "454 4.7.0 TLS with relay " + out.relay + " failed (" + last_error +
                                                         "): credentials are sent over TLS only", "4.7.0");
          co_return session_end::finished;
        }
        co_return session_end::retry_plain;
      }
      if (!co_await hello()) co_return lost("saying EHLO after STARTTLS");
      if (dane_on) {
        // RFC 7672 §3: the TLSA records replace the WebPKI; only unusable records leave the
        // encrypted session unauthenticated.
        if (dane->st == dane_host::state::verify) {
          const auto v = dane_check(dane->tlsa, c.peer_chain(), host);
          if (!v.matched) {
            note_tls("tlsa-invalid", "the certificate of " + out.relay + ": " + v.why);
            sts_fails("tlsa-invalid", "the certificate of " + out.relay + ": " + v.why);
            co_await c.write("QUIT\r\n", 10s);
            co_return session_end::next_host;
          }
          out.verified = true;
        } else {
          out.verified = false;
        }
        note_tls("", "");
      } else {
        out.verified = c.verified(host);
        if (has_policy && !out.verified)
          note_tls(c.certificate_result_type(), "the certificate of " + out.relay + " is not valid for " + host + " (" +
                                                    c.verify_error(host) + ")");
        else
          note_tls("", "");
        if (!out.verified && sts_fails("certificate-not-trusted", "the certificate of " + out.relay + " is not valid for " + host + " (" + c.verify_error(host) + ")")) {
          co_await c.write("QUIT\r\n", 10s);
          co_return session_end::next_host;
        }
      }
    } else {
      note_tls("starttls-not-supported", "host " + out.relay + " refused STARTTLS: " + r->summary());
      if (sts_fails("starttls-not-supported", "host " + out.relay + " refused STARTTLS: " + r->summary())) {
        co_await c.write("QUIT\r\n", 10s);
        co_return session_end::next_host;
      }
    }
    // Another reply: go on in plaintext (opportunistic).
  }
  out.tls = c.tls();
  out.remote_dsn = caps.dsn;
  if (dane_on && !c.tls() && sts_fails("starttls-not-supported", "host " + out.relay + " did not take STARTTLS")) {
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::next_host;
  }
  // RFC 8689 §4.2.1: DANE authenticates the host as MTA-STS would. In a DANE domain (its
  // MTA-STS policy set aside) a host without usable TLSA records is not authenticated.
  if (req.requiretls && !out.via_relay && !sts && !out.verified) {
    last_error = "REQUIRETLS: host " + out.relay + " is not authenticated by DANE (no usable TLSA record)";
    requiretls_failure = true;
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::next_host;
  }
  if (req.requiretls && !caps.requiretls && sts_fails("validation-failure", "host " + out.relay + " does not support REQUIRETLS")) {
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::next_host;
  }
  if (cr) {
    if (!c.tls()) {
      set_all(out, rcpt_result::kind::temporary,
              "454 4.7.0 relay " + out.relay + " offers no STARTTLS: credentials are sent over TLS only", "4.7.0");
      co_await c.write("QUIT\r\n", 10s);
      co_return session_end::finished;
    }
    if (!co_await authenticate(c, caps, *cr, out, t)) {
      if (c.is_open()) co_await c.write("QUIT\r\n", 10s);
      co_return session_end::finished;
    }
  }
  if (caps.max_size && req.message->size > caps.max_size) {
    set_all(out, rcpt_result::kind::permanent,
            "552 5.3.4 message size " + std::to_string(req.message->size) + " exceeds the limit of " + out.relay + " (" +
                std::to_string(caps.max_size) + ")",
            "5.3.4");
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::finished;
  }
  const std::string mail_cmd = mail_from(req, caps);
  if (needs_smtputf8(req) && !caps.smtputf8) {
    // RFC 6531 §3.2: the message cannot go to a server without SMTPUTF8; no downgrade.
    set_all(out, rcpt_result::kind::permanent, "553 5.6.7 " + out.relay + " does not support SMTPUTF8, needed by a non-ASCII address", "5.6.7");
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::finished;
  }
  if (!co_await c.write(mail_cmd, t)) co_return lost("sending MAIL FROM");
  auto mr = co_await c.read_reply(t);
  if (!mr) co_return lost("waiting for the MAIL FROM reply");
  if (!mr->positive()) {
    set_all(out, mr->permanent() ? rcpt_result::kind::permanent : rcpt_result::kind::temporary, mr->summary(), mr->status());
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::finished;
  }
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < req.rcpts.size(); ++i) {
    const std::string rcpt_cmd = rcpt_to(req.rcpts[i], caps);
    if (!co_await c.write(rcpt_cmd, t)) co_return lost("sending RCPT TO");
    auto rr = co_await c.read_reply(t);
    if (!rr) co_return lost("waiting for the RCPT TO reply");
    if (rr->positive()) {
      accepted.push_back(i);
    } else {
      out.rcpts[i] = {rr->permanent() ? rcpt_result::kind::permanent : rcpt_result::kind::temporary, rr->summary(), rr->status()};
    }
  }
  if (accepted.empty()) {
    co_await c.write("QUIT\r\n", 10s);
    co_return session_end::finished;
  }
  // Past this point a lost connection must not make us try another host for recipients that
  // may have been delivered: they stay temporary failures (RFC 5321 §6.1: duplicates rather
  // than losses, but not on purpose).
  auto fail_accepted = [&](std::string_view when) {
    for (auto i : accepted)
      out.rcpts[i] = {rcpt_result::kind::temporary, "451 4.4.2 lost connection with " + out.relay + " while " + std::string(when) + ": " + c.error(), "4.4.2"};
  };
  // The message could not be sent whole: the connection went, or the queue could not read it
  // (deferred like a read error before the attempt).
  auto send_failed = [&](const error& e) {
    if (e.code == "smtp.write") return fail_accepted(e.message);
    for (auto i : accepted) out.rcpts[i] = {rcpt_result::kind::temporary, "451 4.3.0 " + e.message, "4.3.0"};
  };
  std::optional<smtp_reply> fr;
  if (caps.chunking) {
    // RFC 3030 §2: one chunk holding the whole message.
    std::string cmd = "BDAT " + std::to_string(req.message->size) + " LAST\r\n";
    if (!co_await c.write(cmd, t)) {
      fail_accepted("sending the message");
      co_return session_end::finished;
    }
    auto sent = co_await send_message(c, *req.message, false, std::max<std::chrono::seconds>(t, 600s));
    if (!sent) {
      // The chunk's count promised octets that will not come: nothing the server could take
      // as a message, and the connection cannot go on.
      send_failed(sent.error());
      co_return session_end::finished;
    }
    fr = co_await c.read_reply(std::max<std::chrono::seconds>(t, 600s));
  } else {
    if (!co_await c.write("DATA\r\n", t)) {
      fail_accepted("sending DATA");
      co_return session_end::finished;
    }
    auto dr = co_await c.read_reply(t);
    if (!dr) {
      fail_accepted("waiting for the DATA reply");
      co_return session_end::finished;
    }
    if (dr->code != 354) {
      for (auto i : accepted)
        out.rcpts[i] = {dr->permanent() ? rcpt_result::kind::permanent : rcpt_result::kind::temporary, dr->summary(), dr->status()};
      co_await c.write("QUIT\r\n", 10s);
      co_return session_end::finished;
    }
    // RFC 5321 §4.5.3.2.5/.6: 10 minutes for the final reply.
    auto sent = co_await send_message(c, *req.message, true, std::max<std::chrono::seconds>(t, 600s));
    if (!sent) {
      // Without its terminator the server discards what it got once the connection drops.
      send_failed(sent.error());
      co_return session_end::finished;
    }
    fr = co_await c.read_reply(std::max<std::chrono::seconds>(t, 600s));
  }
  if (!fr) {
    fail_accepted("waiting for the end-of-data reply");
    co_return session_end::finished;
  }
  for (auto i : accepted) {
    if (fr->positive())
      out.rcpts[i] = {rcpt_result::kind::delivered, fr->summary(), fr->status()};
    else
      out.rcpts[i] = {fr->permanent() ? rcpt_result::kind::permanent : rcpt_result::kind::temporary, fr->summary(), fr->status()};
  }
  if (co_await c.write("QUIT\r\n", 10s)) co_await c.read_reply(10s);
  co_return session_end::finished;
}

}  // namespace

asio::awaitable<attempt_result> deliver_remote(const attempt_request& req) {
  attempt_result out;
  out.rcpts.resize(req.rcpts.size());
  set_all(out, rcpt_result::kind::temporary, "451 4.4.1 no attempt made", "4.4.1");
  if (!req.resolver || !req.tls) {
    set_all(out, rcpt_result::kind::temporary, "451 4.3.0 no DNS resolver configured", "4.3.0");
    co_return out;
  }
  // Which way: a forced relay, a route's relay (by domain, or by MX host once known), or the
  // MX hosts themselves.
  const relay_address* via = req.via;
  std::optional<credentials> cr;
  if (via && !req.username.empty()) cr = credentials{req.username, req.password};
  const route* rt = !via && req.routes ? route_for_domain(*req.routes, req.domain) : nullptr;
  std::vector<std::string> hosts;
  bool mx_secure = false;
  if (!via && !(rt && rt->relay)) {
    hosts = co_await mx_hosts(req, out, mx_secure);
    if (hosts.empty()) co_return out;
    if (!rt && req.routes) rt = route_for_mx(*req.routes, hosts);
  }
  out.matched = rt;
  if (!via && rt && rt->relay) {
    via = &*rt->relay;
    if (!rt->username.empty()) cr = credentials{rt->username, rt->password};
  }
  // MTA-STS and DANE apply to the recipient domain's MX hosts, not to a relay we chose.
  const sts_policy* sts = via ? nullptr : req.sts;
  std::map<std::string, dane_host> dane;
  bool dane_domain = false;
  if (!via && mx_secure && req.resolver->validating()) {
    for (const auto& h : hosts) {
      dane_host d;
      if (req.dane_for)
        d = co_await req.dane_for(h, req.port);
      else
        d = co_await dane_lookup(*req.resolver, h, req.port, true);
      if (d.st != dane_host::state::off) dane_domain = true;
      dane.emplace(h, std::move(d));
    }
  }
  // RFC 8461 §2: where DANE TLSA records are published, MTA-STS is not applied.
  if (dane_domain && sts) {
    log::debug("smtp.out.sts_set_aside", {{"id", req.queue_id}, {"domain", req.domain}, {"reason", "DANE"}});
    sts = nullptr;
  }
  if (req.requiretls && !via && !dane_domain && (!sts || sts->mode == sts_mode::none)) {
    set_all(out, rcpt_result::kind::permanent,
            "550 5.7.30 REQUIRETLS support required: " + req.domain +
                " publishes no MTA-STS policy, so its MX hosts cannot be verified",
            "5.7.30");
    out.relay = "none";
    co_return out;
  }
  if (sts && sts->mode != sts_mode::none) {
    std::vector<std::string> allowed;
    std::string refused;
    for (const auto& h : hosts) {
      if (sts_mx_allowed(*sts, h)) {
        allowed.push_back(h);
      } else {
        refused += (refused.empty() ? "" : ", ") + h;
        // TLS-RPT: RFC 8460 has no result type of its own for an MX the policy does not list;
        // §4.3.2.1's general one, with the host named.
        tls_outcome o;
        o.result_type = "validation-failure";
        o.receiving_mx = h;
        o.reason = "MX host " + h + " is not listed in the MTA-STS policy";
        out.tls_sessions.push_back(std::move(o));
      }
    }
    if (!refused.empty() && sts->mode == sts_mode::testing && !req.requiretls) {
      log::info("smtp.out.sts_testing", {{"id", req.queue_id}, {"domain", req.domain}, {"would_refuse", "MX not in the policy: " + refused}});
    } else if (!refused.empty()) {
      if (allowed.empty() && req.requiretls) {
        set_all(out, rcpt_result::kind::permanent,
                "550 5.7.30 REQUIRETLS support required: the MTA-STS policy of " + req.domain + " lists none of its MX hosts (" +
                    refused + ")",
                "5.7.30");
        out.relay = "none";
        co_return out;
      }
      if (allowed.empty()) {
        set_all(out, rcpt_result::kind::temporary,
                "451 4.7.5 MTA-STS policy of " + req.domain + " (enforce, id " + sts->id + ") lists none of its MX hosts (" + refused + ")",
                "4.7.5");
        out.relay = "none";
        co_return out;
      }
      log::info("smtp.out.sts_skip", {{"id", req.queue_id}, {"domain", req.domain}, {"not_in_policy", refused}});
      hosts = std::move(allowed);
    }
  }
  std::uint16_t port = req.port;
  if (via) {
    hosts = {via->host};
    port = via->port;
    out.via_relay = true;
  }
  auto ex = co_await asio::this_coro::executor;
  std::string last_error;
  bool policy_failure = false, requiretls_failure = false;
  std::size_t tried = 0;
  auto record = [&](tls_session_policy&& p) {
    log::info("smtp.out.tls_policy", {{"id", req.queue_id}, {"domain", req.domain}, {"host", p.host},
                                      {"relay", p.relay.empty() ? "none" : p.relay}, {"policy", policy_name(p.policy)},
                                      {"result", p.ok ? "ok" : "fail"}, {"type", p.result_type}, {"reason", p.reason}});
    out.policies.push_back(std::move(p));
  };
  for (const auto& host : hosts) {
    const auto dh = dane.find(host);
    const dane_host* dh_ptr = dh == dane.end() ? nullptr : &dh->second;
    if (dh_ptr && dh_ptr->st == dane_host::state::failed) {
      // RFC 7672 §2.2: the TLSA records cannot be known: the host is not used.
      last_error = "DANE (TLSA " + dh_ptr->name + "): look-up failed (" + dh_ptr->why + "), host " + host + " skipped";
      policy_failure = true;
      requiretls_failure = false;
      record({tls_session_policy::kind::dane, host, "", false, "dnssec-invalid", last_error});
      continue;
    }
    auto addrs = co_await addresses(req, host);
    if (addrs.empty()) {
      last_error = "host " + host + " has no address (A/AAAA)";
      continue;
    }
    for (const auto& ip : addrs) {
      if (tried++ >= max_addresses) break;
      host_addr ha{host, ip};
      out.relay = relay_of(ha, port);
      out.remote_host = host;
      bool use_tls = true;
      for (int round = 0; round < 2; ++round) {
        smtp_conn c(ex, *req.tls);
        policy_failure = requiretls_failure = false;  // the reason given at the end is the last host's
        const tcp::endpoint ep(ip, port);
        const bool connected = co_await c.connect(ep, ip.is_v4() ? req.bind_v4 : req.bind_v6, req.connect_timeout);
        if (!connected) {
          last_error = "connect to " + out.relay + ": " + c.error();
          break;
        }
        out.local_ip = c.local_ip();
        tls_session_policy pol;
        pol.host = host;
        pol.relay = out.relay;
        auto end = co_await run_session(req, c, host, use_tls, cr ? &*cr : nullptr, sts, dh_ptr, out, last_error,
                                        policy_failure, requiretls_failure, pol);
        c.close();
        if (!via) record(std::move(pol));
        if (end == session_end::finished) co_return out;
        if (end == session_end::retry_plain) {
          log::info("smtp.out.tls_failed", {{"id", req.queue_id}, {"relay", out.relay}, {"reason", last_error}});
          use_tls = false;
          continue;
        }
        break;  // next_host
      }
    }
  }
  if (requiretls_failure)
    set_all(out, rcpt_result::kind::permanent, "550 5.7.30 REQUIRETLS support required: " + last_error.substr(12), "5.7.30");
  else if (policy_failure)
    set_all(out, rcpt_result::kind::temporary, "451 4.7.5 " + last_error, "4.7.5");
  else
    set_all(out, rcpt_result::kind::temporary, "451 4.4.1 " + (last_error.empty() ? "no host to deliver to" : last_error), "4.4.1");
  if (out.relay.empty()) out.relay = "none";
  co_return out;
}

}  // namespace hearth::mail::queue
