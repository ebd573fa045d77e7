#include "mail/imap/server/search.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include "core/util/strings.hpp"
#include "mail/imap/server/objectid.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/imap/server/view.hpp"
#include "mail/imap/server/private_seen.hpp"
#include "mail/message/casefold.hpp"
#include "mail/message/encoding.hpp"

namespace hearth::mail::imap {

std::int64_t to_unix(const date_time& t);  // cmd_append.cpp

std::string fold_case(std::string_view s) { return fold_utf8(s); }

bool search_charset_ok(const std::optional<std::string>& cs) {
  return !cs || util::iequals(*cs, "UTF-8") || util::iequals(*cs, "US-ASCII") || known_charset(*cs);
}

namespace {

// RFC 9051 §6.4.4: the search strings are in the command's charset; matching is in UTF-8.
void key_to_utf8(search_key& k, const std::string& charset) {
  static const std::set<std::string_view> text_keys{"FROM", "TO", "CC", "BCC", "SUBJECT", "BODY", "TEXT", "HEADER"};
  if (text_keys.count(k.name)) {
    // HEADER's field name is ASCII; its value (text2) and every other key's string convert.
    if (k.name == "HEADER") k.text2 = to_utf8(charset, k.text2).value_or(k.text2);
    else k.text = to_utf8(charset, k.text).value_or(k.text);
  }
  for (auto& c : k.children) key_to_utf8(c, charset);
}

}  // namespace

std::string decoded_field(const header_section& h, std::string_view name) {
  std::string out;
  for (const auto* f : h.find_all(name)) {
    if (!out.empty()) out += ' ';
    out += decode_encoded_words(unfold(f->value)).text;
  }
  return out;
}

std::optional<std::int64_t> parse_mail_date(std::string_view s, int* zone_minutes) {
  static const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string t = util::to_lower(s);
  if (auto c = t.find(','); c != std::string::npos) t = t.substr(c + 1);
  std::vector<std::string> w;
  std::string cur;
  for (char c : t) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!cur.empty()) w.push_back(cur), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) w.push_back(cur);
  if (w.size() < 4) return std::nullopt;
  date_time dt;
  try {
    dt.day.day = std::stoi(w[0]);
    int mon = -1;
    for (int i = 0; i < 12; ++i)
      if (w[1].starts_with(months[i])) mon = i + 1;
    if (mon < 0) return std::nullopt;
    dt.day.month = mon;
    dt.day.year = std::stoi(w[2]);
    if (dt.day.year < 50) dt.day.year += 2000;
    else if (dt.day.year < 1000) dt.day.year += 1900;
    auto hms = util::split(w[3], ':');
    if (hms.size() < 2) return std::nullopt;
    dt.hour = std::stoi(std::string(hms[0]));
    dt.minute = std::stoi(std::string(hms[1]));
    if (hms.size() > 2) dt.second = std::stoi(std::string(hms[2]));
    if (w.size() > 4 && (w[4][0] == '+' || w[4][0] == '-') && w[4].size() == 5) {
      int z = std::stoi(w[4].substr(1));
      dt.zone_minutes = (z / 100 * 60 + z % 100) * (w[4][0] == '-' ? -1 : 1);
    } else if (w.size() > 4) {
      // RFC 5322 §4.3 obs-zone: the US zone names; military letters and others mean +0000.
      static const std::pair<std::string_view, int> names[] = {{"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
                                                               {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};
      for (const auto& [name, hours] : names)
        if (w[4] == name) dt.zone_minutes = hours * 60;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (dt.day.day < 1 || dt.day.day > 31 || dt.hour > 23 || dt.minute > 59 || dt.second > 60) return std::nullopt;
  if (zone_minutes) *zone_minutes = dt.zone_minutes;
  return to_unix(dt);
}

std::string base_subject(std::string_view subj, bool* reply_or_fwd) {
  bool reply = false;
  std::string s(subj);
  for (auto& c : s)
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
  // RFC 5256 §2.1 (1): collapse whitespace
  std::string t;
  for (char c : s)
    if (!(c == ' ' && (t.empty() || t.back() == ' '))) t += c;
  for (;;) {
    // (2): trailers "(fwd)" and whitespace
    bool trailer = true;
    while (trailer) {
      trailer = false;
      while (!t.empty() && t.back() == ' ') t.pop_back();
      if (t.size() >= 5 && util::iequals(std::string_view(t).substr(t.size() - 5), "(fwd)")) {
        t.resize(t.size() - 5);
        reply = trailer = true;
      }
    }
    // (3)-(5): leaders "re:", "fw:", "fwd:" (with an optional [blob] before the colon) and
    // "[blob]" (unless the rest would be empty)
    bool changed = true;
    while (changed) {
      changed = false;
      std::size_t i = 0;
      while (i < t.size() && t[i] == ' ') ++i;
      if (i) {
        t.erase(0, i);
        changed = true;
      }
      for (std::string_view p : {"re", "fwd", "fw"}) {
        if (t.size() < p.size() || !util::iequals(std::string_view(t).substr(0, p.size()), p)) continue;
        std::size_t j = p.size();
        while (j < t.size() && t[j] == ' ') ++j;
        if (j < t.size() && t[j] == '[') {
          auto e = t.find(']', j);
          if (e == std::string::npos) continue;
          j = e + 1;
          while (j < t.size() && t[j] == ' ') ++j;
        }
        if (j < t.size() && t[j] == ':') {
          t.erase(0, j + 1);
          reply = changed = true;
          break;
        }
      }
      if (!changed && !t.empty() && t[0] == '[') {
        auto e = t.find(']');
        if (e != std::string::npos && t.find_first_not_of(' ', e + 1) != std::string::npos) {
          t.erase(0, e + 1);
          changed = true;
        }
      }
    }
    // (6): "[fwd:" ... "]" wrapper
    if (t.size() >= 6 && util::iequals(std::string_view(t).substr(0, 5), "[fwd:") && t.back() == ']') {
      t = t.substr(5, t.size() - 6);
      reply = true;
      continue;
    }
    break;
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (reply_or_fwd) *reply_or_fwd = reply;
  return fold_case(t);
}

namespace {

struct candidate {
  const mail::message_info* info;
  std::uint32_t seq;
  std::shared_ptr<parsed_message> pm;  // loaded on first need
  std::shared_ptr<parsed_message> hm;  // the header section only (summary.hpp)
  std::shared_ptr<const message_summary> sum;
  std::string body_text;               // decoded, folded; filled on first need
  bool body_done = false;
};

void collect_text(const body_part& p, std::string_view bytes, std::string& out) {
  if (p.type.is_multipart()) {
    for (const auto& c : p.children) collect_text(c, bytes, out);
    return;
  }
  if (p.type.is_message() && p.children.size() == 1) {
    const auto& inner = p.children[0];
    for (const auto& f : inner.header.fields)
      if (f.valid) out += std::string(f.name) + ": " + decode_encoded_words(unfold(f.value)).text + "\n";
    collect_text(inner, bytes, out);
    return;
  }
  if (p.type.type != "text") return;
  auto raw = bytes.substr(p.body_begin, p.body_end - p.body_begin);
  std::string decoded = decode_transfer_encoding(raw, p.encoding);
  auto cs = p.type.params.get("charset", "us-ascii");
  if (auto u = to_utf8(cs, decoded)) out += *u;
  else out += decoded;
  out += '\n';
}

class evaluator {
 public:
  evaluator(session_state& st) : st_(st) {}

  result<bool> eval(const search_key& k, candidate& c) {
    const auto& n = k.name;
    // The header field keys first: a SEARCH SUBJECT of a big mailbox comes here once per
    // message, and the chain below compares the name with some forty others.
    if (const int f = field_of(k); f >= 0) {
      if (!c.sum) {
        auto sums = load_summaries(st_, std::span(c.info, 1));
        if (!sums) return sums.error();
        c.sum = sums->at(0);
      }
      const std::string& text = c.sum->search_text[f];
      // An empty string matches every message that has the field (RFC 9051 §6.4.4).
      if (k.text.empty()) return !text.empty();
      return text.find(folded(k)) != std::string::npos;
    }
    const auto& flags = c.info->flags;
    auto has_flag = [&](std::string_view f) {
      for (const auto& x : flags)
        if (util::iequals(x, f)) return true;
      return false;
    };
    if (n == "AND") {
      for (const auto& ch : k.children) {
        auto v = eval(ch, c);
        if (!v) return v;
        if (!*v) return false;
      }
      return true;
    }
    if (n == "OR") {
      for (const auto& ch : k.children) {
        auto v = eval(ch, c);
        if (!v) return v;
        if (*v) return true;
      }
      return false;
    }
    if (n == "NOT") {
      auto v = eval(k.children.at(0), c);
      if (!v) return v;
      return !*v;
    }
    if (n == "ALL") return true;
    // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT (always false / true for an
    // IMAP4rev2 session, which gets no message as recent).
    if (n == "RECENT") return st_.sel->is_recent(c.info->uid);
    if (n == "NEW") return st_.sel->is_recent(c.info->uid) && !has_flag("\\Seen");
    if (n == "OLD") return !st_.sel->is_recent(c.info->uid);
    if (n == "ANSWERED") return has_flag("\\Answered");
    if (n == "UNANSWERED") return !has_flag("\\Answered");
    if (n == "DELETED") return has_flag("\\Deleted");
    if (n == "UNDELETED") return !has_flag("\\Deleted");
    if (n == "FLAGGED") return has_flag("\\Flagged");
    if (n == "UNFLAGGED") return !has_flag("\\Flagged");
    if (n == "SEEN") return has_flag("\\Seen");
    if (n == "UNSEEN") return !has_flag("\\Seen");
    if (n == "DRAFT") return has_flag("\\Draft");
    if (n == "UNDRAFT") return !has_flag("\\Draft");
    if (n == "KEYWORD") return has_flag(k.text);
    if (n == "UNKEYWORD") return !has_flag(k.text);
    if (n == "LARGER") return c.info->size > k.number;
    if (n == "SMALLER") return c.info->size < k.number;
    if (n == "MODSEQ") return c.info->modseq >= k.number;
    if (n == "OLDER") return c.info->internal_date <= std::time(nullptr) - std::int64_t(k.number);
    if (n == "YOUNGER") return c.info->internal_date >= std::time(nullptr) - std::int64_t(k.number);
    // RFC 8514 §4.3: every mailbox here records save dates, so SAVEDATESUPPORTED matches all.
    if (n == "SAVEDATESUPPORTED") return true;
    if (n == "SAVEDBEFORE" || n == "SAVEDON" || n == "SAVEDSINCE") {
      // Like BEFORE/ON/SINCE on the UTC day; a message without a save date (stored before the
      // store kept them) matches none of them rather than falling back to the internal date.
      if (!c.info->save_date) return false;
      return compare_day(day_of(*c.info->save_date), k, n.substr(5));
    }
    if (n == "EMAILID") return email_id(c.info->blob_id) == k.text;  // RFC 8474 §6: exact match
    if (n == "THREADID") return false;  // no message has a THREADID here (FETCH says NIL)
    if (n == "UID" || n == "SEQSET") {
      auto& set = n == "UID" ? uid_sets_[&k] : seq_sets_[&k];
      if (!set) set = resolve(*st_.sel, k.set, n == "UID");
      return std::binary_search(set->begin(), set->end(), c.info->uid);
    }
    if (n == "BEFORE" || n == "ON" || n == "SINCE") {
      // RFC 9051 §6.4.4: internal date, disregarding time and timezone. The store keeps it in
      // UTC and FETCH INTERNALDATE shows it as +0000, so its day is the UTC day.
      return compare_day(day_of(c.info->internal_date), k, n);
    }
    // Header keys need only the stored summary; BODY and TEXT the whole message.
    if (!c.sum) {
      auto sums = load_summaries(st_, std::span(c.info, 1));
      if (!sums) return sums.error();
      c.sum = sums->at(0);
    }
    if (n == "SENTBEFORE" || n == "SENTON" || n == "SENTSINCE") {
      if (!c.sum->sent) return false;
      // RFC 3501 §6.4.4: the Date header's date "disregarding time and timezone": the day as
      // written in the field, i.e. in the field's own zone, not the UTC day.
      return compare_day(day_of(*c.sum->sent + std::int64_t(c.sum->sent_zone) * 60), k, n.substr(4));
    }
    if (!c.hm && !c.pm) c.hm = header_only(*c.sum);
    const auto& h = (c.pm ? c.pm : c.hm)->structure.root.header;
    if (n == "HEADER") {
      if (k.text2.empty()) return h.find(k.text) != nullptr;
      return header_matches(h, k.text, k.text2);
    }
    if (n == "BODY" || n == "TEXT") {
      if (!c.pm) {
        auto pm = load_message(st_, *c.info);
        if (!pm) return pm.error();
        c.pm = *pm;
      }
      std::string needle = fold_case(k.text);
      if (n == "TEXT") {
        for (const auto& f : h.fields) {
          if (!f.valid) continue;
          if (fold_case(decode_encoded_words(unfold(f.value)).text).find(needle) != std::string::npos) return true;
          if (fold_case(f.raw).find(needle) != std::string::npos) return true;
        }
      }
      if (!c.body_done) {
        std::string text;
        collect_text(c.pm->structure.root, *c.pm->bytes, text);
        c.body_text = fold_case(text);
        c.body_done = true;
      }
      return c.body_text.find(needle) != std::string::npos;
    }
    return false;
  }

 private:
  // Midnight (Unix seconds) of the day holding `t`; floor division, so dates before 1970 work.
  static std::int64_t day_of(std::int64_t t) { return (t >= 0 ? t / 86400 : (t - 86399) / 86400) * 86400; }
  static bool compare_day(std::int64_t day, const search_key& k, std::string_view n) {
    std::int64_t want = to_unix(date_time{k.on, 0, 0, 0, 0});
    if (n == "BEFORE") return day < want;
    if (n == "ON") return day == want;
    return day >= want;  // SINCE
  }
  static bool header_matches(const header_section& h, std::string_view name, std::string_view text) {
    std::string needle = fold_case(text);
    for (const auto* f : h.find_all(name)) {
      if (fold_case(decode_encoded_words(unfold(f->value)).text).find(needle) != std::string::npos) return true;
      if (fold_case(unfold(f->value)).find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // What eval needs of a key on every message, worked out on its first: which of
  // message_summary::search_text it reads (-1: none) and its text case-folded.
  struct prepared {
    int field = -1;
    std::string folded;
  };
  const prepared& prepare(const search_key& k) {
    auto [it, added] = prepared_.try_emplace(&k);
    if (added) {
      it->second.field = message_summary::field_index(k.name);
      it->second.folded = fold_case(k.text);
    }
    return it->second;
  }
  int field_of(const search_key& k) { return prepare(k).field; }
  const std::string& folded(const search_key& k) { return prepare(k).folded; }

  session_state& st_;
  std::map<const search_key*, std::optional<std::vector<std::uint32_t>>> uid_sets_, seq_sets_;
  std::map<const search_key*, prepared> prepared_;
};

// HEADER and TEXT need the header section itself; the other header keys only the search fields.
bool reads_header_section(const search_key& k) {
  if (k.name == "HEADER" || k.name == "TEXT") return true;
  for (const auto& c : k.children)
    if (reads_header_section(c)) return true;
  return false;
}

bool reads_header(const search_key& k) {
  static const std::set<std::string_view> names{"SUBJECT", "FROM", "TO", "CC", "BCC", "HEADER",
                                                "SENTBEFORE", "SENTON", "SENTSINCE"};
  if (names.count(k.name)) return true;
  for (const auto& c : k.children)
    if (reads_header(c)) return true;
  return false;
}

// Keys the evaluator answers from uid, modseq and flags alone (store::fetch_flags).
bool flags_only_name(std::string_view name) {
  static const std::set<std::string_view> names{
      "AND",     "OR",        "NOT",     "ALL",       "OLD",     "NEW",       "RECENT",  "ANSWERED",
      "UNANSWERED", "DELETED", "UNDELETED", "FLAGGED", "UNFLAGGED", "SEEN",    "UNSEEN",  "DRAFT",
      "UNDRAFT", "KEYWORD",   "UNKEYWORD", "MODSEQ", "UID",       "SEQSET"};
  return names.count(name) != 0;
}

bool flags_only(const search_key& k) {
  if (!flags_only_name(k.name)) return false;
  for (const auto& c : k.children)
    if (!flags_only(c)) return false;
  return true;
}

// Keys answered from uid, modseq, flags and the cached search fields of the message's blob
// (From, To, Cc, Bcc, Subject and the sent date: summary.hpp's lean entries).
bool search_fields_only(const search_key& k) {
  static const std::set<std::string_view> fields{"SUBJECT", "FROM", "TO", "CC", "BCC",
                                                 "SENTBEFORE", "SENTON", "SENTSINCE"};
  if (!fields.count(k.name) && !flags_only_name(k.name)) return false;
  for (const auto& c : k.children)
    if (!search_fields_only(c)) return false;
  return true;
}

}  // namespace

bool searches_index_only(const search_key& key) { return search_fields_only(key); }

result<std::vector<search_hit>> run_search(session_state& st, const search_key& given,
                                           const std::optional<std::string>& charset, bool full_info,
                                           progress_meter* progress) {
  std::optional<search_key> converted;
  if (charset && !util::iequals(*charset, "UTF-8") && !util::iequals(*charset, "US-ASCII")) {
    converted = given;
    key_to_utf8(*converted, *charset);
  }
  const search_key& key = converted ? *converted : given;
  auto& sel = *st.sel;
  std::vector<search_hit> out;
  if (sel.uids.empty()) return out;
  // Flags alone, and the header fields cached by blob (search_cache): the flag index, plus the
  // blob ids the cache knows, instead of every row of the mailbox.
  const bool by_blob = !full_info && st.env->searches && search_fields_only(key);
  auto msgs = !full_info && (by_blob || flags_only(key)) ? fetch_flags_as_user(st, sel.owner, sel.name)
                                                         : fetch_as_user(st, sel.owner, sel.name, to_uid_set(sel.uids));
  if (!msgs) return msgs.error();
  if (by_blob && !flags_only(key)) {
    auto& cache = *st.env->searches;
    auto missing = cache.fill_blob_ids(sel.owner, sel.name, sel.uidvalidity, *msgs);
    if (!missing.empty()) {
      auto rows = fetch_as_user(st, sel.owner, sel.name, to_uid_set(missing));
      if (!rows) return rows.error();
      cache.put_blob_ids(sel.owner, sel.name, sel.uidvalidity, *rows);
      // A uid the flag index listed but the rows did not (expunged in between) keeps no blob:
      // it is dropped here rather than searched without one.
      cache.fill_blob_ids(sel.owner, sel.name, sel.uidvalidity, *msgs);
      std::erase_if(*msgs, [](const mail::message_info& m) { return m.blob_id.empty(); });
    }
  }
  // Header keys read every message's summary: fetched a chunk at a time (fewer store calls,
  // bounded memory).
  constexpr std::size_t chunk = 256;
  const bool headers = reads_header(key);
  const bool search_only = headers && !reads_header_section(key);
  std::vector<std::shared_ptr<const message_summary>> sums;
  evaluator ev(st);
  for (std::size_t i = 0; i < msgs->size(); ++i) {
    auto& m = (*msgs)[i];
    if (progress) progress->step(i);
    if (headers && i % chunk == 0) {
      const auto part = std::span<const mail::message_info>(*msgs).subspan(i, std::min(chunk, msgs->size() - i));
      auto loaded = load_summaries(st, part, search_only);
      if (!loaded) return loaded.error();
      sums = std::move(*loaded);
    }
    auto seq = seq_of(sel, m.uid);
    if (!seq) continue;
    candidate c{&m, seq, nullptr, nullptr, headers ? sums[i % chunk] : nullptr, {}, false};
    auto v = ev.eval(key, c);
    if (!v) return v.error();
    if (*v) out.push_back({std::move(m), seq});  // the row is not looked at again
  }
  return out;
}

}  // namespace hearth::mail::imap
