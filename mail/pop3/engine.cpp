#include "mail/pop3/engine.hpp"

#include <charconv>

#include "auth/authenticator.hpp"
#include "core/blob/store.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"

namespace hearth::mail::pop3 {
namespace {

response ok(std::string text) { return {"+OK " + text + "\r\n"}; }
response err(std::string text) { return {"-ERR " + text + "\r\n"}; }

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

bool dot_stuffer::feed(std::string_view b, std::string& out) {
  while (!b.empty() && !done_) {
    const auto e = b.find('\n');
    std::string_view seg = e == std::string_view::npos ? b : b.substr(0, e);
    b = e == std::string_view::npos ? std::string_view{} : b.substr(e + 1);
    if (!seg.empty()) {
      if (cr_) {  // a CR not followed by LF is part of the line
        out += '\r';
        ++length_;
        cr_ = false;
      }
      if (seen_ == 0 && seg[0] == '.') out += '.';
      seen_ += seg.size();
      if (seg.back() == '\r') {
        cr_ = true;
        seg.remove_suffix(1);
      }
      out += seg;
      length_ += seg.size();
    }
    if (e == std::string_view::npos) break;
    out += "\r\n";
    if (in_body_) ++body_lines_;
    else if (length_ == 0) in_body_ = true;
    cr_ = false;
    seen_ = length_ = 0;
    if (in_body_ && max_ && body_lines_ >= *max_) done_ = true;
  }
  return !done_;
}

void dot_stuffer::finish(std::string& out) {
  if (!done_ && seen_ > 0) out += "\r\n";
  out += ".\r\n";
}

std::string dot_stuff(std::string_view b, std::optional<std::size_t> max_body_lines) {
  std::string out;
  out.reserve(b.size() + b.size() / 50 + 8);
  dot_stuffer d(max_body_lines);
  d.feed(b, out);
  d.finish(out);
  return out;
}

std::string engine::greeting() const { return "+OK " + env_.hostname + " Hearth POP3 ready\r\n"; }

std::string engine::capa() const {
  std::string c = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (!tls_ && stls_offered_ && state_ == state::authorization) c += "STLS\r\n";
  if (tls_ && state_ == state::authorization) {
    c += "USER\r\n";
    auth::context ctx{"pop3", ip_, true, std::nullopt};
    auto mechs = env_.authn->mechanisms(ctx);
    if (!mechs.empty()) {
      c += "SASL";
      for (const auto& m : mechs) c += " " + m;
      c += "\r\n";
    }
  }
  c += "IMPLEMENTATION Hearth\r\n.\r\n";
  return c;
}

std::optional<std::size_t> engine::msg(std::string_view arg) const {
  auto n = number(util::trim(arg));
  if (!n || *n == 0 || *n > msgs_.size() || deleted_[*n - 1]) return std::nullopt;
  return static_cast<std::size_t>(*n - 1);
}

response engine::login(const std::string& address) {
  account_ = address;
  auto info = env_.store->status(account_, "INBOX");
  auto list = env_.store->fetch(account_, "INBOX", {{1, mail::uid_max}});
  if (!info || !list) return err("[SYS/TEMP] Maildrop unavailable");
  uidvalidity_ = info->uidvalidity;
  msgs_ = std::move(*list);
  deleted_.assign(msgs_.size(), false);
  state_ = state::transaction;
  return ok("Logged in, " + std::to_string(msgs_.size()) + " messages");
}

response engine::sasl_success(const std::string& address) { return login(address); }

response engine::finish_login() {
  if (checked_.empty()) return err("USER first");
  std::string address = std::move(checked_);
  checked_.clear();
  return login(address);
}

runs_on engine::placement(std::string_view line) const {
  const std::string verb = util::to_upper(line.substr(0, line.find(' ')));
  if (state_ == state::authorization) return verb == "PASS" ? runs_on::blocking : runs_on::io;
  if (state_ != state::transaction) return runs_on::io;
  // RETR/TOP read the blob (and RETR may set \Seen); QUIT expunges the deleted messages.
  // STAT, LIST, UIDL, DELE, RSET and NOOP use the listing loaded at login.
  if (verb == "RETR" || verb == "TOP" || verb == "QUIT") return runs_on::store;
  return runs_on::io;
}

response engine::handle(std::string_view line) {
  auto sp = line.find(' ');
  std::string verb = util::to_upper(line.substr(0, sp));
  std::string_view arg = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  if (verb == "CAPA") return {capa()};
  if (verb == "QUIT") {
    response r;
    if (state_ == state::transaction) {
      // RFC 1939 §6: the UPDATE state removes the messages marked as deleted.
      mail::uid_set del;
      for (std::size_t i = 0; i < msgs_.size(); ++i)
        if (deleted_[i]) del.push_back({msgs_[i].uid, msgs_[i].uid});
      if (!del.empty()) {
        auto f = env_.store->store_flags(account_, "INBOX", del, mail::flag_mode::add, {"\\Deleted"});
        auto x = f ? env_.store->expunge(account_, "INBOX", del) : result<mail::expunge_result>(f.error());
        if (!x) {
          r = err("[SYS/TEMP] Some deleted messages not removed");
          r.act = action::quit;
          return r;
        }
      }
      state_ = state::update;
    }
    r = ok("Bye");
    r.act = action::quit;
    return r;
  }
  if (verb == "NOOP" && state_ == state::transaction) return ok("");
  if (state_ == state::authorization) {
    if (verb == "STLS") {
      if (tls_ || !stls_offered_) return err("TLS already active");
      response r = ok("Begin TLS negotiation");
      r.act = action::starttls;
      return r;
    }
    if (verb == "USER") {
      if (!tls_) return err("[AUTH] USER needs TLS, use STLS");
      user_ = std::string(util::trim(arg));
      return ok("Send PASS");
    }
    if (verb == "PASS") {
      if (!tls_) return err("[AUTH] PASS needs TLS, use STLS");
      if (user_.empty()) return err("USER first");
      auth::context ctx{"pop3", ip_, true, std::nullopt};
      auth::auth_result res;
      try {
        res = env_.authn->check_password(ctx, user_, arg);
      } catch (const std::exception&) {
        return err("[SYS/TEMP] Authentication unavailable");
      }
      user_.clear();
      if (res.result != auth::outcome::ok) {
        response r = err("[AUTH] Invalid credentials");
        r.delay = res.delay;
        return r;
      }
      // The maildrop is read by finish_login(), on the store pool or inline, not here on the
      // blocking pool beside the hashing.
      checked_ = res.address;
      response r;
      r.act = action::login;
      r.delay = res.delay;
      return r;
    }
    if (verb == "AUTH") {
      if (!tls_) return err("[AUTH] AUTH needs TLS, use STLS");
      if (arg.empty()) {  // RFC 5034 / RFC 1734: bare AUTH lists the mechanisms
        auth::context ctx{"pop3", ip_, true, std::nullopt};
        std::string out = "+OK\r\n";
        for (const auto& m : env_.authn->mechanisms(ctx)) out += m + "\r\n";
        return {out + ".\r\n"};
      }
      auto sp2 = arg.find(' ');
      sasl_mech_ = util::to_upper(arg.substr(0, sp2));
      sasl_initial_.reset();
      if (sp2 != std::string_view::npos) sasl_initial_ = std::string(util::trim(arg.substr(sp2 + 1)));
      response r;
      r.act = action::sasl;
      return r;
    }
    return err("Unknown command or not allowed before login");
  }
  if (state_ != state::transaction) return err("Not allowed");
  if (verb == "STAT") {
    std::size_t n = 0;
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < msgs_.size(); ++i)
      if (!deleted_[i]) ++n, bytes += msgs_[i].size;
    return ok(std::to_string(n) + " " + std::to_string(bytes));
  }
  if (verb == "LIST" || verb == "UIDL") {
    auto item = [&](std::size_t i) {
      return std::to_string(i + 1) + " " +
             (verb == "LIST" ? std::to_string(msgs_[i].size)
                             : std::to_string(uidvalidity_) + "." + std::to_string(msgs_[i].uid));
    };
    if (!util::trim(arg).empty()) {
      auto i = msg(arg);
      if (!i) return err("No such message");
      return ok(item(*i));
    }
    std::string out = "+OK\r\n";
    for (std::size_t i = 0; i < msgs_.size(); ++i)
      if (!deleted_[i]) out += item(i) + "\r\n";
    return {out + ".\r\n"};
  }
  if (verb == "RETR" || verb == "TOP") {
    std::string_view a = util::trim(arg);
    std::optional<std::size_t> lines;
    if (verb == "TOP") {
      auto s2 = a.find(' ');
      if (s2 == std::string_view::npos) return err("TOP needs a message and a line count");
      auto n = number(util::trim(a.substr(s2 + 1)));
      if (!n) return err("Bad line count");
      lines = static_cast<std::size_t>(*n);
      a = a.substr(0, s2);
    }
    auto i = msg(a);
    if (!i) return err("No such message");
    const bool stream = msgs_[*i].size >= stream_min_bytes;
    std::optional<std::string> bytes;
    if (!stream) {
      auto got = env_.blobs->get(msgs_[*i].blob_id);
      if (!got) return err("[SYS/TEMP] Message unavailable");
      bytes = std::move(*got);
    } else if (!env_.blobs->exists(msgs_[*i].blob_id)) {
      return err("[SYS/TEMP] Message unavailable");
    }
    if (verb == "RETR" && std::find(msgs_[*i].flags.begin(), msgs_[*i].flags.end(), "\\Seen") == msgs_[*i].flags.end())
      (void)env_.store->store_flags(account_, "INBOX", {{msgs_[*i].uid, msgs_[*i].uid}}, mail::flag_mode::add, {"\\Seen"});
    std::string first = "+OK " + std::to_string(msgs_[*i].size) + " octets\r\n";
    if (stream) return {first, action::none, {}, streamed_body{msgs_[*i].blob_id, lines}};
    return {first + dot_stuff(*bytes, lines)};
  }
  if (verb == "DELE") {
    auto i = msg(arg);
    if (!i) return err("No such message");
    deleted_[*i] = true;
    return ok("Marked for deletion");
  }
  if (verb == "RSET") {
    deleted_.assign(msgs_.size(), false);
    return ok("Reset");
  }
  return err("Unknown command");
}

}  // namespace hearth::mail::pop3
