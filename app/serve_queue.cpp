#include "app/serve_queue.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <optional>

#include "app/common.hpp"
#include "core/blob/store.hpp"
#include "core/dns/resolver.hpp"
#include "core/log/log.hpp"
#include "core/util/file_modes.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/queue/dsn.hpp"
#include "mail/queue/queue.hpp"
#include "mail/smtp/server/delivery.hpp"
#include "mail/smtp/server/filter.hpp"

namespace hearth::app {

std::shared_ptr<dns::resolver> make_resolver(serve_context& ctx) {
  dns::options dopt;
  dopt.servers = ctx.cfg.dns_servers;
  dopt.dnssec = ctx.cfg.dnssec;
  dopt.trust_anchor_file = ctx.cfg.dns_trust_anchor_file.string();
  auto resolver = std::make_shared<dns::resolver>(ctx.server.io().get_executor(), dopt);
  if (!resolver->init_error().empty()) log::warn("mail.resolver", {{"error", resolver->init_error()}});
  ctx.keep.push_back(resolver);
  return resolver;
}

namespace {

// The relay password: the first line of a file that only the server can read, since anyone
// who reads it can send mail as us through the smarthost. nullopt (logged) otherwise.
std::optional<std::string> read_password_file(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    log::error("queue.route", {{"password_file", file.string()}, {"error", "not a readable file"}});
    return std::nullopt;
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    log::error("queue.route", {{"password_file", file.string()}, {"mode", util::octal_mode(st.st_mode & 07777)},
                               {"error", "must belong to the server's user and be readable by it only (chmod 600)"}});
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.size() > 1024) {
    log::error("queue.route", {{"password_file", file.string()}, {"error", "cannot read a password line from it"}});
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The octets `whole` reads past its first `skip`, in pieces.
result<void> read_past(const mail::piece_source& whole, std::size_t skip, const mail::piece_sink& out) {
  return whole([&skip, &out](std::string_view p) -> result<void> {
    if (skip >= p.size()) {
      skip -= p.size();
      return {};
    }
    p.remove_prefix(skip);
    skip = 0;
    return out(p);
  });
}

// A queued message too large for the queue to hand over whole, as local delivery takes one:
// `start` (its first octets) cut after the header section, the rest of the body read from the
// spool each time a copy needs it.
mail::smtp::large_message large_from_spool(blob::store* blobs, std::string_view start, const mail::piece_source* whole) {
  const std::size_t head = mail::queue::header_section(start).size();
  mail::smtp::large_message lm;
  lm.body_start = start.size() - head;
  lm.each_body = [whole, head](const mail::piece_sink& out) { return read_past(*whole, head, out); };
  lm.body = mail::as_body_pieces(lm.each_body);
  lm.write_blob = [blobs, each = lm.each_body](std::string_view h) -> result<std::string> {
    auto w = blobs->begin();
    if (!w) return w.error();
    if (auto r = w->write(h); !r) return r.error();
    if (auto r = each([&w](std::string_view p) { return w->write(p); }); !r) return r.error();
    return w->commit();
  };
  return lm;
}

}  // namespace

std::shared_ptr<mail::queue::queue> make_outbound_queue(
    serve_context& ctx, dns::resolver& resolver, std::shared_ptr<mail::smtp::copy_hook> local_copy,
    std::shared_ptr<mail::smtp::forwarding> forwarder,
    std::shared_ptr<std::function<void(std::vector<mail::queue::tls_outcome>)>> on_tls) {
  const auto& c = ctx.cfg;

  // Aliases at our domains may point elsewhere: deliver_local hands those back as `forward`,
  // and they go into the queue (the queue object exists once open() returned).
  auto self = std::make_shared<std::weak_ptr<mail::queue::queue>>();

  mail::queue::options o;
  o.data_dir = c.data_dir;
  o.db_target = database_target(c);
  o.hostname = c.hostname;
  o.remote_port = c.smtp_outbound_port;
  o.mta_sts = c.smtp_outbound_mta_sts;
  o.sts_port = c.smtp_outbound_https_port;
  o.ca_file = c.smtp_outbound_ca_file;
  o.first_retry = std::chrono::seconds(c.smtp_queue_first_retry);
  o.max_retry = std::chrono::seconds(c.smtp_queue_max_retry);
  o.give_up = std::chrono::seconds(c.smtp_queue_give_up);
  o.delay_warning = std::chrono::seconds(c.smtp_queue_delay_warning);
  o.claim_lease = std::chrono::seconds(c.smtp_queue_claim_lease);
  o.resolver = &resolver;
  o.tls = &ctx.tls;
  if (on_tls)
    o.on_tls = [on_tls](std::vector<mail::queue::tls_outcome> v) {
      if (*on_tls) (*on_tls)(std::move(v));
    };
  for (const auto& text : c.smtp_queue_bind_addresses) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(text, ec);
    auto& slot = !ec && a.is_v4() ? o.bind_v4 : o.bind_v6;
    if (ec || a.is_unspecified() || !slot.is_unspecified()) {
      log::error("queue.bind", {{"address", text},
                                {"error", ec ? "not an IP address"
                                             : a.is_unspecified() ? "the unspecified address cannot be a source"
                                                                  : "smtp.queue.bind_addresses takes one IPv4 and one IPv6 address"}});
      return nullptr;
    }
    slot = a;
  }
  for (const auto& r : c.smtp_routes) {
    mail::queue::route q;
    for (const auto& d : r.domains) q.domains.push_back(util::to_lower(d));
    for (const auto& h : r.mx) q.mx.push_back(util::to_lower(h));
    // config load() checked the "host:port" syntax already.
    if (!r.relay.empty()) q.relay = mail::queue::parse_relay(r.relay);
    if (!r.fallback_relay.empty()) q.fallback_relay = mail::queue::parse_relay(r.fallback_relay);
    if ((!r.relay.empty() && !q.relay) || (!r.fallback_relay.empty() && !q.fallback_relay)) {
      log::error("queue.route", {{"relay", r.relay}, {"fallback_relay", r.fallback_relay}, {"error", "not host:port"}});
      return nullptr;
    }
    q.username = r.username;
    if (!r.password_file.empty()) {
      auto pw = read_password_file(r.password_file);
      if (!pw) return nullptr;
      q.password = std::move(*pw);
    }
    o.routes.push_back(std::move(q));
  }
  directory::directory& dir = ctx.dir;
  mail::store& store = ctx.mail;
  o.is_local_domain = [&dir](std::string_view d) { return dir.is_local_domain(d); };
  // Backup MX (mail/filter): the domains we keep mail for wait backup_mx.retention.
  if (!c.backup_mx_domains.empty()) {
    std::vector<std::string> backup;
    for (const auto& d : c.backup_mx_domains) backup.push_back(util::to_lower(d));
    o.give_up_for = [backup, keep = std::chrono::seconds(c.backup_mx_retention)](
                        std::string_view d) -> std::optional<std::chrono::seconds> {
      for (const auto& b : backup)
        if (b == d) return keep;
      return std::nullopt;
    };
  }
  blob::store* blobs = &ctx.blobs;
  o.deliver_local = [&dir, &store, blobs, host = c.hostname, self, local_copy, forwarder](
                        const std::string& from, const std::string& rcpt, std::string_view message,
                        const mail::piece_source* whole) -> result<void> {
    if (forwarder) {
      // A notice the queue wrote about a forwarded copy goes to its SRS sender: it is passed on
      // to the address that stands behind it, as a bounce arriving over SMTP would be.
      auto back = forwarder->reverse(rcpt);
      // Forged or expired: never deliverable (the queue's ".permanent" convention).
      if (!back) return fail(back.error().code + ".permanent", back.error().message);
      if (back->has_value()) {
        auto q = self->lock();
        if (!q) return fail("queue.none", "no outbound queue");
        mail::queue::envelope env;
        env.from = from;
        env.rcpts.push_back({**back, "", ""});
        env.client = "SRS " + rcpt;
        log::info("srs.reverse", {{"to", rcpt}, {"original", **back}});
        if (auto e = whole ? q->enqueue(env, *whole) : q->enqueue(env, message); !e) return e.error();
        return {};
      }
    }
    // A large message: each copy written to the blob store from the spool in pieces.
    std::optional<mail::smtp::large_message> large;
    if (whole) large = large_from_spool(blobs, message, whole);
    const std::string id = mail::smtp::new_id();
    const std::string received = mail::smtp::received_field("", host, "ESMTP", "", id, rcpt);
    auto r = mail::smtp::deliver_local(dir, store, from, rcpt, received, message, {}, local_copy.get(), false, {},
                                       large ? &*large : nullptr);
    if (!r) return r.error();
    if (!r->forward.empty()) {
      if (auto q = self->lock()) {
        mail::queue::envelope env;
        env.from = from;
        for (const auto& f : r->forward) env.rcpts.push_back({f, "", ""});
        env.client = "alias of " + rcpt;
        // Of a large message only the header section is in hand; SRS and ARC touch that and
        // hash the body as it is read.
        std::string bytes(large ? message.substr(0, message.size() - large->body_start) : message);
        if (forwarder) {
          auto f = large ? forwarder->prepare(from, std::move(bytes), large->body) : forwarder->prepare(from, std::move(bytes));
          env.from = std::move(f.sender);
          bytes = std::move(f.message);
        }
        auto e = large ? q->enqueue(env,
                                    [&bytes, &large](const mail::piece_sink& out) -> result<void> {
                                      if (auto w = out(bytes); !w) return w;
                                      return large->each_body(out);
                                    })
                       : q->enqueue(env, bytes);
        if (!e) return e.error();
      }
    }
    // A failed copy (quota, disk) is retried as a whole: accounts already served may get a
    // second copy, which beats losing the message.
    if (!r->failed.empty()) return r->failed.front().why;
    return {};
  };
  auto q = mail::queue::queue::open(o);
  if (!q) {
    log::error("queue.open", {{"code", q.error().code}, {"error", q.error().message}});
    return nullptr;
  }
  *self = *q;
  (*q)->start(ctx.server.io());
  ctx.keep.push_back(*q);
  ctx.on_stop.push_back([qq = *q] { qq->stop(); });
  return *q;
}

}  // namespace hearth::app
