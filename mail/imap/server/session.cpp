#include "mail/imap/server/session.hpp"

#include <atomic>
#include <mutex>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/blob/reader.hpp"
#include "core/blob/store.hpp"
#include "core/crypto/crypto.hpp"
#include "core/sql/write_guard.hpp"
#include "core/events/bus.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/net/store_pool.hpp"
#include "core/util/strings.hpp"
#include "mail/imap/proto/reader.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/deflate.hpp"
#include "mail/imap/server/fetch_stream.hpp"
#include "mail/imap/server/idle_hub.hpp"
#include "mail/imap/server/inline.hpp"
#include "mail/imap/server/notify.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/message/mime_stream.hpp"

// GCC 12 reports a false -Wmismatched-new-delete where a coroutine frame with Asio's own
// operator new/delete is freed; nothing is mismatched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::mail::imap {
namespace {

namespace asio = boost::asio;
using net::connection;
using net::read_status;

class session {
 public:
  session(connection& c, std::shared_ptr<const server_env> env, events::bus* bus, idle_hub* hub, bool implicit,
          const session_options& o)
      : c_(c), env_(std::move(env)), bus_(bus), hub_(hub), o_(o),
        reader_(reader_limits{o.max_line, env_->append_limit, 64 * 1024, env_->append_limit + (1 << 20)}),
        nwake_(std::make_shared<wake>(c.get_executor())), push_done_(c.get_executor()) {
    st_.env = env_.get();
    st_.remote_ip = c.remote_ip();
    st_.tls = c.is_tls();
    st_.starttls_offered = !implicit;
    if (st_.tls) st_.channel_binding = c.channel_binding();
    reader_.options().max_search_depth = o.max_search_depth;
    // TCP_NODELAY is set for every accepted connection in core/net/server.cpp.
  }

  asio::awaitable<void> run() {
    if (!co_await send("* OK [CAPABILITY " + capabilities(st_) + "] " + env_->hostname + " Hearth IMAP ready\r\n"))
      co_return;
    using namespace asio::experimental::awaitable_operators;
    co_await (commands() && notifier());
  }

 private:
  asio::awaitable<void> commands() {
    co_await command_loop();
    ended_ = true;
    nsub_new_.reset();
    nsub_changed_.reset();
    nsub_sel_new_.reset();
    nsub_sel_changed_.reset();
    nwake_->timer.cancel();
  }

  asio::awaitable<void> command_loop() {
    unsigned errors = 0;
    for (;;) {
      reader_.set_stream_min(st_.ph != phase::not_authenticated && env_->blobs ? stream_min_bytes : 0);
      event ev = reader_.next();
      switch (ev.kind) {
        case event_kind::need_more: {
          go_quiet();
          const bool ok = co_await fill(timeout());
          co_await end_quiet();
          if (!ok) co_return;
          break;
        }
        case event_kind::send_continuation:
          if (!co_await send("+ Ready for literal data\r\n")) co_return;
          break;
        case event_kind::literal_start:
          co_await start_streamed();
          if (ev.sync && !co_await send("+ Ready for literal data\r\n")) co_return;
          break;
        case event_kind::literal_data:
          co_await stream_piece(ev.data);
          break;
        case event_kind::line:  // not expected outside AUTHENTICATE/IDLE
          break;
        case event_kind::error: {
          streamed_.clear();  // the command is refused: its streamed content goes
          std::string tag = ev.tag.empty() ? "*" : ev.tag;
          std::string text = ev.err.message.empty() ? "Syntax error" : ev.err.message;
          std::string line = ev.err.code == "imap.literal_too_big"
                                 ? tag + " NO [TOOBIG] " + text + "\r\n"
                                 : tag + " BAD " + text + "\r\n";
          if (!co_await send(line)) co_return;
          if (++errors > o_.max_errors) {
            co_await send("* BYE Too many errors\r\n");
            co_return;
          }
          break;
        }
        case event_kind::command:
          if (!streamed_.empty()) {
            auto refused = co_await take_streamed(ev.cmd);
            if (refused) {
              if (!co_await send(*refused)) co_return;
              break;
            }
          }
          if (!co_await command(std::move(ev.cmd))) co_return;
          break;
      }
    }
  }

  // APPEND literals of stream_min_bytes or more (reader.hpp): written to the blob store on the
  // store pool as they arrive, stream_chunk_bytes at a time, so that a 40 MB message costs
  // a piece of memory instead of the frame, the parsed command and the store's copy. A write
  // that fails (disk, the APPENDLIMIT) is remembered and the rest of the literal read and
  // dropped, so the session stays in step with the client; the command then gets NO.
  struct streamed_literal_state {
    std::optional<blob::writer> w;
    // The message's structure, built from the same pieces as they are written, so that its
    // summary goes in the message's own commit (session_state::streamed_summaries) instead
    // of being made by a FETCH that would read it whole.
    mail::structure_builder shape;
    std::string pending;  // received, not yet written
    bool nul = false;     // RFC 3516: refused unless it was a literal8
    std::optional<hearth::error> failed;
  };
  static constexpr std::size_t stream_chunk_bytes = 256 * 1024;

  asio::awaitable<void> start_streamed() {
    if (!streamed_.empty()) co_await flush_streamed(streamed_.back());
    streamed_.emplace_back();
    auto& s = streamed_.back();
    const blob::store& blobs = *env_->blobs;
    const std::uint64_t limit = env_->append_limit;
    // Set on the pool's thread while this coroutine waits (a writer has no empty state to
    // hand back through co_spawn).
    auto started = co_await net::run_on_store([&blobs, limit, &s]() -> result<void> {
      auto w = blobs.begin(limit);
      if (!w) return w.error();
      s.w.emplace(std::move(*w));
      return {};
    });
    if (!started) s.failed = started.error();
  }

  asio::awaitable<void> stream_piece(const std::string& data) {
    if (streamed_.empty()) co_return;
    auto& s = streamed_.back();
    if (s.failed) co_return;
    if (!s.nul && data.find('\0') != std::string::npos) s.nul = true;
    s.pending += data;
    if (s.pending.size() >= stream_chunk_bytes) co_await flush_streamed(s);
  }

  asio::awaitable<void> flush_streamed(streamed_literal_state& s) {
    if (s.failed || s.pending.empty()) co_return;
    auto r = co_await net::run_on_store([&s] {
      s.shape.feed(s.pending);
      return s.w->write(s.pending);
    });
    s.pending.clear();
    if (!r) s.failed = r.error();
  }

  // Commits the command's streamed literals and puts what was stored in place of their tokens
  // in an APPEND. Returns the reply line when the command is refused here instead.
  asio::awaitable<std::optional<std::string>> take_streamed(imap::command& cmd) {
    std::vector<streamed_literal_state> lits = std::move(streamed_);
    streamed_.clear();
    auto* a = std::get_if<cmd_append>(&cmd.args);
    auto no = [&cmd](std::string_view text) {
      return std::optional<std::string>(cmd.tag + " NO " + std::string(text) + "\r\n");
    };
    if (!a) co_return no("Unexpected literal");  // the reader streams only in APPEND
    if (!lits.empty()) co_await flush_streamed(lits.back());
    for (auto& s : lits) {
      if (!s.failed) continue;
      log::info("imap.append_stream", {{"conn", c_.id()}, {"error", s.failed->message}});
      if (s.failed->code == "blob.too_big") co_return no("[TOOBIG] Message exceeds APPENDLIMIT");
      co_return no("[SERVERBUG] Could not store the message");
    }
    // Only literals that are an APPEND message are kept: a streamed literal elsewhere (a
    // mailbox name) leaves its token in place and the command fails on it.
    for (auto& m : a->messages) {
      for (std::size_t k = 0; k < lits.size(); ++k) {
        auto& s = lits[k];
        if (!s.w || m.data != imap::streamed_literal(k)) continue;
        // RFC 3516 §4.4: NUL octets only in a literal8.
        if (s.nul && !m.binary) co_return no("[CANNOT] NUL octets need a literal8");
        const std::uint64_t size = s.w->size();
        std::string summary;
        auto id = co_await net::run_on_store([&s, &summary]() -> result<std::string> {
          summary = summary_of(s.shape);
          return s.w->commit();
        });
        s.w.reset();
        if (!id) {
          log::error("imap.append_stream", {{"conn", c_.id()}, {"error", id.error().message}});
          co_return no("[SERVERBUG] Could not store the message");
        }
        m.data.clear();
        m.stored_blob = std::move(*id);
        m.stored_size = size;
        if (!summary.empty()) st_.streamed_summaries[m.stored_blob] = std::move(summary);
        break;
      }
    }
    co_return std::nullopt;
  }

  // RFC 5465 NOTIFY: reports sent while the client is not waiting for a reply. The command
  // loop is "quiet" while it waits for the client's bytes (and in IDLE); only then does the
  // notifier write, and the loop waits for a push under way to end before it runs the next
  // command, so the two never touch st_ at once (both run on the connection's strand; the
  // store work runs on the store pool while the other side waits). The bus callback only
  // flags and wakes, as in IDLE.
  struct wake {
    explicit wake(const connection::executor_type& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::atomic<bool> dirty{false};
  };

  void go_quiet() {
    quiet_ = true;
    if (st_.notify && nwake_->dirty.load()) nwake_->timer.cancel();
  }

  asio::awaitable<void> end_quiet() {
    quiet_ = false;
    while (pushing_) {
      push_done_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await push_done_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  asio::awaitable<void> notifier() {
    auto& w = *nwake_;
    for (;;) {
      if (ended_) co_return;
      if (!quiet_ || !st_.notify || !w.dirty.load()) {
        // Nothing is awaited between the look and the wait: a wake posted to the strand
        // either ran before the look or ends this wait.
        w.timer.expires_at(std::chrono::steady_clock::time_point::max());
        co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      w.dirty = false;
      pushing_ = true;
      std::string out = co_await net::run_on_store([this] {
        reply r;
        notify_updates(st_, r, true, true);
        return r.out;
      });
      const bool ok = co_await send(out);
      pushing_ = false;
      push_done_.cancel();
      if (!ok) co_return;  // the connection is gone: the command loop's read ends too
    }
  }

  // Subscribes to the events NOTIFY needs (the account's, and a shared selected mailbox's
  // owner's), or drops them after NOTIFY NONE.
  void update_notify_subscriptions() {
    if (!bus_) return;
    const std::string key = st_.notify ? st_.account : "";
    const std::string sel_key =
        st_.notify && st_.selected() && st_.sel->owner != st_.account ? st_.sel->owner : "";
    auto callback = [w = nwake_, ex = c_.get_executor()](const events::event&) {
      if (!w->dirty.exchange(true)) asio::post(ex, [w] { w->timer.cancel(); });
    };
    if (key != nsub_key_) {
      nsub_new_.reset();
      nsub_changed_.reset();
      if (!key.empty()) {
        nsub_new_ = bus_->subscribe("mail.new", key, callback);
        nsub_changed_ = bus_->subscribe("mail.changed", key, callback);
      }
      nsub_key_ = key;
    }
    if (sel_key != nsub_sel_key_) {
      nsub_sel_new_.reset();
      nsub_sel_changed_.reset();
      if (!sel_key.empty()) {
        nsub_sel_new_ = bus_->subscribe("mail.new", sel_key, callback);
        nsub_sel_changed_ = bus_->subscribe("mail.changed", sel_key, callback);
      }
      nsub_sel_key_ = sel_key;
    }
  }

  std::chrono::seconds timeout() const {
    return st_.ph == phase::not_authenticated ? o_.login_timeout : o_.idle_timeout;
  }

  // Reads more bytes into the reader. False when the session must end.
  asio::awaitable<bool> fill(std::chrono::steady_clock::duration t, bool* timed_out = nullptr) {
    auto r = co_await c_.read_some(codec_ ? 16 * 1024 : 64 * 1024, t);
    if (r.status == read_status::timeout) {
      if (timed_out) {
        *timed_out = true;
        co_return true;
      }
      co_await send("* BYE Autologout; idle for too long\r\n");
      co_return false;
    }
    if (!r) co_return false;
    if (codec_) {
      auto plain = codec_->decompress(r.data, env_->append_limit + (1 << 20));
      if (!plain) {
        log::info("imap.compress_error", {{"conn", c_.id()}, {"error", plain.error().message}});
        co_return false;
      }
      reader_.feed(*plain);
    } else {
      reader_.feed(r.data);
    }
    co_return true;
  }

  asio::awaitable<bool> send(std::string_view data) {
    if (data.empty()) co_return true;
    if (codec_) co_return co_await c_.write(codec_->compress(data));
    co_return co_await c_.write(data);
  }

  // Writes a reply, reading its deferred bytes (state.hpp deferred_bytes: large bodies) from
  // the blob store on the store pool a piece at a time, so a 40 MB body costs a piece of
  // memory, not 40 MB. The literal's length is already written when a read fails: nothing
  // honest can follow, so the connection ends (the client sees a short literal, not wrong
  // bytes) and the log says why.
  asio::awaitable<bool> send_reply(const reply& r) {
    if (r.deferred.empty()) co_return co_await send(r.out);
    constexpr std::size_t piece_bytes = 256 * 1024;
    const std::string_view out = r.out;
    std::size_t at = 0;
    for (const auto& d : r.deferred) {
      if (!co_await send(out.substr(at, d.at - at))) co_return false;
      at = d.at;
      const blob::store& blobs = *env_->blobs;
      auto opened = co_await net::run_on_store([&blobs, &d] { return blob::open_reader(blobs, d.blob_id); });
      if (!opened) {
        log::error("imap.body_read", {{"conn", c_.id()}, {"blob", d.blob_id}, {"error", opened.error().message}});
        co_return false;
      }
      blob::reader& rd = **opened;
      for (std::uint64_t done = 0; done < d.length;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(d.length - done, piece_bytes));
        const std::uint64_t from = d.offset + done;
        auto piece = co_await net::run_on_store([&rd, from, n] { return rd.read(from, n); });
        if (!piece || piece->empty()) {
          log::error("imap.body_read", {{"conn", c_.id()}, {"blob", d.blob_id},
                                        {"error", piece ? std::string("the blob ends early") : piece.error().message}});
          co_return false;
        }
        if (!co_await send(*piece)) co_return false;
        done += piece->size();
      }
    }
    co_return co_await send(out.substr(at));
  }

  asio::awaitable<void> pause(std::chrono::milliseconds d) {
    if (d.count() <= 0) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
  }

  // RFC 9585 INPROGRESS notes a handler pushes (state.hpp session_state::push) while it runs
  // on the store pool: queued here and written by drain_progress on the strand, so they
  // reach the client before the command's own reply and never interleave with another write.
  struct progress_pipe {
    explicit progress_pipe(const connection::executor_type& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::mutex m;
    std::string pending;  // guarded by m
    bool finished = false;  // strand-only
  };

  asio::awaitable<reply> run_with_progress(const imap::command& cmd, progress_pipe& p) {
    reply r = co_await net::run_on_store([this, &cmd] { return execute(st_, cmd); });
    p.finished = true;
    p.timer.cancel();
    co_return r;
  }

  asio::awaitable<void> drain_progress(progress_pipe& p) {
    for (;;) {
      std::string out;
      {
        std::lock_guard lock(p.m);
        out.swap(p.pending);
      }
      if (!out.empty()) co_await send(out);
      if (p.finished) co_return;
      // Nothing is awaited between the look above and the wait: the push's cancel, posted to
      // the same strand, either ran before the look or ends this wait.
      p.timer.expires_at(std::chrono::steady_clock::time_point::max());
      co_await p.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }


  // A short command runs here, on the strand's thread, with only writes that need not wait
  // (inline.hpp); if one would have waited, its state changes and reply are dropped and it
  // runs again on the pool. Nothing in it may suspend: the write guard belongs to this thread.
  // A SEARCH of the flag index and cached header fields runs here whatever its length
  // (inline.hpp inline_search); its INPROGRESS notes, if any came due, precede its reply.
  std::optional<reply> try_inline(const imap::command& cmd) {
    if (!o_.inline_reads) return std::nullopt;
    const bool search = inline_search(st_, cmd);
    if (!search && (!may_run_inline(st_, cmd) || may_take_long(st_, cmd))) return std::nullopt;
    session_state saved = st_;
    std::string notes;
    if (search) st_.push = [&notes](std::string_view line) { notes += line; };
    sql::no_write_scope no_wait(sql::no_write_scope::mode::quick_writes);
    reply r = execute(st_, cmd);
    st_.push = nullptr;
    if (!no_wait.write_attempted()) {
      if (!notes.empty()) r.out.insert(0, notes);
      return r;
    }
    st_ = std::move(saved);
    return std::nullopt;
  }

  // IDLE's push, run here as a short command is (try_inline): a delivery's EXISTS then leaves
  // from the strand the bus woke, instead of queueing on the store pool behind APPENDs'
  // fsyncs and long SEARCHes. A refresh that would wait to write (an IMAP4rev1 session's
  // \Recent claim finding the writer gate held) is dropped and runs on the pool.
  std::optional<std::string> try_inline_refresh() {
    if (!o_.inline_reads) return std::nullopt;
    session_state saved = st_;
    sql::no_write_scope no_wait(sql::no_write_scope::mode::quick_writes);
    reply r;
    refresh(st_, r, true);
    if (!no_wait.write_attempted()) return std::move(r.out);
    st_ = std::move(saved);
    return std::nullopt;
  }

  // Where a command's time went, for the debug log line `imap.phases` (HACKING.md "IMAP
  // scheduling"): its inline attempt, its wait for a pool thread, its run there, its wait for
  // an I/O thread to resume the session, and the writing of its reply. The client's latency
  // minus their sum is the network, the client itself and the wait for an I/O thread to read
  // the command.
  struct phases {
    using clock = std::chrono::steady_clock;
    bool on = false;  // log::enabled(debug) when the command started
    const char* where = "inline";
    clock::duration inline_run{}, pool_wait{}, run{}, resume{};
    clock::time_point pool_start{}, pool_end{};
  };
  phases ph_;

  template <class F>
  auto timed_on_pool(F f) {
    return [this, f]() {
      if (!ph_.on) return f();
      ph_.pool_start = phases::clock::now();
      auto r = f();
      ph_.pool_end = phases::clock::now();
      return r;
    };
  }

  asio::awaitable<reply> on_pool(asio::awaitable<reply> run) {
    const auto submitted = phases::clock::now();
    reply out = co_await std::move(run);
    if (ph_.on) {
      ph_.pool_wait = ph_.pool_start - submitted;
      ph_.run = ph_.pool_end - ph_.pool_start;
      ph_.resume = phases::clock::now() - ph_.pool_end;
    }
    co_return out;
  }

  asio::awaitable<reply> run_command(const imap::command& cmd) {
    const auto t0 = phases::clock::now();
    auto quick = try_inline(cmd);
    if (ph_.on) ph_.inline_run = phases::clock::now() - t0;
    if (quick) co_return std::move(*quick);
    // LOGIN hashes a password (Argon2id): CPU work for the blocking pool. Every other command
    // waits on the store, so it goes to the store pool (core/net/store_pool.hpp), where it
    // never queues behind a login's hash.
    if (cmd.name == "LOGIN") {
      ph_.where = "blocking";
      co_return co_await on_pool(net::run_blocking(timed_on_pool([this, &cmd] { return execute(st_, cmd); })));
    }
    if (!may_take_long(st_, cmd)) {
      ph_.where = "store";
      co_return co_await on_pool(net::run_on_store(timed_on_pool([this, &cmd] { return execute(st_, cmd); })));
    }
    ph_.where = "store_progress";
    using namespace asio::experimental::awaitable_operators;
    auto pipe = std::make_shared<progress_pipe>(c_.get_executor());
    st_.push = [pipe, ex = c_.get_executor()](std::string_view line) {
      {
        std::lock_guard lock(pipe->m);
        pipe->pending += line;
      }
      asio::post(ex, [pipe] { pipe->timer.cancel(); });
    };
    reply r = co_await (run_with_progress(cmd, *pipe) && drain_progress(*pipe));
    st_.push = nullptr;
    co_return r;
  }

  asio::awaitable<bool> command(imap::command cmd) {
    ph_ = phases{};
    ph_.on = log::enabled(log::level::debug);
    reply r = co_await run_command(cmd);
    update_notify_subscriptions();
    // RFC 6855 §3: after ENABLE UTF8=ACCEPT the next commands may carry UTF-8 names.
    reader_.options().utf8_accept = st_.utf8;
    co_await pause(r.delay);
    switch (r.act) {
      case action::none: {
        const auto w0 = phases::clock::now();
        const bool ok = co_await send_reply(r);
        if (ph_.on) log_phases(cmd, phases::clock::now() - w0);
        co_return ok;
      }
      case action::logout:
        co_await send(r.out);
        co_return false;
      case action::starttls: {
        // CVE-2011-0411: nothing may follow STARTTLS in the same plaintext packet.
        if (c_.has_buffered_input() || reader_.buffered() > 0) {
          co_await send(cmd.tag + " BAD Commands are not allowed after STARTTLS\r\n");
          co_return false;
        }
        if (!co_await send(r.out)) co_return false;
        if (!co_await c_.start_tls(o_.handshake_timeout)) co_return false;
        st_.tls = true;
        st_.channel_binding = c_.channel_binding();
        co_return true;
      }
      case action::compress: {
        if (!co_await send(r.out)) co_return false;
        codec_ = std::make_unique<deflate_codec>();
        st_.compressed = true;
        co_return true;
      }
      case action::authenticate:
        if (!co_await send(r.out)) co_return false;
        co_return co_await authenticate(cmd);
      case action::idle:
        if (!co_await send(r.out)) co_return false;
        co_return co_await idle(cmd);
    }
    co_return false;
  }

  void log_phases(const imap::command& cmd, phases::clock::duration write) {
    auto us = [](phases::clock::duration d) {
      return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    };
    log::debug("imap.phases", {{"conn", c_.id()}, {"cmd", cmd.name}, {"on", ph_.where},
                               {"inline_us", us(ph_.inline_run)}, {"pool_wait_us", us(ph_.pool_wait)},
                               {"run_us", us(ph_.run)}, {"resume_us", us(ph_.resume)}, {"write_us", us(write)}});
  }

  // Reads one raw line (SASL responses, IDLE's DONE). nullopt: the session must end.
  asio::awaitable<std::optional<std::string>> read_raw_line(std::chrono::seconds t) {
    reader_.expect_line();
    for (;;) {
      event ev = reader_.next();
      if (ev.kind == event_kind::line) co_return ev.line;
      if (ev.kind == event_kind::error) co_return std::string("*");  // too long: treat as cancel
      if (!co_await fill(t)) co_return std::nullopt;
    }
  }

  // RFC 9051 §6.2.2 AUTHENTICATE with RFC 4959 SASL-IR.
  asio::awaitable<bool> authenticate(const imap::command& cmd) {
    const auto& a = std::get<cmd_authenticate>(cmd.args);
    auth::context ctx{"imap", st_.remote_ip, st_.tls, st_.channel_binding};
    auto& authn = *env_->authn;
    std::unique_ptr<auth::exchange> ex = authn.start(ctx, a.mechanism);
    if (!ex) co_return co_await send(cmd.tag + " NO [CANNOT] Unsupported mechanism\r\n");
    std::optional<std::string> msg;
    if (a.initial) {
      if (*a.initial == "=") {
        msg = std::string();
      } else {
        msg = crypto::base64_decode(*a.initial);
        if (!msg) co_return co_await send(cmd.tag + " BAD Invalid base64\r\n");
      }
    }
    bool final_sent = false;
    for (;;) {
      auth::exchange::step_result step;
      bool unavailable = false;
      try {
        step = co_await net::run_blocking([&ex, &msg] {
          return ex->step(msg ? std::optional<std::string_view>(*msg) : std::nullopt);
        });
      } catch (const std::exception&) {
        unavailable = true;  // the credential source failed: never "wrong password"
      }
      if (unavailable)
        co_return co_await send(cmd.tag + " NO [UNAVAILABLE] Authentication is unavailable, try later\r\n");
      if (step.kind == auth::exchange::step_result::failed) {
        co_await pause(step.final.delay);
        const char* code = step.final.result == auth::outcome::blocked ? "[UNAVAILABLE] Too many failures, try later"
                                                                        : "[AUTHENTICATIONFAILED] Invalid credentials";
        co_return co_await send(cmd.tag + " NO " + code + "\r\n");
      }
      if (step.kind == auth::exchange::step_result::ok && (step.server_data.empty() || final_sent)) {
        co_await pause(step.final.delay);
        st_.account = step.final.address;
        st_.ph = phase::authenticated;
        co_return co_await send(cmd.tag + " OK [CAPABILITY " + capabilities(st_) + "] Logged in\r\n");
      }
      // A challenge, or SCRAM's server-final-message sent as a last challenge.
      if (!co_await send("+ " + crypto::base64_encode(step.server_data) + "\r\n")) co_return false;
      auto line = co_await read_raw_line(o_.login_timeout);
      if (!line) co_return false;
      if (*line == "*") co_return co_await send(cmd.tag + " BAD Authentication cancelled\r\n");
      if (step.kind == auth::exchange::step_result::ok) {
        final_sent = true;
        co_await pause(step.final.delay);
        st_.account = step.final.address;
        st_.ph = phase::authenticated;
        co_return co_await send(cmd.tag + " OK [CAPABILITY " + capabilities(st_) + "] Logged in\r\n");
      }
      msg = crypto::base64_decode(util::trim(*line));
      if (!msg) co_return co_await send(cmd.tag + " BAD Invalid base64\r\n");
    }
  }

  // RFC 2177 IDLE: changes to the selected mailbox are pushed as they happen. Two coroutines
  // share the connection's strand, as XMPP c2s does: one waits for the client's DONE, the
  // other sleeps on a timer that the bus callback cancels, then pushes the changes. No timer
  // fires while nothing happens, so ten thousand idle sessions cost no CPU, and a delivery is
  // pushed as soon as the store publishes it.
  struct idle_wake {
    explicit idle_wake(const connection::executor_type& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::atomic<bool> dirty{false};
  };
  struct idle_run {
    std::shared_ptr<idle_wake> wake;
    bool done = false;  // the reader has finished (strand-only)
    enum { running, ended, bad, timed_out, closed } how = running;
  };

  asio::awaitable<bool> idle(const imap::command& cmd) {
    if (!co_await send("+ idling\r\n")) co_return false;
    using namespace asio::experimental::awaitable_operators;
    idle_run run{std::make_shared<idle_wake>(c_.get_executor())};
    if (st_.notify) {
      // RFC 5465 §4: in IDLE the server sends what NOTIFY asked for, and only that: the
      // notifier does, as between commands.
      go_quiet();
      co_await idle_reader(run);
      co_await end_quiet();
      co_return co_await idle_end(cmd, run);
    }
    idle_hub::watch watching;
    if (hub_ && st_.selected()) {
      // Called on the publisher's thread, only for events about this mailbox (idle_hub.hpp):
      // flag and post; the strand does the rest. One post per burst of events: the pusher
      // reads `dirty` before every wait. A shared mailbox's changes are published under its
      // owner's address.
      watching = hub_->add(st_.sel->owner, st_.sel->name, [w = run.wake, ex = c_.get_executor()] {
        if (!w->dirty.exchange(true)) asio::post(ex, [w] { w->timer.cancel(); });
      });
    }
    co_await (idle_reader(run) && idle_pusher(run));
    watching.reset();
    co_return co_await idle_end(cmd, run);
  }

  asio::awaitable<bool> idle_end(const imap::command& cmd, const idle_run& run) {
    switch (run.how) {
      case idle_run::ended: co_return co_await send(cmd.tag + " OK IDLE terminated\r\n");
      case idle_run::bad: co_return co_await send(cmd.tag + " BAD Expected DONE\r\n");
      case idle_run::timed_out: co_await send("* BYE Autologout; idle for too long\r\n"); co_return false;
      default: co_return false;
    }
  }

  // Reads until DONE (or anything else, or the end of the connection). Never writes: the
  // pusher may be writing, and the final answer is sent once both have finished.
  asio::awaitable<void> idle_reader(idle_run& run) {
    const auto deadline = std::chrono::steady_clock::now() + o_.idle_timeout;
    reader_.expect_line();
    for (;;) {
      event ev = reader_.next();
      if (ev.kind == event_kind::line) {
        run.how = util::iequals(util::trim(ev.line), "DONE") ? idle_run::ended : idle_run::bad;
        break;
      }
      if (ev.kind == event_kind::error) {
        run.how = idle_run::bad;
        break;
      }
      const auto left = deadline - std::chrono::steady_clock::now();
      bool timed_out = left <= std::chrono::steady_clock::duration::zero();
      if (!timed_out && !co_await fill(left, &timed_out)) {
        run.how = idle_run::closed;
        break;
      }
      if (timed_out) {
        run.how = idle_run::timed_out;
        break;
      }
    }
    run.done = true;
    run.wake->timer.cancel();
  }

  // Pushes the selected mailbox's changes each time the bus callback wakes it; without a bus,
  // looks every few seconds.
  asio::awaitable<void> idle_pusher(idle_run& run) {
    auto& w = *run.wake;
    for (;;) {
      if (run.done) co_return;
      bool look = w.dirty.exchange(false);
      if (!look) {
        if (bus_) w.timer.expires_at(std::chrono::steady_clock::time_point::max());
        else w.timer.expires_after(std::chrono::seconds(5));
        auto [ec] = co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (run.done) co_return;
        look = !ec;  // expired: the no-bus poll; cancelled: `dirty` says whether to look
        if (!look) continue;
      }
      if (!st_.selected()) continue;
      std::string out;
      if (auto quick = try_inline_refresh()) {
        out = std::move(*quick);
      } else {
        out = co_await net::run_on_store([this] {
          reply r;
          refresh(st_, r, true);
          return r.out;
        });
      }
      if (!co_await send(out)) co_return;  // the connection is closed: the reader ends too
    }
  }

  connection& c_;
  std::shared_ptr<const server_env> env_;
  events::bus* bus_;
  idle_hub* hub_;  // null without a bus
  session_options o_;
  command_reader reader_;
  session_state st_;
  std::unique_ptr<deflate_codec> codec_;
  // NOTIFY (see notifier()).
  std::shared_ptr<wake> nwake_;
  asio::steady_timer push_done_;
  bool quiet_ = false, pushing_ = false, ended_ = false;
  events::subscription nsub_new_, nsub_changed_, nsub_sel_new_, nsub_sel_changed_;
  std::string nsub_key_, nsub_sel_key_;
  std::vector<streamed_literal_state> streamed_;  // the current command's (start_streamed)
};

}  // namespace

net::handler make_handler(std::shared_ptr<const server_env> env, events::bus* bus, bool implicit_tls,
                          session_options opts) {
  // One hub per listener: each holds two bus subscriptions per owner with idling sessions.
  std::shared_ptr<idle_hub> hub = bus ? std::make_shared<idle_hub>(*bus) : nullptr;
  return [env, bus, hub, implicit_tls, opts](connection& c) -> asio::awaitable<void> {
    session s(c, env, bus, hub.get(), implicit_tls, opts);
    log::info("imap.connect", {{"conn", c.id()}, {"ip", c.remote_ip()}, {"tls", c.is_tls()}});
    co_await s.run();
  };
}

}  // namespace hearth::mail::imap
