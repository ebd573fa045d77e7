// Evaluating tests (RFC 5228 §5 and the test extensions) and the shared matching.
#include "mail/message/address.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/header.hpp"
#include "mail/sieve/date.hpp"
#include "mail/sieve/interp.hpp"
#include "mail/sieve/match.hpp"
#include "mail/sieve/strings.hpp"

#include <regex.h>

#include <algorithm>

namespace hearth::mail::sieve::detail {

std::vector<std::string_view> interpreter::header_raw(std::string_view name, const match_spec& m) {
  std::vector<std::string_view> r;
  for (auto& f : fields_)
    if (iequals(f.name, name)) r.push_back(f.value);
  if (m.index) {
    // RFC 5260 §6: :index counts fields of that name from the top, or the bottom with :last.
    std::size_t k = static_cast<std::size_t>(m.index);
    if (k > r.size()) return {};
    return {m.last ? r[r.size() - k] : r[k - 1]};
  }
  return r;
}

std::string interpreter::decoded(std::string_view raw) {
  std::string u = unfold(raw);
  if (u.find("=?") == std::string::npos) return u;
  return decode_encoded_words(u).text;
}

const std::vector<std::string>& interpreter::decoded_values(std::string_view name) {
  for (auto& [n, v] : decoded_cache_)
    if (iequals(n, name)) return v;
  std::vector<std::string> vals;
  for (auto& f : fields_)
    if (iequals(f.name, name)) vals.push_back(decoded(f.value));
  decoded_cache_.emplace_back(std::string(name), std::move(vals));
  return decoded_cache_.back().second;
}

const std::vector<std::string>& interpreter::addresses(std::string_view name) {
  for (auto& [n, v] : address_cache_)
    if (iequals(n, name)) return v;
  std::vector<std::string> vals;
  for (auto& f : fields_) {
    if (!iequals(f.name, name)) continue;
    // One entry per field (so :index can pick a field), addresses separated by NUL.
    std::string joined;
    for (auto& a : parse_address_list(unfold(f.value)).mailboxes()) {
      if (a.local_part.empty() && a.domain.empty()) continue;
      if (!joined.empty()) joined += '\0';
      joined += a.addr_spec();
    }
    vals.push_back(std::move(joined));
  }
  address_cache_.emplace_back(std::string(name), std::move(vals));
  return address_cache_.back().second;
}

void interpreter::header_changed() {
  decoded_cache_.clear();
  address_cache_.clear();
  structure_.reset();
}

const message_structure& interpreter::structure() {
  if (!structure_) {
    if (edited_) {
      // Body parts are found on the edited message so offsets stay consistent.
      std::string m;
      for (auto& f : fields_) {
        m.append(f.name);
        m += ':';
        m.append(f.value);
        m += "\r\n";
      }
      m += "\r\n";
      m.append(body_);
      structure_source_ = std::make_unique<std::string>(std::move(m));
      structure_ = parse_message(*structure_source_);
    } else {
      structure_ = parse_message(msg_);
    }
  }
  return *structure_;
}

bool interpreter::match_one(const node& t, std::string_view value, std::string_view key, int regex_id) {
  if (++steps_ > lim_.max_steps) fail(t, "the script ran too long (execution step limit reached)");
  const match_spec& m = t.m;
  switch (m.type) {
    case match_type::is: return equals(m.cmp, value, key);
    case match_type::contains: return contains(m.cmp, value, key);
    case match_type::value: return relational(m.rel, compare(m.cmp, value, key));
    case match_type::count: return false;  // handled by match_values
    case match_type::matches: {
      std::vector<std::string> caps;
      bool ok = wildcard(m.cmp, key, value, frames_.empty() ? nullptr : &caps, steps_);
      if (steps_ > lim_.max_steps) fail(t, "the script ran too long (execution step limit reached)");
      if (ok) match_vars_ = std::move(caps);
      return ok;
    }
    case match_type::regex: {
      const regex_t* re = nullptr;
      regex_t tmp;
      bool own = false;
      if (regex_id >= 0) {
        re = static_cast<const regex_t*>(frames_.back()->prog->regexes[static_cast<std::size_t>(regex_id)]);
      } else {
        int flags = REG_EXTENDED | (m.cmp == comparator::casemap ? REG_ICASE : 0);
        if (regcomp(&tmp, std::string(key).c_str(), flags) != 0) fail(t, "invalid regular expression '" + std::string(key) + "'");
        re = &tmp;
        own = true;
      }
      regmatch_t pm[10];
      std::string v(value);
      bool ok = regexec(re, v.c_str(), 10, pm, 0) == 0;
      if (ok) {
        match_vars_.clear();
        for (auto& p : pm) {
          if (p.rm_so < 0) match_vars_.emplace_back();
          else match_vars_.push_back(v.substr(static_cast<std::size_t>(p.rm_so), static_cast<std::size_t>(p.rm_eo - p.rm_so)));
        }
      }
      if (own) regfree(&tmp);
      return ok;
    }
  }
  return false;
}

bool interpreter::match_values(const node& t, const std::vector<std::string>& values, const argument& keys) {
  if (t.m.type == match_type::count) {
    // RFC 5231 §4.2: the number of values, compared as a decimal string.
    std::string count = std::to_string(values.size());
    for (auto& k : keys.strings)
      if (relational(t.m.rel, compare(t.m.cmp, count, expand(k)))) return true;
    return false;
  }
  std::vector<std::string> ks;
  ks.reserve(keys.strings.size());
  for (auto& k : keys.strings) ks.push_back(expand(k));
  for (auto& v : values)
    for (std::size_t i = 0; i < ks.size(); ++i)
      if (match_one(t, v, ks[i], i < t.regex_ids.size() ? t.regex_ids[i] : -1)) return true;
  return false;
}

std::vector<std::string> interpreter::address_parts(std::string_view addr, const match_spec& m) {
  auto at = addr.rfind('@');
  std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? std::string_view{} : addr.substr(at + 1);
  switch (m.part) {
    case address_part::all: return {std::string(addr)};
    case address_part::localpart: return {std::string(local)};
    case address_part::domain: return {std::string(domain)};
    case address_part::user: {
      // RFC 5233 §4: the separator is "+".
      auto plus = local.find('+');
      return {std::string(local.substr(0, plus))};
    }
    case address_part::detail: {
      auto plus = local.find('+');
      if (plus == std::string_view::npos) return {};  // no detail: the test fails
      return {std::string(local.substr(plus + 1))};
    }
  }
  return {};
}

namespace {
// :index (RFC 5260 §6) picks one field of those named, from the top or with :last the bottom.
template <class T>
std::vector<T> pick(const std::vector<T>& all, const match_spec& m) {
  if (!m.index) return all;
  std::size_t k = static_cast<std::size_t>(m.index);
  if (k > all.size()) return {};
  return {m.last ? all[all.size() - k] : all[k - 1]};
}
}  // namespace

bool interpreter::t_header_test(const node& t) {
  std::vector<std::string> values;
  for (auto& h : t.positional[0].strings) {
    if (!h.vars && !t.m.index) {
      auto& v = decoded_values(h.text);
      values.insert(values.end(), v.begin(), v.end());
    } else {
      for (auto& v : pick(decoded_values(expand(h)), t.m)) values.push_back(v);
    }
  }
  if (values.empty() && t.m.type != match_type::count) return false;
  return match_values(t, values, t.positional[1]);
}

bool interpreter::t_address_test(const node& t) {
  std::vector<std::string> values;
  for (auto& h : t.positional[0].strings) {
    for (auto& joined : pick(addresses(h.vars ? expand(h) : h.text), t.m)) {
      std::string_view rest = joined;
      while (!rest.empty()) {
        auto nul = rest.find('\0');
        std::string_view a = rest.substr(0, nul);
        for (auto& p : address_parts(a, t.m)) values.push_back(std::move(p));
        if (nul == std::string_view::npos) break;
        rest.remove_prefix(nul + 1);
      }
    }
  }
  if (values.empty() && t.m.type != match_type::count) return false;
  return match_values(t, values, t.positional[1]);
}

bool interpreter::t_envelope_test(const node& t) {
  std::vector<std::string> values;
  for (auto& part : expand_list(t.positional[0])) {
    std::string p = lower(part);
    std::string v;
    if (p == "from") v = env_.envelope_from;
    else if (p == "to") v = env_.envelope_to;
    else if (p == "auth") v = env_.auth_user;
    else continue;
    // RFC 5228 §5.4: the null reverse-path is the empty string, and has no local part or domain.
    if (v.empty()) {
      if (t.m.part == address_part::all) values.emplace_back();
      continue;
    }
    for (auto& x : address_parts(v, t.m)) values.push_back(std::move(x));
  }
  if (values.empty() && t.m.type != match_type::count) return false;
  return match_values(t, values, t.positional[1]);
}

namespace {
void collect_text(const body_part& p, std::string_view msg, const std::vector<std::string>* types, bool raw_types,
                  std::vector<std::string>& out, unsigned depth) {
  (void)raw_types;
  if (depth > 20 || out.size() > 500) return;
  if (p.type.is_multipart()) {
    for (auto& c : p.children) collect_text(c, msg, types, raw_types, out, depth + 1);
    return;
  }
  if (p.type.is_message() && !p.children.empty()) {
    for (auto& c : p.children) collect_text(c, msg, types, raw_types, out, depth + 1);
    return;
  }
  bool want = false;
  if (!types) {
    want = p.type.type == "text";
  } else {
    for (auto& ty : *types) {
      std::string l = lower(ty);
      auto slash = l.find('/');
      if (l.empty()) want = true;
      else if (slash == std::string::npos) want = want || p.type.type == l;
      else want = want || (p.type.type == l.substr(0, slash) && p.type.subtype == l.substr(slash + 1));
    }
  }
  if (!want) return;
  std::string_view body = msg.substr(p.body_begin, p.body_end - p.body_begin);
  std::string bytes = decode_transfer_encoding(body, p.encoding);
  std::string charset = p.type.params.get("charset", "us-ascii");
  if (p.type.type == "text") {
    if (auto u = to_utf8(charset, bytes)) bytes = std::move(*u);
  }
  out.push_back(std::move(bytes));
}
}  // namespace

bool interpreter::t_body_test(const node& t) {
  std::vector<std::string> values;
  if (t.has("raw")) {
    // RFC 5173 §5.1: the undecoded body.
    values.emplace_back(body_);
  } else {
    const message_structure& s = structure();
    std::string_view src = structure_source_ && edited_ ? std::string_view(*structure_source_) : msg_;
    std::vector<std::string> types;
    if (auto* c = t.tag("content")) types = expand_list(*c);
    collect_text(s.root, src, t.has("content") ? &types : nullptr, false, values, 0);
  }
  return match_values(t, values, t.positional[0]);
}

bool interpreter::t_date_test(const node& t) {
  bool current = t.id == t_currentdate;
  std::size_t dp = current ? 0 : 1;
  std::string part = lower(expand(t.positional[dp].strings[0]));
  if (!valid_date_part(part)) return false;
  std::optional<moment> m;
  if (current) {
    m = moment{std::chrono::duration_cast<std::chrono::seconds>(env_.now.time_since_epoch()).count(),
               env_.utc_offset_minutes};
  } else {
    std::string h = expand(t.positional[0].strings[0]);
    auto raw = header_raw(h, t.m);
    if (raw.empty()) return false;
    std::string v = unfold(raw.front());
    // RFC 5260 §4: for Received the date follows the last ";".
    if (iequals(h, "received")) {
      auto semi = v.rfind(';');
      if (semi != std::string::npos) v = v.substr(semi + 1);
    }
    m = parse_date(v);
    if (!m) return false;
    if (!t.has("originalzone")) m->zone = env_.utc_offset_minutes;
  }
  if (auto* z = t.tag("zone")) {
    auto zone = parse_zone(expand(z->strings[0]));
    if (!zone) return false;
    m->zone = *zone;
  }
  std::vector<std::string> values{date_part(*m, part)};
  return match_values(t, values, t.positional[dp + 1]);
}

bool interpreter::t_duplicate_test(const node& t) {
  // RFC 7352 §3: the default unique id is the Message-ID.
  std::string id;
  if (auto* u = t.tag("uniqueid")) {
    id = expand(u->strings[0]);
  } else {
    std::string h = t.has("header") ? expand(t.tag("header")->strings[0]) : "message-id";
    auto raw = header_raw(h, {});
    if (raw.empty()) return false;
    id = unfold(raw.front());
  }
  std::string key = (t.has("handle") ? expand(t.tag("handle")->strings[0]) : std::string()) + "\x1f" + id;
  bool seen = env_.duplicate_seen && env_.duplicate_seen(key);
  std::int64_t secs = 7 * 86400;
  if (auto* s = t.tag("seconds")) secs = static_cast<std::int64_t>(std::min<std::uint64_t>(s->number, 366 * 86400));
  // :last refreshes the period on every message; otherwise only the first sighting counts.
  if (!seen || t.has("last")) {
    bool already = std::any_of(out_.duplicates.begin(), out_.duplicates.end(), [&](auto& d) { return d.key == key; });
    if (!already) out_.duplicates.push_back({key, std::chrono::seconds(secs)});
  }
  return seen;
}

bool interpreter::t_spam_test(const node& t) {
  std::string v;
  if (t.id == t_virustest) {
    v = std::to_string(std::clamp(env_.virus_score, 0, 5));
  } else if (t.has("percent")) {
    int p = env_.spam_percent ? *env_.spam_percent
                              : (env_.spam_score <= 0 ? 0 : (std::clamp(env_.spam_score, 1, 10) - 1) * 100 / 9);
    v = std::to_string(std::clamp(p, 0, 100));
  } else {
    v = std::to_string(std::clamp(env_.spam_score, 0, 10));
  }
  return match_values(t, {v}, t.positional[0]);
}

bool interpreter::test(const node& t) {
  step(t);
  switch (t.id) {
    case t_true: return true;
    case t_false: return false;
    case t_not: return !test(t.tests.front());
    case t_allof:
      for (auto& c : t.tests)
        if (!test(c)) return false;
      return true;
    case t_anyof:
      for (auto& c : t.tests)
        if (test(c)) return true;
      return false;
    case t_header: return t_header_test(t);
    case t_address: return t_address_test(t);
    case t_envelope: return t_envelope_test(t);
    case t_exists:
      for (auto& h : expand_list(t.positional[0]))
        if (header_raw(h, {}).empty()) return false;
      return true;
    case t_size: {
      std::uint64_t size = msg_.size();
      std::uint64_t limit = t.positional[0].number;
      return t.has("over") ? size > limit : size < limit;
    }
    case t_body: return t_body_test(t);
    case t_string: {
      std::vector<std::string> values = expand_list(t.positional[0]);
      if (t.m.type == match_type::count)
        values.erase(std::remove(values.begin(), values.end(), std::string()), values.end());
      return match_values(t, values, t.positional[1]);
    }
    case t_hasflag: {
      std::vector<std::string> flags;
      if (t.positional.size() == 2) {
        std::vector<std::string> lists;
        for (auto& s : t.positional[0].strings) lists.push_back(get_var(lower(s.text)));
        flags = split_flags(lists);
      } else {
        flags = current_flags();
      }
      return match_values(t, flags, t.positional.back());
    }
    case t_date:
    case t_currentdate: return t_date_test(t);
    case t_mailboxexists:
      for (auto& m : expand_list(t.positional[0]))
        if (!env_.mailbox_exists || !env_.mailbox_exists(m)) return false;
      return true;
    case t_spamtest:
    case t_virustest: return t_spam_test(t);
    case t_duplicate: return t_duplicate_test(t);
    case t_environment: {
      std::string name = lower(expand(t.positional[0].strings[0]));
      std::string v;
      if (auto it = env_.items.find(name); it != env_.items.end()) v = it->second;
      else if (name == "name") v = "Hearth";
      else if (name == "location") v = "MDA";
      else if (name == "phase") v = "during";
      else if (name == "version") v = "1.0";
      else return false;
      return match_values(t, {v}, t.positional[1]);
    }
    case t_specialuse_exists: {
      std::string mailbox = t.positional.size() == 2 ? expand(t.positional[0].strings[0]) : std::string();
      for (auto& use : expand_list(t.positional.back()))
        if (!env_.mailbox_has_special_use || !env_.mailbox_has_special_use(mailbox, use)) return false;
      return true;
    }
    case t_valid_notify_method: {
      std::string why;
      for (auto& u : expand_list(t.positional[0]))
        if (!valid_notify_uri(u, why)) return false;
      return true;
    }
    case t_notify_method_capability: {
      std::string uri = expand(t.positional[0].strings[0]);
      std::string cap = lower(expand(t.positional[1].strings[0]));
      std::string why;
      if (!valid_notify_uri(uri, why)) return false;
      // RFC 5435 §5: "online" is the only capability defined; we cannot know, so "maybe".
      if (cap != "online") return false;
      return match_values(t, {"maybe"}, t.positional[2]);
    }
    default:
      return false;
  }
}

}  // namespace hearth::mail::sieve::detail
