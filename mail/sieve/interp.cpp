// Executing commands (RFC 5228 §3, §4 and the action extensions) and collecting actions.
#include "mail/sieve/interp.hpp"

#include "mail/message/address.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/header.hpp"
#include "mail/sieve/match.hpp"
#include "mail/sieve/strings.hpp"

#include <algorithm>
#include <cctype>

namespace hearth::mail::sieve {
namespace detail {

interpreter::interpreter(std::string_view message, const environment& env, const limits& lim)
    : msg_(message), env_(env), lim_(lim) {
  header_section h = parse_header(message);
  fields_.reserve(h.fields.size());
  for (auto& f : h.fields)
    if (f.valid) fields_.push_back({f.name, f.value});
  body_ = message.substr(std::min(h.end, message.size()));
}

void interpreter::step(const node& n) {
  if (++steps_ > lim_.max_steps) fail(n, "the script ran too long (execution step limit reached)");
}

void interpreter::fail(const node& n, std::string msg) { throw runtime_error{n.at, std::move(msg)}; }

outcome interpreter::execute(const program& prog) {
  frame main;
  main.prog = &prog;
  frames_.push_back(&main);
  try {
    commands(prog.commands);
  } catch (const runtime_error& e) {
    // RFC 5228 §2.10.6: a run-time error cancels every action; the implicit keep applies.
    outcome r;
    r.error = diagnostic{e.at.line, e.at.column, e.message};
    r.actions.push_back(action_keep{{}, true});
    r.implicit_keep = true;
    return r;
  }
  out_.implicit_keep = !keep_cancelled_;
  if (out_.implicit_keep) out_.actions.push_back(action_keep{current_flags(), true});
  if (edited_) {
    std::string m;
    m.reserve(msg_.size() + 256);
    for (auto& f : fields_) {
      m.append(f.name);
      m += ':';
      m.append(f.value);
      m += "\r\n";
    }
    m += "\r\n";
    // The body starts after the header's empty line, which the loop above wrote again.
    m.append(body_);
    out_.edited_message = std::move(m);
  }
  return std::move(out_);
}

flow interpreter::commands(const std::vector<node>& cmds) {
  bool skip_else = false;
  for (auto& n : cmds) {
    if (n.id == c_elsif || n.id == c_else) {
      if (skip_else) continue;
    } else {
      skip_else = false;
    }
    if (n.id == c_if || n.id == c_elsif || n.id == c_else) {
      step(n);
      bool taken = n.id == c_else || test(n.tests.front());
      if (taken) {
        skip_else = true;
        flow f = commands(n.block);
        if (f != flow::next) return f;
      }
      continue;
    }
    flow f = command(n);
    if (f != flow::next) return f;
  }
  return flow::next;
}

flow interpreter::command(const node& n) {
  step(n);
  switch (n.id) {
    case c_require:
      return flow::next;
    case c_stop:
      return flow::stop;
    case c_return:
      return flow::ret;
    case c_keep: {
      std::vector<std::string> flags = n.has("flags") ? split_flags(expand_list(*n.tag("flags"))) : current_flags();
      explicit_keep_ = true;
      add_action(n, action_keep{std::move(flags), false}, true);
      return flow::next;
    }
    case c_discard:
      add_action(n, action_discard{}, true);
      return flow::next;
    case c_fileinto: {
      action_fileinto a;
      a.mailbox = expand(n.positional[0].strings[0]);
      if (a.mailbox.empty()) fail(n, "fileinto: empty mailbox name");
      a.flags = n.has("flags") ? split_flags(expand_list(*n.tag("flags"))) : current_flags();
      a.create = n.has("create");
      a.copy = n.has("copy");
      if (auto* su = n.tag("specialuse")) a.special_use = expand(su->strings[0]);
      bool copy = a.copy;
      add_action(n, std::move(a), !copy);
      return flow::next;
    }
    case c_redirect: {
      action_redirect a;
      a.address = bare_address(expand(n.positional[0].strings[0]));
      if (!valid_address(a.address)) fail(n, "redirect: invalid address '" + a.address + "'");
      a.copy = n.has("copy");
      bool copy = a.copy;
      add_action(n, std::move(a), !copy);
      return flow::next;
    }
    case c_reject:
    case c_ereject:
      add_action(n, action_reject{expand(n.positional[0].strings[0]), n.id == c_ereject}, true);
      return flow::next;
    case c_setflag: case c_addflag: case c_removeflag:
      do_flags(n);
      return flow::next;
    case c_set:
      do_set(n);
      return flow::next;
    case c_vacation:
      do_vacation(n);
      return flow::next;
    case c_notify:
      do_notify(n);
      return flow::next;
    case c_include: {
      do_include(n);
      return stopped_ ? flow::stop : flow::next;
    }
    case c_global:
      for (auto& s : n.positional[0].strings) frames_.back()->globals_declared.insert(lower(s.text));
      return flow::next;
    case c_addheader:
      do_addheader(n);
      return flow::next;
    case c_deleteheader:
      do_deleteheader(n);
      return flow::next;
    default:
      return flow::next;
  }
}

// ---- Variables (RFC 5229) ----

std::string* interpreter::var_slot(const std::string& name) {
  if (name.rfind("global.", 0) == 0) return &globals_[name.substr(7)];
  frame& f = *frames_.back();
  if (f.globals_declared.count(name)) return &globals_[name];
  return &f.locals[name];
}

std::string interpreter::get_var(const std::string& name) {
  if (name.rfind("global.", 0) == 0) {
    auto it = globals_.find(name.substr(7));
    return it == globals_.end() ? std::string() : it->second;
  }
  frame& f = *frames_.back();
  if (f.globals_declared.count(name)) {
    auto it = globals_.find(name);
    return it == globals_.end() ? std::string() : it->second;
  }
  auto it = f.locals.find(name);
  if (it != f.locals.end()) return it->second;
  // RFC 5183 §4 / RFC 5229 §3: the "env." namespace is not ours; "envelope" likewise.
  return {};
}

void interpreter::set_var(const std::string& name, std::string value) {
  if (value.size() > lim_.max_string_bytes) value.resize(lim_.max_string_bytes);
  std::string* slot = var_slot(name);
  if (frames_.back()->locals.size() > lim_.max_variables || globals_.size() > lim_.max_variables)
    throw runtime_error{{}, "too many variables"};
  *slot = std::move(value);
}

std::string interpreter::expand(const sstring& s) {
  if (!s.vars) return s.text;
  const std::string& t = s.text;
  std::string r;
  r.reserve(t.size());
  std::size_t i = 0;
  while (i < t.size()) {
    if (t[i] != '$' || i + 1 >= t.size() || t[i + 1] != '{') {
      r += t[i++];
      continue;
    }
    auto close = t.find('}', i + 2);
    if (close == std::string::npos) {
      r.append(t, i, std::string::npos);
      break;
    }
    std::string_view name(t.data() + i + 2, close - i - 2);
    bool digits = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    bool ident = !name.empty() && !digits && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
                 });
    if (digits) {
      std::size_t idx = name.size() > 3 ? 1000 : std::stoul(std::string(name));
      if (idx < match_vars_.size()) r += match_vars_[idx];
    } else if (ident) {
      r += get_var(lower(name));
    } else {
      // Not a variable reference: kept as written (RFC 5229 §3).
      r.append(t, i, 2);
      i += 2;
      continue;
    }
    if (r.size() > lim_.max_string_bytes) r.resize(lim_.max_string_bytes);
    i = close + 1;
  }
  return r;
}

std::vector<std::string> interpreter::expand_list(const argument& a) {
  std::vector<std::string> r;
  r.reserve(a.strings.size());
  for (auto& s : a.strings) r.push_back(expand(s));
  return r;
}

void interpreter::do_set(const node& n) {
  std::string v = expand(n.positional[1].strings[0]);
  // RFC 5229 §4.1: modifiers apply from the highest precedence down.
  if (n.has("lower")) v = lower(v);
  if (n.has("upper")) v = upper(v);
  if (n.has("lowerfirst") && !v.empty()) v[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(v[0])));
  if (n.has("upperfirst") && !v.empty()) v[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(v[0])));
  if (n.has("quotewildcard")) {
    std::string q;
    for (char c : v) {
      if (c == '*' || c == '?' || c == '\\') q += '\\';
      q += c;
    }
    v = std::move(q);
  }
  if (n.has("quoteregex")) {
    std::string q;
    for (char c : v) {
      if (std::string_view("\\^$.[]|()?*+{}").find(c) != std::string_view::npos) q += '\\';
      q += c;
    }
    v = std::move(q);
  }
  if (n.has("encodeurl")) {
    // RFC 5435 §7: percent-encode everything but unreserved characters.
    static const char* hex = "0123456789ABCDEF";
    std::string q;
    for (char c : v) {
      auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') q += c;
      else { q += '%'; q += hex[u >> 4]; q += hex[u & 15]; }
    }
    v = std::move(q);
  }
  if (n.has("length")) {
    // Characters, not octets (RFC 5229 §4.1).
    std::size_t count = 0;
    for (char c : v)
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    v = std::to_string(count);
  }
  set_var(lower(n.positional[0].strings[0].text), std::move(v));
}

// ---- Flags (RFC 5232) ----

std::vector<std::string> interpreter::split_flags(const std::vector<std::string>& lists) {
  std::vector<std::string> r;
  for (auto& l : lists) {
    std::size_t i = 0;
    while (i < l.size()) {
      while (i < l.size() && l[i] == ' ') ++i;
      std::size_t j = i;
      while (j < l.size() && l[j] != ' ') ++j;
      if (j > i) {
        std::string f = l.substr(i, j - i);
        bool dup = std::any_of(r.begin(), r.end(), [&](auto& x) { return iequals(x, f); });
        if (!dup) r.push_back(std::move(f));
      }
      i = j;
    }
  }
  return r;
}

std::vector<std::string> interpreter::current_flags() { return split_flags({internal_flags_}); }

void interpreter::do_flags(const node& n) {
  auto flags = split_flags(expand_list(n.positional.back()));
  bool named = n.positional.size() == 2;
  std::string name = named ? lower(n.positional[0].strings[0].text) : std::string();
  std::vector<std::string> cur = named ? split_flags({get_var(name)}) : current_flags();
  if (n.id == c_setflag) {
    cur = flags;
  } else if (n.id == c_addflag) {
    for (auto& f : flags)
      if (std::none_of(cur.begin(), cur.end(), [&](auto& x) { return iequals(x, f); })) cur.push_back(f);
  } else {
    cur.erase(std::remove_if(cur.begin(), cur.end(), [&](auto& x) {
                return std::any_of(flags.begin(), flags.end(), [&](auto& f) { return iequals(x, f); });
              }), cur.end());
  }
  std::string joined;
  for (auto& f : cur) {
    if (!joined.empty()) joined += ' ';
    joined += f;
  }
  if (named) set_var(name, std::move(joined));
  else internal_flags_ = std::move(joined);
}

// ---- Actions ----

void interpreter::add_action(const node& n, action a, bool cancels_keep) {
  // RFC 5228 §2.10.3: the same fileinto, keep or redirect twice is done once.
  for (auto& existing : out_.actions) {
    if (auto* f = std::get_if<action_fileinto>(&a)) {
      if (auto* e = std::get_if<action_fileinto>(&existing); e && e->mailbox == f->mailbox) {
        e->copy = e->copy && f->copy;
        e->create = e->create || f->create;
        e->flags = f->flags;
        if (cancels_keep) keep_cancelled_ = true;
        return;
      }
    } else if (auto* k = std::get_if<action_keep>(&a)) {
      if (auto* e = std::get_if<action_keep>(&existing)) {
        e->flags = k->flags;
        keep_cancelled_ = true;
        return;
      }
    } else if (auto* r = std::get_if<action_redirect>(&a)) {
      if (auto* e = std::get_if<action_redirect>(&existing); e && iequals(e->address, r->address)) {
        e->copy = e->copy && r->copy;
        if (cancels_keep) keep_cancelled_ = true;
        return;
      }
    } else if (std::holds_alternative<action_discard>(a) && std::holds_alternative<action_discard>(existing)) {
      return;
    }
  }
  // RFC 5429 §2.1-2.2: reject cannot be combined with an action that delivers the message.
  bool is_reject = std::holds_alternative<action_reject>(a);
  bool delivers = std::holds_alternative<action_keep>(a) || std::holds_alternative<action_fileinto>(a) ||
                  std::holds_alternative<action_redirect>(a) || std::holds_alternative<action_vacation>(a);
  for (auto& existing : out_.actions) {
    if (is_reject && std::holds_alternative<action_reject>(existing)) fail(n, "reject: only one reject is allowed");
    bool e_rej = std::holds_alternative<action_reject>(existing);
    bool e_del = std::holds_alternative<action_keep>(existing) || std::holds_alternative<action_fileinto>(existing) ||
                 std::holds_alternative<action_redirect>(existing) || std::holds_alternative<action_vacation>(existing);
    if ((is_reject && e_del) || (delivers && e_rej)) fail(n, "reject cannot be combined with " + describe(is_reject ? existing : a));
  }
  if (is_reject && vacation_done_) fail(n, "reject cannot be combined with vacation");
  if (auto* r = std::get_if<action_redirect>(&a)) {
    (void)r;
    if (++redirects_ > lim_.max_redirects)
      fail(n, "too many redirects (the limit is " + std::to_string(lim_.max_redirects) + ")");
  }
  if (out_.actions.size() >= lim_.max_actions)
    fail(n, "too many actions (the limit is " + std::to_string(lim_.max_actions) + ")");
  out_.actions.push_back(std::move(a));
  if (cancels_keep) keep_cancelled_ = true;
}

namespace {
std::string local_part(std::string_view a) {
  auto at = a.rfind('@');
  return lower(at == std::string_view::npos ? a : a.substr(0, at));
}
}  // namespace

void interpreter::do_vacation(const node& n) {
  if (vacation_done_) fail(n, "vacation: only one vacation action is allowed");
  // RFC 5429 §2.1: reject and vacation both answer the sender; a script doing both is wrong
  // whatever the message, so this is checked before the RFC 3834 rules below may skip the reply.
  for (auto& e : out_.actions)
    if (std::holds_alternative<action_reject>(e)) fail(n, "vacation cannot be combined with reject");
  vacation_done_ = true;
  action_vacation v;
  v.body = expand(n.positional[0].strings[0]);
  v.mime = n.has("mime");
  if (auto* f = n.tag("from")) v.from = expand(f->strings[0]);
  if (auto* a = n.tag("addresses")) v.addresses = expand_list(*a);
  std::vector<std::string_view> subj = header_raw("subject", {});
  if (auto* s = n.tag("subject")) v.subject = expand(s->strings[0]);
  else v.subject = "Auto: " + (subj.empty() ? std::string() : decoded(subj.front()));
  // RFC 5230 §4.1, RFC 6131 §2: the period, bounded to one day .. sixty days for :days and
  // to at most sixty days for :seconds (0 allowed: answer every message).
  constexpr std::int64_t day = 86400;
  std::int64_t secs = 7 * day;
  if (auto* d = n.tag("days")) secs = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::min<std::uint64_t>(d->number, 1000)) * day, day, 60 * day);
  if (auto* s = n.tag("seconds")) secs = static_cast<std::int64_t>(std::min<std::uint64_t>(s->number, 60 * day));
  v.period = std::chrono::seconds(secs);
  if (auto* h = n.tag("handle")) v.handle = expand(h->strings[0]);
  else v.handle = v.subject.substr(0, 0) + (n.tag("subject") ? v.subject : std::string()) + "\x1f" + v.from + "\x1f" +
                  (v.mime ? "mime" : "") + "\x1f" + v.body;
  if (auto mid = header_raw("message-id", {}); !mid.empty()) v.in_reply_to = unfold(mid.front());
  v.to = env_.envelope_from;

  // RFC 3834 §2 and RFC 5230 §4.5-4.6: when not to answer. The action still counts as done.
  auto skip = [&](std::string why) { out_.notes.push_back("vacation not sent: " + why); };
  if (env_.envelope_from.empty()) return skip("null sender");
  std::string lp = local_part(env_.envelope_from);
  for (std::string_view bad : {"mailer-daemon", "listserv", "majordomo", "noreply", "no-reply", "do-not-reply",
                               "donotreply", "postmaster"})
    if (lp == bad || (bad.size() > 5 && lp.rfind(bad, 0) == 0)) return skip("sender " + env_.envelope_from + " is automated");
  if (lp.rfind("owner-", 0) == 0 || (lp.size() > 8 && lp.compare(lp.size() - 8, 8, "-request") == 0))
    return skip("sender is a mailing list");
  for (auto raw : header_raw("auto-submitted", {}))
    if (!iequals(unfold(raw), "no")) return skip("the message is auto-submitted");
  for (auto raw : header_raw("precedence", {})) {
    std::string p = lower(unfold(raw));
    if (p == "bulk" || p == "list" || p == "junk") return skip("the message has Precedence: " + p);
  }
  for (std::string_view h : {"list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive"})
    if (!header_raw(h, {}).empty()) return skip("the message came through a mailing list");
  std::vector<std::string> mine = env_.user_addresses;
  if (!env_.envelope_to.empty()) mine.push_back(lower(env_.envelope_to));
  for (auto& a : v.addresses) mine.push_back(lower(a));
  for (auto& a : mine)
    if (iequals(a, env_.envelope_from)) return skip("the sender is the user");
  bool addressed = false;
  for (std::string_view h : {"to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"})
    for (auto raw : header_raw(h, {}))
      for (auto& m : parse_address_list(unfold(raw)).mailboxes())
        for (auto& a : mine)
          if (iequals(m.addr_spec(), a)) addressed = true;
  if (!addressed) return skip("the user is not among the message's recipients");
  add_action(n, std::move(v), false);
}

void interpreter::do_notify(const node& n) {
  action_notify a;
  a.method = expand(n.positional[0].strings[0]);
  std::string why;
  if (!valid_notify_uri(a.method, why)) fail(n, "notify: " + why);
  if (auto* f = n.tag("from")) a.from = expand(f->strings[0]);
  if (auto* im = n.tag("importance")) {
    std::string v = expand(im->strings[0]);
    if (v != "1" && v != "2" && v != "3") fail(n, "notify: :importance must be 1, 2 or 3");
    a.importance = v[0] - '0';
  }
  if (auto* o = n.tag("options")) a.options = expand_list(*o);
  if (auto* m = n.tag("message")) {
    a.message = expand(m->strings[0]);
  } else {
    auto from = header_raw("from", {});
    auto subj = header_raw("subject", {});
    a.message = (from.empty() ? std::string() : decoded(from.front())) + ": " +
                (subj.empty() ? std::string() : decoded(subj.front()));
  }
  // RFC 5435 §3.8: the same method twice is notified once.
  for (auto& e : out_.actions)
    if (auto* x = std::get_if<action_notify>(&e); x && x->method == a.method) return;
  add_action(n, std::move(a), false);
}

void interpreter::do_include(const node& n) {
  std::string name = expand(n.positional[0].strings[0]);
  script_location where = n.has("global") ? script_location::global : script_location::personal;
  std::string key = (where == script_location::global ? "global:" : "personal:") + name;
  if (name.empty() || name.find('/') != std::string::npos) fail(n, "include: invalid script name '" + name + "'");
  if (n.has("once") && included_once_.count(key)) return;
  if (std::find(include_chain_.begin(), include_chain_.end(), key) != include_chain_.end())
    fail(n, "include: script '" + name + "' includes itself");
  if (include_chain_.size() >= lim_.max_include_depth) fail(n, "include: nested too deeply");
  std::shared_ptr<const program> prog;
  if (auto it = include_cache_.find(key); it != include_cache_.end()) {
    prog = it->second;
  } else {
    if (++includes_ > lim_.max_includes) fail(n, "include: too many included scripts");
    std::optional<std::string> src;
    if (env_.load_include) src = env_.load_include(name, where);
    if (!src) {
      if (n.has("optional")) return;
      fail(n, "include: script '" + name + "' not found");
    }
    auto c = compile(*src, lim_);
    if (!c) {
      diagnostic d = c.error();
      fail(n, "include: script '" + name + "' line " + std::to_string(d.line) + ": " + d.message);
    }
    prog = *c;
    include_cache_[key] = prog;
  }
  included_once_.insert(key);
  frame f;
  f.prog = prog.get();
  include_chain_.push_back(key);
  frames_.push_back(&f);
  flow r = commands(prog->commands);
  frames_.pop_back();
  include_chain_.pop_back();
  if (r == flow::stop) stopped_ = true;
}

namespace {
// RFC 5293 §5: a non-ASCII value becomes an RFC 2047 encoded word.
std::string encode_header_value(std::string_view v) {
  bool ascii = std::all_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '\r' && c != '\n'; });
  if (ascii) return std::string(v);
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "=?UTF-8?B?";
  std::size_t i = 0;
  for (; i + 2 < v.size(); i += 3) {
    unsigned x = (static_cast<unsigned char>(v[i]) << 16) | (static_cast<unsigned char>(v[i + 1]) << 8) | static_cast<unsigned char>(v[i + 2]);
    out += b64[x >> 18]; out += b64[(x >> 12) & 63]; out += b64[(x >> 6) & 63]; out += b64[x & 63];
  }
  if (i + 1 == v.size()) {
    unsigned x = static_cast<unsigned char>(v[i]) << 16;
    out += b64[x >> 18]; out += b64[(x >> 12) & 63]; out += "==";
  } else if (i + 2 == v.size()) {
    unsigned x = (static_cast<unsigned char>(v[i]) << 16) | (static_cast<unsigned char>(v[i + 1]) << 8);
    out += b64[x >> 18]; out += b64[(x >> 12) & 63]; out += b64[(x >> 6) & 63]; out += '=';
  }
  return out + "?=";
}

bool protected_header(std::string_view name) { return iequals(name, "received") || iequals(name, "auto-submitted"); }
}  // namespace

void interpreter::do_addheader(const node& n) {
  std::string name = expand(n.positional[0].strings[0]);
  std::string value = expand(n.positional[1].strings[0]);
  if (!valid_header_name(name)) fail(n, "addheader: invalid header name '" + name + "'");
  if (protected_header(name)) return;
  header_edit e;
  e.op = header_edit::kind::add;
  e.name = name;
  e.value = value;
  e.last = n.has("last");
  out_.header_edits.push_back(e);
  owned_.push_back(std::move(name));
  std::string_view nv = owned_.back();
  owned_.push_back(" " + encode_header_value(value));
  field f{nv, owned_.back()};
  if (e.last) fields_.push_back(f);
  else fields_.insert(fields_.begin(), f);
  edited_ = true;
  header_changed();
}

void interpreter::do_deleteheader(const node& n) {
  std::string name = expand(n.positional[0].strings[0]);
  if (!valid_header_name(name)) fail(n, "deleteheader: invalid header name '" + name + "'");
  if (protected_header(name)) return;
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < fields_.size(); ++i)
    if (iequals(fields_[i].name, name)) idx.push_back(i);
  if (n.m.index) {
    std::size_t k = static_cast<std::size_t>(n.m.index);
    if (k > idx.size()) return;
    std::size_t pick = n.m.last ? idx[idx.size() - k] : idx[k - 1];
    idx = {pick};
  }
  std::vector<std::size_t> del;
  for (auto i : idx) {
    if (n.positional.size() == 2) {
      std::string v = decoded(fields_[i].value);
      const argument& keys = n.positional[1];
      bool hit = false;
      for (std::size_t k = 0; k < keys.strings.size() && !hit; ++k)
        hit = match_one(n, v, expand(keys.strings[k]), k < n.regex_ids.size() ? n.regex_ids[k] : -1);
      if (!hit) continue;
    }
    del.push_back(i);
  }
  if (del.empty()) return;
  header_edit e;
  e.op = header_edit::kind::remove;
  e.name = name;
  if (n.m.index) e.index = n.m.last ? -n.m.index : n.m.index;
  e.last = n.m.last;
  out_.header_edits.push_back(e);
  for (auto it = del.rbegin(); it != del.rend(); ++it) fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(*it));
  edited_ = true;
  header_changed();
}

}  // namespace detail

outcome run(const program& prog, std::string_view message, const environment& env, const limits& lim) {
  detail::interpreter in(message, env, lim);
  return in.execute(prog);
}

}  // namespace hearth::mail::sieve
