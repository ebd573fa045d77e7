#include "app/placeholder_sessions.hpp"

#include <utility>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is freed; nothing is mismatched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::app {
namespace {

namespace asio = boost::asio;
using net::connection;
using net::read_status;
using opts_t = placeholder_options;

// "TAG VERB rest" -> {first word, second word upper-cased}; for SMTP/POP3 the first word is
// the verb, which callers upper-case themselves.
std::pair<std::string, std::string> two_words(std::string_view line) {
  auto sp = line.find(' ');
  std::string first(line.substr(0, sp));
  std::string second;
  if (sp != std::string_view::npos) {
    std::string_view rest = line.substr(sp + 1);
    second = util::to_upper(rest.substr(0, rest.find(' ')));
  }
  return {first, second};
}

// --- SMTP (RFC 5321, STARTTLS RFC 3207) --------------------------------------------------

asio::awaitable<void> smtp(connection& c, const opts_t& o, bool implicit) {
  // RFC 5321 §3.8: 421 may be sent at any time when the service must close.
  const std::string unavailable = "421 4.3.2 " + o.hostname + " Service not available yet, try again later\r\n";
  if (implicit) {
    co_await c.write(unavailable);
    co_return;
  }
  co_await c.write("220 " + o.hostname + " ESMTP Hearth\r\n");
  for (;;) {
    auto l = co_await c.read_line(o.max_line, o.read_timeout);
    if (l.status == read_status::too_long) {
      co_await c.write("500 5.5.2 Line too long\r\n");
      continue;
    }
    if (l.status == read_status::timeout) {
      co_await c.write("421 4.4.2 " + o.hostname + " Timeout, closing connection\r\n");
      co_return;
    }
    if (!l) co_return;
    std::string verb = util::to_upper(two_words(l.data).first);
    if (verb == "QUIT") {
      co_await c.write("221 2.0.0 Bye\r\n");
      co_return;
    }
    if (c.is_tls()) break;
    if (verb == "EHLO") {
      co_await c.write("250-" + o.hostname + "\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n");
    } else if (verb == "HELO") {
      co_await c.write("250 " + o.hostname + "\r\n");
    } else if (verb == "NOOP" || verb == "RSET") {
      co_await c.write("250 2.0.0 OK\r\n");
    } else if (verb == "STARTTLS") {
      // CVE-2011-0411: commands pipelined behind STARTTLS would run inside TLS.
      if (c.has_buffered_input()) {
        co_await c.write("554 5.5.1 Commands are not allowed after STARTTLS\r\n");
        co_return;
      }
      co_await c.write("220 2.0.0 Ready to start TLS\r\n");
      bool ok = co_await c.start_tls(o.handshake_timeout);
      if (!ok) co_return;
    } else {
      break;
    }
  }
  co_await c.write(unavailable);
}

// --- IMAP (RFC 9051) ----------------------------------------------------------------------

asio::awaitable<void> imap(connection& c, const opts_t& o, bool implicit) {
  // RFC 9051 §7.1.5: BYE may be sent at any time, also as the greeting.
  const std::string bye = "* BYE [UNAVAILABLE] Hearth IMAP is not available yet\r\n";
  if (implicit) {
    co_await c.write(bye);
    co_return;
  }
  const std::string caps = "IMAP4rev1 STARTTLS LOGINDISABLED";
  co_await c.write("* OK [CAPABILITY " + caps + "] " + o.hostname + " Hearth ready\r\n");
  for (;;) {
    auto l = co_await c.read_line(o.max_line, o.read_timeout);
    if (l.status == read_status::too_long) {
      co_await c.write("* BAD Line too long\r\n");
      continue;
    }
    if (l.status == read_status::timeout) {
      co_await c.write("* BYE Idle for too long\r\n");
      co_return;
    }
    if (!l) co_return;
    if (c.is_tls()) break;
    auto [tag, cmd] = two_words(l.data);
    if (tag.empty() || cmd.empty()) {
      co_await c.write("* BAD Missing tag or command\r\n");
    } else if (cmd == "CAPABILITY") {
      co_await c.write("* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n");
    } else if (cmd == "NOOP") {
      co_await c.write(tag + " OK NOOP completed\r\n");
    } else if (cmd == "LOGOUT") {
      co_await c.write("* BYE Logging out\r\n" + tag + " OK LOGOUT completed\r\n");
      co_return;
    } else if (cmd == "STARTTLS") {
      if (c.has_buffered_input()) {  // CVE-2011-0411
        co_await c.write(tag + " BAD Commands are not allowed after STARTTLS\r\n");
        co_return;
      }
      co_await c.write(tag + " OK Begin TLS negotiation now\r\n");
      bool ok = co_await c.start_tls(o.handshake_timeout);
      if (!ok) co_return;
    } else {
      break;
    }
  }
  co_await c.write(bye);
}

// --- POP3 (RFC 1939, STLS and CAPA RFC 2595/2449) -----------------------------------------

asio::awaitable<void> pop3(connection& c, const opts_t& o, bool implicit) {
  // RFC 2449 §8.1.2: [SYS/TEMP] marks a temporary server problem.
  const std::string unavailable = "-ERR [SYS/TEMP] Hearth POP3 is not available yet\r\n";
  if (implicit) {
    co_await c.write(unavailable);
    co_return;
  }
  co_await c.write("+OK Hearth POP3 ready\r\n");
  for (;;) {
    auto l = co_await c.read_line(o.max_line, o.read_timeout);
    if (l.status == read_status::too_long) {
      co_await c.write("-ERR Line too long\r\n");
      continue;
    }
    if (!l) co_return;  // RFC 1939 §3: an idle timeout closes without a response
    std::string verb = util::to_upper(two_words(l.data).first);
    if (verb == "QUIT") {
      co_await c.write("+OK Bye\r\n");
      co_return;
    }
    if (c.is_tls()) break;
    if (verb == "CAPA") {
      co_await c.write("+OK Capability list follows\r\nSTLS\r\nRESP-CODES\r\nIMPLEMENTATION Hearth\r\n.\r\n");
    } else if (verb == "NOOP") {
      co_await c.write("+OK\r\n");
    } else if (verb == "STLS") {
      if (c.has_buffered_input()) {  // CVE-2011-0411
        co_await c.write("-ERR Commands are not allowed after STLS\r\n");
        co_return;
      }
      co_await c.write("+OK Begin TLS negotiation\r\n");
      bool ok = co_await c.start_tls(o.handshake_timeout);
      if (!ok) co_return;
    } else {
      break;
    }
  }
  co_await c.write(unavailable);
}

// --- XMPP (RFC 6120) ----------------------------------------------------------------------

constexpr std::size_t xmpp_max_buffer = 16 * 1024;

// Reads until `acc` holds the opening stream tag; returns the offset just past its '>',
// or npos on timeout, close or an over-long header.
asio::awaitable<std::size_t> read_stream_header(connection& c, const opts_t& o, std::string& acc) {
  for (;;) {
    auto start = acc.find("<stream:stream");
    if (start != std::string::npos) {
      auto end = acc.find('>', start);
      if (end != std::string::npos) co_return end + 1;
    }
    if (acc.size() > xmpp_max_buffer) co_return std::string::npos;
    auto r = co_await c.read_some(4096, o.read_timeout);
    if (!r) co_return std::string::npos;
    acc += r.data;
  }
}

asio::awaitable<void> xmpp(connection& c, const opts_t& o, bool server_to_server) {
  const std::string ns = server_to_server ? "jabber:server" : "jabber:client";
  auto header = [&] {
    return "<?xml version='1.0'?><stream:stream xmlns='" + ns +
           "' xmlns:stream='http://etherx.jabber.org/streams' id='" + log::new_id() + "' from='" + o.hostname +
           "' version='1.0'>";
  };
  // RFC 6120 §4.9.3.22: system-shutdown, "the server is being shut down and all active
  // streams are being closed" — the nearest condition to "not available yet".
  const std::string shutdown =
      "<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Hearth XMPP is not available yet</text>"
      "</stream:error></stream:stream>";
  std::string acc;
  if (!c.is_tls()) {
    auto end = co_await read_stream_header(c, o, acc);
    if (end == std::string::npos) co_return;
    acc.erase(0, end);
    // RFC 6120 §5.3.1: mandatory-to-negotiate TLS is announced with <required/>.
    co_await c.write(header() +
                     "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                     "</stream:features>");
    std::size_t done = std::string::npos;
    for (;;) {
      auto at = acc.find("<starttls");
      if (at != std::string::npos) {
        auto close1 = acc.find("/>", at);
        auto close2 = acc.find("</starttls>", at);
        if (close1 != std::string::npos && (close2 == std::string::npos || close1 < close2)) done = close1 + 2;
        else if (close2 != std::string::npos) done = close2 + 11;
        if (done != std::string::npos) break;
      } else if (acc.find("</stream:stream>") != std::string::npos) {
        co_await c.write("</stream:stream>");
        co_return;
      }
      if (acc.size() > xmpp_max_buffer) break;
      auto r = co_await c.read_some(4096, o.read_timeout);
      if (!r) co_return;
      acc += r.data;
    }
    // RFC 6120 §5.4.2.2 failure case; also anything sent after <starttls/> before <proceed/>
    // (CVE-2011-0411).
    if (done == std::string::npos || done != acc.size() || c.has_buffered_input()) {
      co_await c.write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
      co_return;
    }
    co_await c.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    bool ok = co_await c.start_tls(o.handshake_timeout);
    if (!ok) co_return;
    acc.clear();
  }
  // RFC 6120 §5.4.3.3: after TLS the client opens a new stream.
  auto end = co_await read_stream_header(c, o, acc);
  if (end == std::string::npos) co_return;
  co_await c.write(header() + shutdown);
}

// --- HTTPS (RFC 9110/9112) ----------------------------------------------------------------

asio::awaitable<void> https(connection& c, const opts_t& o) {
  // Read the request head, bounded in lines and time, so the answer is not a reset.
  for (int lines = 0; lines < 100; ++lines) {
    auto l = co_await c.read_line(o.max_line, std::min<std::chrono::seconds>(o.read_timeout, std::chrono::seconds(30)));
    if (l.status == read_status::timeout || l.status == read_status::closed) co_return;
    if (l && l.data.empty() && lines > 0) break;
  }
  const std::string body = "Hearth: this service is not available yet.\n";
  co_await c.write("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\nRetry-After: 3600\r\nConnection: close\r\n\r\n" + body);
}

}  // namespace

net::handler placeholder_session(config::service svc, placeholder_options opts) {
  using config::service;
  const bool implicit = config::service_tls(svc) == config::tls_mode::implicit;
  return [svc, implicit, o = std::move(opts)](connection& c) -> asio::awaitable<void> {
    switch (svc) {
      case service::smtp:
      case service::submission:
      case service::submissions: co_await smtp(c, o, implicit); break;
      case service::imap:
      case service::imaps: co_await imap(c, o, implicit); break;
      case service::pop3:
      case service::pop3s: co_await pop3(c, o, implicit); break;
      case service::managesieve: break;  // mail/managesieve serves it (install_managesieve)
      case service::https: co_await https(c, o); break;
      case service::xmpp_client:
      case service::xmpps_client: co_await xmpp(c, o, false); break;
      case service::xmpp_server:
      case service::xmpps_server: co_await xmpp(c, o, true); break;
    }
  };
}

}  // namespace hearth::app
