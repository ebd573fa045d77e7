// One coroutine per SMTP connection around mail::smtp::engine (see session.hpp for the policy).
// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is inlined (see app/placeholder_sessions.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "mail/smtp/server/session.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "auth/authenticator.hpp"
#include "core/blob/store.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/queue/queue.hpp"
#include "mail/smtp/proto/session.hpp"
#include "mail/smtp/server/decision_log.hpp"
#include "mail/smtp/server/delivery.hpp"
#include "mail/smtp/server/filter.hpp"
#include "mail/smtp/server/policy.hpp"
#include "mail/smtp/server/spill.hpp"
#include "mail/store/store.hpp"

namespace hearth::mail::smtp {
namespace {

namespace asio = boost::asio;
using net::connection;

constexpr std::size_t read_chunk = 64 * 1024;
// Content beyond this goes to a spill file as it arrives (spill.hpp); smaller messages never
// touch it. The same threshold as IMAP APPEND's streaming.
constexpr std::size_t spill_at = 1 << 20;
// What a large message's consumers read at a time.
constexpr std::size_t large_piece = 256 * 1024;

// The message in one string (a large message when there is no blob store to write it to).
result<std::string> read_whole(const message_source& m) {
  std::string out;
  out.reserve(m.size());
  auto r = m.each_piece(large_piece, [&out](std::string_view p) -> result<void> {
    out += p;
    return {};
  });
  if (!r) return r.error();
  return out;
}

// Connections per client IP, shared by the sessions of one listener.
struct ip_counter {
  std::mutex m;
  std::unordered_map<std::string, std::size_t> n;
};

class ip_slot {
 public:
  ip_slot(ip_counter& c, std::string ip, std::size_t limit) : c_(c), ip_(std::move(ip)) {
    std::lock_guard lock(c_.m);
    auto& k = c_.n[ip_];
    ok_ = limit == 0 || k < limit;
    if (ok_) ++k;
    else if (k == 0) c_.n.erase(ip_);
  }
  ~ip_slot() {
    if (!ok_) return;
    std::lock_guard lock(c_.m);
    if (auto it = c_.n.find(ip_); it != c_.n.end() && --it->second == 0) c_.n.erase(it);
  }
  bool ok() const { return ok_; }

 private:
  ip_counter& c_;
  std::string ip_;
  bool ok_ = false;
};

const char* kind_name(listener_kind k) {
  switch (k) {
    case listener_kind::mx: return "smtp";
    case listener_kind::submission: return "submission";
    case listener_kind::submissions: return "submissions";
  }
  return "smtp";
}

std::string rcpt_list(const std::vector<recipient>& rs) {
  std::string s;
  for (const auto& r : rs) {
    if (!s.empty()) s += ",";
    s += "<" + r.address.address() + ">";
  }
  return s;
}

class session {
 public:
  session(connection& c, const server_options& o, server_services& s)
      : c_(c), o_(o), s_(s), e_(caps()) {
    actx_.proto = "smtp";
    actx_.remote_ip = c.remote_ip();
    actx_.tls = c.is_tls();
    if (c.is_tls()) actx_.channel_binding = c.channel_binding();
    if (submission()) set_mechanisms();
    own_names_ = own_host_names(o.hostname, c.local_ip());
  }

  asio::awaitable<void> run() {
    for (;;) {
      const event ev = e_.next();
      // RFC 2920 §3.1: the replies to pipelined commands may go out together, as long as they
      // are written before the server waits for more input. MAIL and RCPT only add their reply
      // to what waits; every other event writes it first (need_input before the read, the
      // content's end before the store, STARTTLS before the handshake, AUTH before its
      // challenge). A client that does not pipeline gets each reply at its next need_input.
      if (ev != event::mail_from && ev != event::rcpt_to) {
        // (GCC 12 miscompiles `if (!co_await ...)` in some frames: await into a variable first.)
        const bool flushed = co_await flush();
        if (!flushed) co_return;
      }
      const bool spilled = co_await spill_out();
      if (!spilled) co_return;
      switch (ev) {
        case event::need_input:
          if (const bool more = co_await read_more(); !more) co_return;
          break;
        case event::mail_from:
          e_.decide(co_await on_mail());
          break;
        case event::rcpt_to:
          e_.decide(co_await on_rcpt());
          break;
        case event::message:
          e_.decide(co_await on_message());
          break;
        case event::starttls:
          if (const bool up = co_await c_.start_tls(o_.handshake_timeout); !up) co_return;
          e_.tls_started();
          actx_.tls = true;
          actx_.channel_binding = c_.channel_binding();
          if (submission()) set_mechanisms();
          break;
        case event::auth_start:
          co_await on_auth_start();
          break;
        case event::auth_response:
          co_await on_auth_response();
          break;
        case event::close:
          co_await c_.shutdown();
          co_return;
      }
    }
  }

 private:
  bool submission() const { return o_.kind != listener_kind::mx; }

  void set_mechanisms() {
    // Without TLS nothing is offered (the EHLO shows no AUTH); the names are kept so that an
    // AUTH attempt gets 538 5.7.11 "encryption required" (RFC 4954 §6) rather than 503.
    e_.set_auth_mechanisms(actx_.tls ? s_.authn.mechanisms(actx_)
                                     : std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"});
  }

  capabilities caps() const {
    capabilities k;
    k.hostname = o_.hostname;
    k.max_message_size = o_.max_message_size;
    k.max_recipients = o_.max_recipients;
    k.max_errors = o_.max_errors;
    k.tls_active = c_.is_tls();
    k.starttls = !c_.is_tls();
    k.auth_requires_tls = true;
    k.auth_required = submission();
    k.spill_at = o_.spill_dir.empty() ? 0 : spill_at;
    return k;
  }

  // Writes what the engine hands out of a large message to this session's spill file, on the
  // blocking pool. False: the file could not be written; the client gets 451 and is dropped
  // (the engine would otherwise go on reading a message it can no longer keep).
  asio::awaitable<bool> spill_out() {
    auto piece = e_.take_spill();
    if (piece.bytes.empty()) co_return true;
    const std::filesystem::path* dir = &o_.spill_dir;
    std::shared_ptr<spill_file>* file = &spill_;
    const bool first = piece.first;
    const std::string* bytes = &piece.bytes;
    auto w = co_await net::run_blocking([dir, file, first, bytes]() -> result<void> {
      if (!*file) {
        auto f = spill_file::create(*dir);
        if (!f) return f.error();
        *file = std::move(*f);
      } else if (first) {
        if (auto c = (*file)->clear(); !c) return c;
      }
      return (*file)->append(*bytes);
    });
    if (w) co_return true;
    log::error("smtp.spill", {{"session", c_.id()}, {"error", w.error().message}});
    co_await c_.write("451 4.3.0 Error: local error in processing, try again later\r\n");
    co_return false;
  }

  reply spill_failed(const error& e) {
    log::error("smtp.spill", {{"session", c_.id()}, {"error", e.message}});
    txn_id_.clear();
    return make_reply(451, "4.3.0", "Error: local error in processing, try again later");
  }

  // The message of the `message` event: in memory when small, else read back from the spill
  // file (which the source then owns: the next message gets a new one).
  asio::awaitable<result<message_source>> take_source() {
    if (!e_.message_spilled() || !spill_) co_return message_source{e_.take_message(), nullptr, 0};
    const std::string tail = e_.take_message();
    std::shared_ptr<spill_file> file = std::move(spill_);
    const std::string* t = &tail;
    std::shared_ptr<spill_file>* f = &file;
    co_return co_await net::run_blocking([t, f] { return spilled_source(std::move(*f), *t); });
  }

  asio::awaitable<bool> flush() {
    std::string out = e_.take_output();
    if (out.empty()) co_return true;
    co_return co_await c_.write(out);
  }

  asio::awaitable<bool> read_more() {
    const bool content = e_.receiving_content();
    auto r = co_await c_.read_some(read_chunk, content ? o_.data_timeout : o_.command_timeout);
    if (r.status == net::read_status::ok) {
      e_.feed(r.data);
      co_return true;
    }
    if (r.status == net::read_status::timeout) {
      // RFC 5321 §4.5.3.2: the server may close after its timeout; 421 says why.
      co_await c_.write("421 4.4.2 " + o_.hostname + " Error: timeout exceeded\r\n");
      log::info("smtp.timeout", {{"session", c_.id()}, {"ip", c_.remote_ip()}, {"in_data", content}});
    } else if (content) {
      // Nothing of a message whose content did not end is stored (the engine holds it).
      log::info("smtp.in", {{"session", c_.id()}, {"ip", c_.remote_ip()}, {"status", "aborted"},
                            {"reason", "disconnect during DATA"}});
    }
    co_return false;
  }

  asio::awaitable<reply> on_mail() {
    const path sender = e_.current().mailbox;
    txn_id_ = new_id();
    state_ = transaction_state{};
    state_.id = txn_id_;
    if (submission() && !sender.is_null) {
      const std::string addr = sender.address();
      const bool ok = co_await net::run_blocking([this, &addr] { return may_send_as(s_.dir, user_, addr); });
      if (!ok) {
        log::info("smtp.sender_refused", {{"session", c_.id()}, {"user", user_}, {"from", addr},
                                          {"ip", c_.remote_ip()}});
        co_return make_reply(553, "5.7.1", "<" + addr + ">: Sender address rejected: not owned by user " + user_);
      }
    }
    if (!s_.filters.empty()) {
      // The envelope in progress: what was accepted so far, plus this sender.
      envelope env = e_.transaction();
      env.sender = sender;
      auto d = co_await run_chain(stage::mail, env, nullptr, rcpt_kind::local, nullptr);
      if (d.v == verdict::refuse) co_return d.r;
    }
    co_return make_reply(250, "2.1.0", "Sender OK");
  }

  enum class stage { mail, rcpt, message };

  client_info client() const {
    client_info ci;
    ci.session = c_.id();
    ci.ip = c_.remote_ip();
    ci.helo = e_.transaction().helo;
    ci.tls = c_.is_tls();
    ci.user = user_;
    ci.kind = o_.kind;
    ci.hostname = o_.hostname;
    return ci;
  }

  // Runs the filters in order; stops at the first that accepts or refuses. At the message
  // stage, passed_ counts the filters that said `next` (whose before_store runs later).
  asio::awaitable<decision> run_chain(stage st, const envelope& env, const path* rcpt, rcpt_kind kind,
                                      std::string* message) {
    const client_info ci = client();
    if (st == stage::message) passed_ = 0;
    for (const auto& f : s_.filters) {
      decision d;
      switch (st) {
        case stage::mail: d = co_await f->on_mail(ci, env, state_); break;
        case stage::rcpt: d = co_await f->on_rcpt(ci, env, *rcpt, kind, state_); break;
        case stage::message: d = co_await f->on_message(ci, env, *message, state_); break;
      }
      if (d.v == verdict::refuse) {
        refused(st, env, rcpt, f->name(), d.r);
        co_return d;
      }
      if (d.v == verdict::accept) co_return d;
      if (st == stage::message) ++passed_;
    }
    co_return decision::go_on();
  }

  // The before_store half of the message stage (filter.hpp), on the blocking pool: the first
  // refusal, with the filter that made it, or nothing.
  std::optional<std::pair<const char*, decision>> run_before_store(const client_info& ci, const envelope& env,
                                                                   const std::string& message) {
    for (std::size_t i = 0; i < passed_ && i < s_.filters.size(); ++i) {
      const auto& f = s_.filters[i];
      auto d = f->before_store(ci, env, message, state_);
      if (d.v == verdict::refuse) return std::pair<const char*, decision>{f->name(), std::move(d)};
    }
    return std::nullopt;
  }

  // A filter's refusal: its log line and the decision kept about it.
  void refused(stage st, const envelope& env, const path* rcpt, const char* filter, const reply& r) {
    log::info("smtp.filter", {{"session", c_.id()}, {"id", state_.id}, {"filter", filter},
                              {"ip", c_.remote_ip()}, {"reply", r.wire()}});
    std::vector<std::string> about;
    if (rcpt) about.push_back(rcpt->address());
    else for (const auto& x : env.recipients) about.push_back(x.address.address());
    note(st == stage::message ? "data" : st == stage::rcpt ? "rcpt" : "mail", r, filter, std::move(about));
  }

  // Keeps what was decided about an incoming message (the MX port, no AUTH) for the admin
  // console: the record goes to a queue that is written in batches, off this thread.
  void note(const char* stage, const reply& r, std::string_view filter, std::vector<std::string> rcpts) {
    if (!s_.decisions || o_.kind != listener_kind::mx || !user_.empty()) return;
    inbound_decision d;
    d.time = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    d.session = c_.id();
    d.id = state_.id.empty() ? txn_id_ : state_.id;
    d.ip = c_.remote_ip();
    d.helo = e_.transaction().helo;
    d.from = e_.transaction().sender.address();
    d.rcpts = std::move(rcpts);
    d.stage = stage;
    d.filter = std::string(filter);
    d.outcome = r.code < 400 ? "accepted" : r.code >= 500 ? "refused" : filter == "greylist" ? "greylisted" : "tempfail";
    std::string line = r.wire();
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    d.reply = std::move(line);
    d.score = state_.score;
    for (const auto& s : state_.symbols) d.symbols += (d.symbols.empty() ? "" : " ") + s;
    for (const auto& [k, v] : state_.results) {
      if (k.starts_with("dnsbl.") && v == "listed") d.dnsbl += (d.dnsbl.empty() ? "" : " ") + k.substr(6);
      else if (k == "greylist") d.greylist = v;
      else if (k == "spam") d.spam = v;
    }
    s_.decisions->record(std::move(d));
  }

  // What RCPT needs from the blocking pool, fetched in one trip: the SRS reversal, and the
  // recipient's class unless the reversal already decided.
  struct rcpt_lookup {
    result<std::optional<std::string>> back = std::optional<std::string>();
    rcpt_class cls;
  };

  rcpt_lookup look_up_rcpt(const path& rcpt) {
    rcpt_lookup out;
    if (s_.forwarder) {
      out.back = s_.forwarder->reverse(rcpt.address());
      if (!out.back || out.back->has_value()) return out;
    }
    out.cls = classify_recipient(s_.dir, rcpt.local, rcpt.domain, own_names_);
    return out;
  }

  asio::awaitable<reply> on_rcpt() {
    const path rcpt = e_.current().mailbox;
    auto look = co_await net::run_blocking([this, &rcpt] { return look_up_rcpt(rcpt); });
    if (s_.forwarder) {
      // A bounce (or reply) to an address we made when forwarding: back to the original sender
      // if the hash is ours and the address young enough; anything else is refused here.
      const std::string addr = rcpt.address();
      const auto& back = look.back;
      if (!back) {
        log::info("smtp.rcpt_refused", {{"session", c_.id()}, {"to", addr}, {"ip", c_.remote_ip()},
                                        {"reason", back.error().code}});
        const char* why = back.error().code == "srs.expired" ? "expired SRS address" : "invalid SRS address";
        co_return make_reply(550, "5.1.1", "<" + addr + ">: Recipient address rejected: " + why + " (" +
                                               back.error().message + ")");
      }
      if (back->has_value()) {
        if (!s_.outbound) co_return make_reply(451, "4.3.0", "Outbound delivery is not available");
        log::info("srs.reverse", {{"session", c_.id()}, {"to", addr}, {"original", **back}});
        state_.srs_reverse[util::to_lower(addr)] = **back;
        co_return make_reply(250, "2.1.5", "Recipient OK");
      }
    }
    const rcpt_class& cls = look.cls;
    const std::string shown = rcpt.address();
    if (!s_.filters.empty() && (cls.kind == rcpt_kind::local || cls.kind == rcpt_kind::remote)) {
      auto d = co_await run_chain(stage::rcpt, e_.transaction(), &rcpt, cls.kind, nullptr);
      if (d.v == verdict::refuse) co_return d.r;
      if (d.v == verdict::accept && cls.kind == rcpt_kind::remote && user_.empty() &&
          !state_.relay_for.count(util::to_lower(cls.address))) {
        // A filter accepted without recording the relay: refuse rather than lose the copy.
        co_return make_reply(451, "4.3.0", "<" + shown + ">: Recipient not accepted, try again later");
      }
    }
    switch (cls.kind) {
      case rcpt_kind::local:
        co_return make_reply(250, "2.1.5", "Recipient OK");
      case rcpt_kind::unknown_local:
      {
        log::info("smtp.rcpt_refused", {{"session", c_.id()}, {"to", shown}, {"ip", c_.remote_ip()},
                                        {"reason", "unknown user"}});
        auto r = make_reply(550, "5.1.1", "<" + shown + ">: Recipient address rejected: User unknown");
        note("rcpt", r, "", {shown});
        co_return r;
      }
      case rcpt_kind::invalid:
        co_return make_reply(501, "5.1.3", "<" + shown + ">: Bad recipient address syntax");
      case rcpt_kind::remote:
        break;
    }
    if (user_.empty() && state_.relay_for.count(util::to_lower(cls.address))) {
      if (!s_.outbound) co_return make_reply(451, "4.3.0", "Outbound delivery is not available");
      co_return make_reply(250, "2.1.5", "Recipient OK");
    }
    if (user_.empty()) {
      // Never an open relay: only an authenticated user may send to other domains.
      log::info("smtp.relay_refused", {{"session", c_.id()}, {"ip", c_.remote_ip()}, {"helo", e_.transaction().helo},
                                       {"from", e_.transaction().sender.address()}, {"to", shown}});
      auto r = make_reply(554, "5.7.1", "<" + shown + ">: Relay access denied");
      note("rcpt", r, "", {shown});
      co_return r;
    }
    if (!s_.outbound) co_return make_reply(451, "4.3.0", "Outbound delivery is not available");
    co_return make_reply(250, "2.1.5", "Recipient OK");
  }

  std::string protocol_name() const {
    std::string w = e_.transaction().params.smtputf8 ? "UTF8SMTP" : "ESMTP";
    if (c_.is_tls()) w += "S";
    if (!user_.empty()) w += "A";
    return w;
  }

  asio::awaitable<reply> on_message() {
    auto source = co_await take_source();
    if (!source) co_return spill_failed(source.error());
    // A large message: `body` is its header section and a bounded start of its body (what
    // the filters and Sieve look at, `body_start` octets of it); the whole body stays in the
    // spill file and is read in pieces by what needs all of it.
    message_source* src = &*source;
    // The filters' view of the body must not outlive the source it reads.
    struct forget_large {
      transaction_state& st;
      ~forget_large() {
        st.large_body = nullptr;
        st.large_header = 0;
      }
    } forget{state_};
    std::string body;
    std::size_t body_start = 0;
    if (src->spilled() && !s_.blobs) {
      auto whole = co_await net::run_blocking([src] { return read_whole(*src); });
      if (!whole) co_return spill_failed(whole.error());
      body = std::move(*whole);
    } else if (src->spilled()) {
      auto start = co_await net::run_blocking([src] { return src->bounded(spill_at); });
      if (!start) co_return spill_failed(start.error());
      body = std::move(*start);
      body_start = body.size() - src->text.size();
      state_.large_header = src->text.size();
      state_.large_body = [src](const std::function<void(std::string_view)>& piece) {
        return static_cast<bool>(src->each_body_piece(large_piece, [&piece](std::string_view p) -> result<void> {
          piece(p);
          return {};
        }));
      };
    } else {
      body = std::move(src->text);
    }
    const bool large = src->spilled() && s_.blobs;
    const std::uint64_t size = large ? src->size() : body.size();
    const envelope env = e_.transaction();
    const std::string from = env.sender.address();
    const std::string id = txn_id_.empty() ? new_id() : txn_id_;

    if (submission() && !user_.empty()) {
      const std::string bad =
          co_await net::run_blocking([this, &body] { return foreign_from_addresses(s_.dir, user_, body); });
      if (!bad.empty()) {
        log::info("smtp.sender_refused", {{"session", c_.id()}, {"id", id}, {"user", user_}, {"header_from", bad}});
        co_return make_reply(553, "5.7.1", "From: " + bad + " not owned by user " + user_);
      }
    }
    if (!s_.filters.empty()) {
      auto d = co_await run_chain(stage::message, env, nullptr, rcpt_kind::local, &body);
      if (d.v == verdict::refuse) {
        txn_id_.clear();
        co_return d.r;
      }
    }
    // From here to the stored copies, one trip to the blocking pool: the filters' blocking
    // checks (before_store: the spam verdict, which may still refuse before anything is
    // stored), the header edits, then the delivery. The body's start is kept aside there:
    // filters and the transform edit header fields only.
    const bool transform = submission() && !user_.empty() && s_.submission;
    const client_info ci = client();
    using refusal = std::optional<std::pair<const char*, decision>>;
    auto prepare = [this, &ci, &env, &body, &from, src, large, body_start, transform]() -> refusal {
      if (auto no = run_before_store(ci, env, body)) return no;
      std::string start = large ? body.substr(body.size() - body_start) : std::string();
      if (large) body.resize(body.size() - body_start);
      if (transform) {
        // Hygiene and DKIM signing, before our Received line goes on top.
        submission_transform* t = s_.submission.get();
        body = large ? t->prepare_header(user_, from, std::move(body), state_.large_body)
                     : t->prepare(user_, from, std::move(body));
      }
      // Fields the filters add (Authentication-Results, X-Spam-Status) go below our Received.
      if (!state_.prepend.empty()) body.insert(0, state_.prepend);
      if (large) {
        src->text = body;
        body += start;
      }
      return std::nullopt;
    };
    // A large message's copies: the header section as edited, then the whole body from the
    // spill file; written to the blob store in pieces for local copies.
    large_message lm;
    lm.body_start = body_start;
    lm.write_blob = [src, blobs = s_.blobs](std::string_view head) -> result<std::string> {
      auto w = blobs->begin();
      if (!w) return w.error();
      if (auto r = w->write(head); !r) return r.error();
      if (auto r = src->each_body_piece(large_piece, [&w](std::string_view p) { return w->write(p); }); !r)
        return r.error();
      return w->commit();
    };
    lm.each_body = [src](const mail::piece_sink& out) { return src->each_body_piece(large_piece, out); };
    lm.body = state_.large_body;
    // The message as queued: `prefix` (our Received line) on top; of a large message only the
    // header section, its body following from the spill file (queued_source).
    auto queued_head = [&body, &lm, large](const std::string& prefix) {
      if (!large) return prefix + body;
      std::string head = prefix;
      head.append(body, 0, body.size() - lm.body_start);
      return head;
    };
    // `head`, then a large message's body in pieces: the queue writes its spool as they come.
    auto queued_source = [src, large](const std::string& head) -> queue::piece_source {
      return [&head, src, large](const queue::piece_sink& out) -> result<void> {
        if (auto r = out(head); !r) return r;
        if (!large) return {};
        return src->each_body_piece(large_piece, out);
      };
    };

    // Our Received line (RFC 5321 §4.4). Submission keeps the client's address out of it, as
    // OpenSMTPD's mask-source does: the recipient learns nothing of the sender's network.
    const std::string helo = env.helo.empty() ? "unknown" : env.helo;
    const std::string from_part = submission() ? std::string() : helo + " ([" + c_.remote_ip() + "])";
    const std::string for_rcpt = env.recipients.size() == 1 ? env.recipients.front().address.address() : "";
    const std::string received =
        received_field(from_part, o_.hostname, protocol_name(), c_.tls_version(), id, for_rcpt);

    struct outcome {
      reply r;
      std::vector<std::string> delivered, queued;
      std::string queue_id;
      refusal refused;  // a filter's before_store said no: nothing was stored
    };
    auto result = co_await net::run_blocking([this, &env, &body, &from, &received, &id, &prepare, &lm, &queued_head,
                                              &queued_source, large]() -> outcome {
      outcome out;
      if (auto no = prepare()) {
        out.r = no->second.r;
        out.refused = std::move(no);
        return out;
      }
      const std::string folder = state_.folder;
      queue::envelope qenv;
      qenv.from = from;
      qenv.ret = env.params.ret;
      qenv.envid = env.params.envid;
      qenv.requiretls = env.params.requiretls;
      qenv.auth_user = user_;
      qenv.client = env.helo + " [" + c_.remote_ip() + "]";
      auto add_queued = [&](const std::string& addr, const rcpt_params* p) {
        queue::recipient qr;
        qr.address = addr;
        if (p) {
          qr.notify = p->notify;
          qr.orcpt = p->orcpt;
        }
        qenv.rcpts.push_back(std::move(qr));
      };
      bool temp_failure = false;
      std::string failure_text;
      // RFC 5429 §2.1: a script's reject/ereject, refused here while the client still listens
      // (the hook allows it only for a transaction with this one recipient).
      bool rejected = false;
      std::string reject_reason;
      std::vector<std::string> forward;  // remote targets of our aliases: SRS and ARC first
      for (const auto& r : env.recipients) {
        std::string local = r.address.local, domain = r.address.domain;
        if (auto srs = state_.srs_reverse.find(util::to_lower(r.address.address())); srs != state_.srs_reverse.end()) {
          const auto at = srs->second.rfind('@');
          local = srs->second.substr(0, at);
          domain = srs->second.substr(at + 1);
          if (!s_.dir.is_local_domain(domain)) {
            add_queued(srs->second, &r.params);  // relayed: the hash proved we sent it
            continue;
          }
        }
        auto cls = classify_recipient(s_.dir, local, domain, own_names_);
        if (cls.kind == rcpt_kind::remote) {
          // Only an authenticated user, or a recipient a filter accepted for relay.
          add_queued(cls.address, &r.params);
          continue;
        }
        if (cls.kind != rcpt_kind::local) {  // the alias vanished since RCPT
          temp_failure = true;
          failure_text = "recipient " + cls.address + " disappeared";
          continue;
        }
        auto d = deliver_local(s_.dir, s_.store, from, cls.address, received, body, folder, &s_.local_copy,
                               env.recipients.size() == 1, user_, large ? &lm : nullptr);
        if (!d) {
          temp_failure = true;
          failure_text = d.error().message;
          continue;
        }
        for (auto& a : d->delivered) out.delivered.push_back(a);
        if (!d->rejected.empty()) {
          rejected = true;
          reject_reason = d->reject_reason;
        }
        for (auto& a : d->forward) forward.push_back(a);
        for (auto& f : d->failed) {
          // Retried by the queue (local delivery through options.deliver_local), so the
          // accounts already served are not written twice by a client's retry.
          log::info("smtp.in", {{"id", id}, {"to", f.account}, {"status", "deferred"}, {"error", f.why.message}});
          add_queued(f.account, &r.params);
        }
      }
      if (!forward.empty() && !s_.outbound) {
        temp_failure = true;
        failure_text = "no outbound queue";
      } else if (!forward.empty()) {
        queue::envelope fenv = qenv;
        fenv.rcpts.clear();
        for (auto& a : forward) fenv.rcpts.push_back({a, "", ""});
        // SRS and ARC add to the envelope and the header section only: the ARC body hash
        // reads a large body from the spill file.
        std::string head = queued_head(received);
        if (s_.forwarder) {
          auto f = large ? s_.forwarder->prepare(from, std::move(head), state_.large_body)
                         : s_.forwarder->prepare(from, std::move(head));
          fenv.from = std::move(f.sender);
          head = std::move(f.message);
        }
        auto q = s_.outbound->enqueue(fenv, queued_source(head));
        if (q) {
          for (auto& a : forward) out.queued.push_back(a);
          if (out.queue_id.empty()) out.queue_id = *q;
        } else {
          temp_failure = true;
          failure_text = q.error().message;
        }
      }
      if (!qenv.rcpts.empty()) {
        if (!s_.outbound) {
          temp_failure = true;
          failure_text = "no outbound queue";
        } else {
          const std::string head = queued_head(received);
          auto q = s_.outbound->enqueue(qenv, queued_source(head));
          if (q) {
            out.queue_id = *q;
            for (auto& r : qenv.rcpts) out.queued.push_back(r.address);
          } else {
            temp_failure = true;
            failure_text = q.error().message;
          }
        }
      }
      if (rejected && !temp_failure && out.delivered.empty() && qenv.rcpts.empty())
        out.r = make_reply(550, "5.7.1", reject_reason.empty() ? "Rejected by the recipient's filter" : reject_reason);
      else if (temp_failure && out.delivered.empty() && out.queued.empty())
        out.r = make_reply(451, "4.3.0", "Error: queue file write error, try again later");
      else if (temp_failure)
        // Some copies are durable, one is not: say 451 so the client retries (a duplicate
        // for some recipients is better than a silent loss for one).
        out.r = make_reply(451, "4.3.0", "Error: " + failure_text + ", try again later");
      else
        out.r = make_reply(250, "2.0.0", "Ok: queued as " + id);
      return out;
    });

    if (result.refused) {
      refused(stage::message, env, nullptr, result.refused->first, result.r);
      txn_id_.clear();
      co_return result.r;
    }
    for (const auto& a : result.delivered)
      log::info("smtp.in", {{"session", c_.id()}, {"id", id}, {"from", "<" + from + ">"}, {"to", "<" + a + ">"},
                            {"size", size}, {"status", "delivered"}, {"ip", c_.remote_ip()}});
    for (const auto& a : result.queued)
      log::info("smtp.in", {{"session", c_.id()}, {"id", id}, {"queue_id", result.queue_id}, {"from", "<" + from + ">"},
                            {"to", "<" + a + ">"}, {"size", size}, {"status", "queued"},
                            {"user", user_}});
    if (result.r.code != 250)
      log::warn("smtp.in", {{"session", c_.id()}, {"id", id}, {"from", "<" + from + ">"},
                            {"to", rcpt_list(env.recipients)}, {"status", result.r.code >= 500 ? "rejected" : "tempfail"}, {"reply", result.r.lines.empty() ? "" : result.r.lines.front()}});
    {
      std::vector<std::string> about;
      for (const auto& r : env.recipients) about.push_back(r.address.address());
      note("data", result.r, "", std::move(about));
    }
    txn_id_.clear();
    co_return result.r;
  }

  asio::awaitable<void> pause(std::chrono::milliseconds d) {
    if (d.count() <= 0) co_return;
    asio::steady_timer t(c_.get_executor(), d);
    co_await t.async_wait(asio::use_awaitable);
  }

  asio::awaitable<void> on_auth_start() {
    const auto& cmd = e_.current();
    sasl_ = s_.authn.start(actx_, cmd.mechanism);
    success_pending_ = false;
    if (!sasl_) {
      e_.auth_finish(make_reply(504, "5.5.4", "Unrecognized authentication type"), false);
      co_return;
    }
    std::optional<std::string> initial;
    if (cmd.initial_response) {
      if (*cmd.initial_response == "=") {
        initial = std::string();
      } else {
        initial = crypto::base64_decode(*cmd.initial_response);
        if (!initial) {
          sasl_.reset();
          e_.auth_finish(make_reply(501, "5.5.2", "Invalid base64 data"), false);
          co_return;
        }
      }
    }
    co_await step(initial);
  }

  asio::awaitable<void> on_auth_response() {
    if (success_pending_) {
      // RFC 4954 §4: the client's (empty) answer to the server's final data.
      success_pending_ = false;
      finish_ok();
      co_return;
    }
    auto data = crypto::base64_decode(e_.auth_line());
    if (!data) {
      sasl_.reset();
      e_.auth_finish(make_reply(501, "5.5.2", "Invalid base64 data"), false);
      co_return;
    }
    co_await step(*data);
  }

  asio::awaitable<void> step(std::optional<std::string> msg) {
    auth::exchange* ex = sasl_.get();
    // Captures by reference only: GCC 12 destroys a temporary lambda with non-trivial captures
    // twice when it is an argument inside a co_await expression.
    auto r = co_await net::run_blocking([ex, &msg] {
      return ex->step(msg ? std::optional<std::string_view>(*msg) : std::nullopt);
    });
    if (r.kind == auth::exchange::step_result::challenge) {
      e_.auth_challenge(crypto::base64_encode(r.server_data));
      co_return;
    }
    co_await pause(r.final.delay);
    if (r.kind == auth::exchange::step_result::ok) {
      pending_user_ = r.final.address;
      if (!r.server_data.empty()) {
        success_pending_ = true;
        e_.auth_challenge(crypto::base64_encode(r.server_data));
        co_return;
      }
      finish_ok();
      co_return;
    }
    sasl_.reset();
    switch (r.final.result) {
      case auth::outcome::tls_required:
        e_.auth_finish(make_reply(538, "5.7.11", "Encryption required for requested authentication mechanism"), false);
        break;
      case auth::outcome::blocked:
        e_.auth_finish(make_reply(454, "4.7.0", "Temporary authentication failure, try again later"), false);
        break;
      default:
        e_.auth_finish(make_reply(535, "5.7.8", "Authentication credentials invalid"), false);
        break;
    }
  }

  void finish_ok() {
    sasl_.reset();
    user_ = pending_user_;
    e_.auth_finish(make_reply(235, "2.7.0", "Authentication successful"), true);
  }

  connection& c_;
  const server_options& o_;
  server_services& s_;
  engine e_;
  auth::context actx_;
  std::unique_ptr<auth::exchange> sasl_;
  bool success_pending_ = false;
  std::string pending_user_;
  std::string user_;    // the authenticated account, "" before AUTH
  std::vector<std::string> own_names_;  // this host's name and address literal (postmaster@)
  std::string txn_id_;  // id of the current transaction (logs, Received)
  std::shared_ptr<spill_file> spill_;  // the large message being received, past spill_at
  transaction_state state_;  // what the filters found (reset at MAIL FROM)
  std::size_t passed_ = 0;   // the filters whose on_message said `next` for this message
};

}  // namespace

net::handler make_handler(server_options opts, server_services svc) {
  auto counter = std::make_shared<ip_counter>();
  auto o = std::make_shared<const server_options>(std::move(opts));
  auto s = std::make_shared<server_services>(svc);
  return [counter, o, s](connection& c) -> asio::awaitable<void> {
    ip_slot slot(*counter, c.remote_ip(), o->max_connections_per_ip);
    if (!slot.ok()) {
      // RFC 5321 §3.8 / Postfix's smtpd_client_connection_count_limit: 421 and close.
      log::info("smtp.limit", {{"ip", c.remote_ip()}, {"service", kind_name(o->kind)}, {"reason", "connections per IP"}});
      co_await c.write("421 4.7.0 " + o->hostname + " Error: too many connections from " + c.remote_ip() + "\r\n");
      co_return;
    }
    log::debug("smtp.connect", {{"session", c.id()}, {"ip", c.remote_ip()}, {"service", kind_name(o->kind)}});
    session sess(c, *o, *s);
    co_await sess.run();
  };
}

}  // namespace hearth::mail::smtp
