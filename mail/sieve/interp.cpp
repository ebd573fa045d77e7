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

}  // namespace detail

outcome run(const program& prog, std::string_view message, const environment& env, const limits& lim) {
  detail::interpreter in(message, env, lim);
  return in.execute(prog);
}

}  // namespace hearth::mail::sieve
