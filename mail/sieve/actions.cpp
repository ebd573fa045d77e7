// The actions that answer or notify (vacation, enotify) and the header edits (editheader):
// the parts of the interpreter with the most rules of their own.
#include "mail/message/address.hpp"
#include "mail/message/header.hpp"
#include "mail/sieve/interp.hpp"
#include "mail/sieve/strings.hpp"

#include <algorithm>

namespace hearth::mail::sieve::detail {

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

}  // namespace hearth::mail::sieve::detail
