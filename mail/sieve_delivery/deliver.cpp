#include "mail/sieve_delivery/deliver.hpp"

#include <algorithm>
#include <set>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "mail/sieve_delivery/rules.hpp"
#include "mail/sieve_store/store.hpp"
#include "mail/store/store.hpp"

namespace hearth::mail::sieve_delivery {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One line, bounded: the reason goes into an SMTP reply.
std::string reply_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 400) break;
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  return std::string(util::trim(out));
}

// The message without our Return-Path (a redirect gets a new envelope; RFC 5321 §4.4 says the
// Return-Path is added at final delivery only).
std::string without_return_path(std::string_view m) {
  if (util::istarts_with(m, "Return-Path:")) {
    auto eol = m.find('\n');
    if (eol != std::string_view::npos) return std::string(m.substr(eol + 1));
  }
  return std::string(m);
}

}  // namespace

std::shared_ptr<const sieve::program> deliverer::compiled(const std::string& source, std::string& error) {
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(source); it != cache_.end()) return it->second;
  }
  auto p = sieve::compile(source, s_.limits);
  if (!p) {
    error = "line " + std::to_string(p.error().line) + ", column " + std::to_string(p.error().column) + ": " +
            p.error().message;
    return nullptr;
  }
  std::lock_guard lock(mu_);
  // Bounded: scripts change rarely, so dropping everything now and then costs little.
  if (cache_.size() >= 1000) cache_.clear();
  cache_.emplace(source, *p);
  return *p;
}

result<std::vector<deliverer::script_ref>> deliverer::scripts_for(const std::string& account) {
  std::vector<script_ref> out;
  if (!s_.scripts) return out;
  if (!s_.before.empty()) {
    auto g = s_.scripts->global_get(s_.before);
    if (!g) return g.error();
    if (*g) out.push_back({"global:" + s_.before, **g});
  }
  auto a = s_.scripts->active(account);
  if (!a) {
    if (a.error().code == "sieve.no_account" || a.error().code == "sieve.invalid") return out;
    return a.error();
  }
  if (*a) out.push_back({"user:" + (*a)->name, (*a)->content});
  if (!s_.after.empty()) {
    auto g = s_.scripts->global_get(s_.after);
    if (!g) return g.error();
    if (*g) out.push_back({"global:" + s_.after, **g});
  }
  return out;
}

sieve::environment deliverer::environment(const request& r) const {
  sieve::environment env;
  env.envelope_from = r.envelope_from;
  env.envelope_to = r.account;
  env.original_to = r.envelope_to;
  env.auth_user = r.account;
  env.user_addresses.push_back(util::to_lower(r.account));
  if (!util::iequals(r.envelope_to, r.account)) env.user_addresses.push_back(util::to_lower(r.envelope_to));
  auto spam = spam_from_headers(r.copy, s_.spam_threshold);
  env.spam_score = spam.score;
  env.spam_percent = spam.percent;
  mail::store* st = s_.store;
  const std::string account = r.account;
  env.mailbox_exists = [st, account](std::string_view name) {
    return st && static_cast<bool>(st->status(account, name));
  };
  env.mailbox_has_special_use = [st, account](std::string_view name, std::string_view use) {
    if (!st) return false;
    auto l = st->list(account);
    if (!l) return false;
    for (const auto& m : *l)
      if (m.name == name && util::iequals(m.special_use, use)) return true;
    return false;
  };
  sieve_store::store* scripts = s_.scripts;
  env.load_include = [scripts, account](std::string_view name,
                                        sieve::script_location where) -> std::optional<std::string> {
    if (!scripts) return std::nullopt;
    if (where == sieve::script_location::global) {
      auto g = scripts->global_get(name);
      if (!g || !*g) return std::nullopt;
      return **g;
    }
    auto p = scripts->get(account, name);
    if (!p) return std::nullopt;
    return *p;
  };
  env.duplicate_seen = [scripts, account](std::string_view key) {
    if (!scripts) return false;
    auto seen = scripts->remembered(account, "duplicate", key, unix_now());
    return seen && *seen;
  };
  auto at = r.account.rfind('@');
  env.items["domain"] = at == std::string::npos ? std::string() : r.account.substr(at + 1);
  env.items["host"] = s_.hostname;
  env.items["location"] = "MDA";
  env.items["phase"] = "during";
  return env;
}

result<sieve::outcome> deliverer::evaluate(const request& r, std::vector<std::string>* ran) {
  auto refs = scripts_for(r.account);
  if (!refs) return refs.error();
  sieve::outcome combined;
  combined.implicit_keep = true;
  std::vector<std::string> keep_flags;
  std::string message = r.copy;
  const auto env = environment(r);
  for (const auto& ref : *refs) {
    std::string err;
    auto prog = compiled(ref.source, err);
    if (!prog) return fail("sieve.compile", ref.name + ": " + err);
    if (ran) ran->push_back(ref.name);
    auto o = sieve::run(*prog, message, env, s_.limits);
    if (o.error)
      return fail("sieve.runtime", ref.name + ": line " + std::to_string(o.error->line) + ": " + o.error->message);
    if (o.edited_message) {
      message = *o.edited_message;
      combined.edited_message = message;
    }
    for (auto& e : o.header_edits) combined.header_edits.push_back(std::move(e));
    for (auto& d : o.duplicates) combined.duplicates.push_back(std::move(d));
    for (auto& a : o.actions) {
      if (auto* k = std::get_if<sieve::action_keep>(&a); k && k->implicit) {
        keep_flags = k->flags;
        continue;
      }
      combined.actions.push_back(std::move(a));
    }
    // Any script cancelling the implicit keep cancels it for the whole sequence.
    combined.implicit_keep = combined.implicit_keep && o.implicit_keep;
  }
  if (combined.implicit_keep) combined.actions.push_back(sieve::action_keep{keep_flags, true});
  return combined;
}

result<void> deliverer::store_copy(const request& req, std::string mailbox, const std::string& bytes,
                                   const std::vector<std::string>& flags, bool create, const std::string& special_use,
                                   const std::string& fallback) {
  auto& st = *s_.store;
  const std::string& account = req.account;
  // A large message's copy is written to the blob store once, then filed by its id.
  std::string blob_id;
  if (req.write_blob) {
    const std::size_t cut = std::min(req.body_start, bytes.size());
    auto id = req.write_blob(std::string_view(bytes).substr(0, bytes.size() - cut));
    if (!id) return id.error();
    blob_id = std::move(*id);
  }
  struct filer {
    mail::store& st;
    const std::string& account;
    const std::string& bytes;
    const std::string& blob_id;
    result<mail::append_result> append(const std::string& box, const std::vector<std::string>& f) const {
      return blob_id.empty() ? st.append(account, box, bytes, f) : st.append_blob(account, box, blob_id, f);
    }
  } put{st, account, bytes, blob_id};
  if (mailbox.empty() || util::iequals(mailbox, "INBOX")) mailbox = "INBOX";
  // RFC 8579 §4: :specialuse prefers the mailbox carrying that use, whatever its name.
  if (!special_use.empty()) {
    if (auto l = st.list(account)) {
      for (const auto& m : *l)
        if (util::iequals(m.special_use, special_use)) {
          mailbox = m.name;
          break;
        }
    }
  }
  auto r = put.append(mailbox, flags);
  if (!r && r.error().code == "mail.no_mailbox" && create) {
    // RFC 5490 §3.2: :create makes the mailbox, then files into it.
    auto c = st.create(account, mailbox, "");
    if (c || c.error().code == "mail.exists") {
      log::info("sieve.create", {{"user", account}, {"mailbox", mailbox}});
      r = put.append(mailbox, flags);
    }
  }
  if (!r && r.error().code == "mail.invalid" && !flags.empty()) {
    log::info("sieve.flags_ignored", {{"user", account}, {"mailbox", mailbox}, {"error", r.error().message}});
    r = put.append(mailbox, {});
  }
  if (!r && (r.error().code == "mail.no_mailbox" || r.error().code == "mail.invalid") && mailbox != fallback) {
    // RFC 5228 §4.1: a fileinto that cannot be done must not lose the message.
    log::info("sieve.fileinto_fallback",
              {{"user", account}, {"mailbox", mailbox}, {"into", fallback}, {"error", r.error().message}});
    r = put.append(fallback, flags);
    if (!r && r.error().code == "mail.invalid" && !flags.empty()) r = put.append(fallback, {});
    if (!r && fallback != "INBOX") r = put.append("INBOX", {});
  }
  if (!r) return r.error();
  return {};
}

result<response> deliverer::deliver(const request& r) {
  const std::string keep_folder = r.folder.empty() ? "INBOX" : r.folder;
  auto refs = scripts_for(r.account);
  if (!refs) return refs.error();
  if (refs->empty()) {
    // No script: exactly the plain delivery (spam to Junk when the account has it).
    if (auto s = store_copy(r, keep_folder, r.copy, {}, false, "", "INBOX"); !s) return s.error();
    return response{};
  }
  auto o = evaluate(r);
  if (!o) {
    if (o.error().code.starts_with("db.")) return o.error();
    // A failing script never loses the message (RFC 5228 §2.10.6): INBOX, and the log says why.
    log::warn("sieve.error", {{"user", r.account}, {"error", o.error().message}});
    if (auto s = store_copy(r, "INBOX", r.copy, {}, false, "", "INBOX"); !s) return s.error();
    tell_user(r.account, o.error().message);
    return response{};
  }
  const std::string message = o->edited_message.value_or(r.copy);

  // RFC 5429 §2.1: refuse at SMTP time when the client is still there for this copy alone.
  for (const auto& a : o->actions) {
    if (auto* rej = std::get_if<sieve::action_reject>(&a); rej && r.can_reject) {
      log::info("sieve.reject", {{"user", r.account}, {"from", r.envelope_from}, {"at", "smtp"}});
      return response{true, reply_text(rej->reason)};
    }
  }

  // A redirect that would loop (the message already went through our redirect) becomes a keep.
  bool loop = redirected_by(message, s_.hostname);
  bool extra_keep = false;
  for (const auto& a : o->actions)
    if (auto* red = std::get_if<sieve::action_redirect>(&a); red && loop && !red->copy) extra_keep = true;

  std::set<std::string> done;  // RFC 5228 §4.1: one copy per mailbox
  auto once = [&done](const std::string& name) {
    std::string key = util::iequals(name, "INBOX") ? "INBOX" : name;
    return done.insert(key).second;
  };
  for (const auto& a : o->actions) {
    if (auto* k = std::get_if<sieve::action_keep>(&a)) {
      if (!once(keep_folder)) continue;
      if (auto s = store_copy(r, keep_folder, message, k->flags, false, "", "INBOX"); !s) return s.error();
    } else if (auto* f = std::get_if<sieve::action_fileinto>(&a)) {
      if (!once(f->mailbox)) continue;
      if (auto s = store_copy(r, f->mailbox, message, f->flags, f->create, f->special_use, "INBOX"); !s)
        return s.error();
      log::info("sieve.fileinto", {{"user", r.account}, {"mailbox", f->mailbox}});
    }
  }
  if (extra_keep && once(keep_folder)) {
    log::warn("sieve.redirect_loop", {{"user", r.account}, {"from", r.envelope_from}});
    if (auto s = store_copy(r, keep_folder, message, {}, false, "", "INBOX"); !s) return s.error();
  }
  bool discarded = done.empty();
  if (discarded) log::info("sieve.discard", {{"user", r.account}, {"from", r.envelope_from}});

  // The copies are durable: now what leaves the server.
  side_effects(r, *o, message);
  for (const auto& d : o->duplicates)
    if (auto m = s_.scripts->remember(r.account, "duplicate", d.key, unix_now(), d.period.count()); !m)
      log::warn("sieve.duplicate", {{"user", r.account}, {"error", m.error().message}});
  return response{};
}

void deliverer::tell_user(const std::string& account, const std::string& error) {
  // Once a day per distinct error, so a broken script does not double every message.
  auto seen = s_.scripts->remember(account, "error", error, unix_now(), 24 * 3600);
  if (!seen || *seen) return;
  std::string m = "From: Mail filters <postmaster@" + s_.hostname + ">\r\nTo: " + account +
                  "\r\nSubject: Your mail filter (Sieve script) failed\r\nDate: " +
                  rfc5322_date(std::chrono::system_clock::now()) + "\r\nAuto-Submitted: auto-generated\r\n" +
                  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
                  "A message for you could not be filtered, so it was kept in your INBOX.\r\n\r\nThe error:\r\n  " +
                  reply_text(error) +
                  "\r\n\r\nFix the script in your mail client's filter settings. This notice is sent once a day "
                  "at most for the same error.\r\n";
  if (auto a = s_.store->append(account, "INBOX", m, {}); !a)
    log::warn("sieve.error_notice", {{"user", account}, {"error", a.error().message}});
}

void deliverer::side_effects(const request& r, const sieve::outcome& o, const std::string& message) {
  auto send = [&](const std::string& from, const std::vector<std::string>& to, const std::string& bytes,
                  const std::string& sign_as, std::string_view what, const piece_source* body = nullptr) {
    if (!s_.send) {
      log::warn("sieve.unsent", {{"user", r.account}, {"action", what}, {"reason", "no queue"}});
      return;
    }
    auto q = s_.send(from, to, bytes, sign_as, body);
    if (!q) log::warn("sieve.unsent", {{"user", r.account}, {"action", what}, {"error", q.error().message}});
  };
  const bool loop = redirected_by(message, s_.hostname);
  for (const auto& a : o.actions) {
    if (auto* red = std::get_if<sieve::action_redirect>(&a)) {
      if (loop) continue;  // kept instead (see deliver)
      // The envelope sender is rewritten with SRS and an ARC set added where the message is
      // queued (services::send, the same forwarding as aliases); the marker lets us recognise
      // the message if it comes back.
      // A large message goes as its header section (as the scripts left it), its body read
      // in pieces from where SMTP keeps it as the queue writes its spool.
      const std::string_view sent =
          r.body ? std::string_view(message).substr(0, message.size() - std::min(r.body_start, message.size()))
                 : std::string_view(message);
      std::string bytes = std::string(redirect_marker) + ": " + s_.hostname + "\r\n" + without_return_path(sent);
      log::info("sieve.redirect", {{"user", r.account}, {"to", red->address}, {"copy", red->copy ? "yes" : "no"}});
      send(r.envelope_from, {red->address}, bytes, "", "redirect", r.body ? &r.body : nullptr);
    } else if (auto* v = std::get_if<sieve::action_vacation>(&a)) {
      std::string to = v->to.empty() ? r.envelope_from : v->to;
      std::vector<std::string> mine = {r.account};
      if (!util::iequals(r.envelope_to, r.account)) mine.push_back(r.envelope_to);
      for (const auto& x : v->addresses) mine.push_back(x);
      if (auto why = vacation_refused(message, r.envelope_from, mine)) {
        log::info("sieve.vacation", {{"user", r.account}, {"to", to}, {"status", "skipped"}, {"reason", *why}});
        continue;
      }
      // RFC 5230 §4.2: once per sender within the period, per handle.
      auto seen = s_.scripts->remember(r.account, "vacation", v->handle + "\n" + util::to_lower(to), unix_now(),
                                       std::max<std::int64_t>(v->period.count(), 1));
      if (!seen) {
        log::warn("sieve.vacation", {{"user", r.account}, {"error", seen.error().message}});
        continue;
      }
      if (*seen) {
        log::info("sieve.vacation", {{"user", r.account}, {"to", to}, {"status", "skipped"}, {"reason", "already answered"}});
        continue;
      }
      reply_parts p{v->from.empty() ? r.account : v->from, to, v->subject, v->body, v->mime, v->in_reply_to, s_.hostname};
      log::info("sieve.vacation", {{"user", r.account}, {"to", to}, {"status", "sent"}});
      // RFC 5230 §5.1: the reply's envelope sender is <>.
      send("", {to}, vacation_reply(p), r.account, "vacation");
    } else if (auto* rej = std::get_if<sieve::action_reject>(&a)) {
      if (r.envelope_from.empty()) {
        log::info("sieve.reject", {{"user", r.account}, {"at", "delivery"}, {"status", "dropped"}, {"reason", "null sender"}});
        continue;
      }
      log::info("sieve.reject", {{"user", r.account}, {"from", r.envelope_from}, {"at", "delivery"}});
      send("", {r.envelope_from}, refusal_mdn(message, r.account, r.envelope_from, rej->reason, s_.hostname),
           r.account, "reject");
    } else if (auto* n = std::get_if<sieve::action_notify>(&a)) {
      if (auto t = parse_mailto(n->method)) {
        log::info("sieve.notify", {{"user", r.account}, {"method", "mailto"}});
        send("", t->to, notification_mail(*t, r.account, n->message, n->importance, s_.hostname), r.account,
             "notify");
      } else if (auto jid = parse_xmpp_uri(n->method)) {
        // A chat message goes to the script owner's own JID only: a script must not become a
        // way to send chat messages from the server to other users.
        if (*jid != r.account) {
          log::info("sieve.notify", {{"user", r.account}, {"method", "xmpp"}, {"to", *jid}, {"status", "refused"},
                                     {"reason", "not the user's own JID"}});
          continue;
        }
        bool ok = s_.chat && s_.chat(*jid, n->message);
        log::info("sieve.notify", {{"user", r.account}, {"method", "xmpp"}, {"to", *jid}, {"status", ok ? "sent" : "failed"}});
      } else {
        log::info("sieve.notify", {{"user", r.account}, {"method", n->method}, {"status", "unsupported"}});
      }
    }
  }
}

}  // namespace hearth::mail::sieve_delivery
