#include "mail/imap/server/summary.hpp"

#include "core/sql/write_guard.hpp"

#include "mail/imap/server/fetch_body.hpp"
#include "mail/imap/server/search.hpp"
#include "mail/message/address.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/mime_stream.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {
namespace {

constexpr char summary_version = 3;
constexpr std::size_t fields = 12;
constexpr std::string_view search_names[5] = {"Subject", "From", "To", "Cc", "Bcc"};
constexpr std::string_view search_keys[5] = {"SUBJECT", "FROM", "TO", "CC", "BCC"};

void put_field(std::string& out, std::string_view s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += s;
}

std::optional<std::string> get_field(std::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(4);
  if (in.size() < n) return std::nullopt;
  std::string out(in.substr(0, n));
  in.remove_prefix(n);
  return out;
}

}  // namespace

int message_summary::field_index(std::string_view key) {
  for (int i = 0; i < 5; ++i)
    if (key == search_keys[i]) return i;
  return -1;
}

const std::string* message_summary::search_field(std::string_view key) const {
  const int i = field_index(key);
  return i < 0 ? nullptr : &search_text[i];
}

message_summary summarize(const parsed_message& m) {
  const auto& root = m.structure.root;
  return summarize(m.structure, std::string_view(*m.bytes).substr(root.header_begin, root.body_begin - root.header_begin));
}

message_summary summarize(const message_structure& m, std::string_view header) {
  message_summary s;
  const auto& root = m.root;
  s.header = std::string(header);
  for (int ext = 0; ext < 2; ++ext) {
    s.body[ext][0] = body_structure(root, ext == 1, false);
    auto u = body_structure(root, ext == 1, true);
    if (u != s.body[ext][0]) s.body[ext][1] = std::move(u);
  }
  for (std::size_t i = 0; i < 5; ++i) {
    for (const auto* f : root.header.find_all(search_names[i])) {
      const std::string raw = unfold(f->value);
      s.search_text[i] += fold_case(decode_encoded_words(raw).text);
      s.search_text[i] += '\0';
      s.search_text[i] += fold_case(raw);
      s.search_text[i] += '\0';
      if (i == 0) continue;
      // The display names as ENVELOPE shows them, so that FROM/TO/CC/BCC match a name taken
      // from a comment ("user@domain (=?utf-8?q?J=C3=B6rg?=)") however it is encoded.
      for (const auto& a : parse_address_list(raw).mailboxes()) {
        if (a.display_name.empty()) continue;
        s.search_text[i] += fold_case(a.display_name);
        s.search_text[i] += '\0';
      }
    }
  }
  if (const header_field* d = root.header.find("Date")) s.sent = parse_mail_date(unfold(d->value), &s.sent_zone);
  return s;
}

std::string summary_of(mail::structure_builder& shape) {
  auto built = shape.finish();
  if (!built) return {};
  return encode_summary(summarize(built->structure, built->root_header()));
}

std::string encode_summary(const message_summary& s) {
  std::string out(1, summary_version);
  put_field(out, s.header);
  for (int ext = 0; ext < 2; ++ext)
    for (int u = 0; u < 2; ++u) put_field(out, s.body[ext][u]);
  for (const auto& t : s.search_text) put_field(out, t);
  put_field(out, s.sent ? std::to_string(*s.sent) : std::string());
  put_field(out, std::to_string(s.sent_zone));
  return out;
}

std::optional<message_summary> decode_summary(std::string_view in) {
  if (in.empty() || in[0] != summary_version) return std::nullopt;
  in.remove_prefix(1);
  std::string f[fields];
  for (auto& x : f) {
    auto v = get_field(in);
    if (!v) return std::nullopt;
    x = std::move(*v);
  }
  if (!in.empty()) return std::nullopt;
  message_summary s;
  s.header = std::move(f[0]);
  s.body[0][0] = std::move(f[1]);
  s.body[0][1] = std::move(f[2]);
  s.body[1][0] = std::move(f[3]);
  s.body[1][1] = std::move(f[4]);
  for (std::size_t i = 0; i < 5; ++i) s.search_text[i] = std::move(f[5 + i]);
  if (!f[10].empty()) {
    try {
      s.sent = std::stoll(f[10]);
      s.sent_zone = std::stoi(f[11]);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return s;
}

std::shared_ptr<parsed_message> header_only(const message_summary& s) {
  auto pm = std::make_shared<parsed_message>();
  pm->bytes = std::make_shared<const std::string>(s.header);
  pm->structure = parse_message(*pm->bytes);
  return pm;
}

std::size_t search_cache::lru::cost(const std::string& id, const message_summary& s) {
  std::size_t n = 2 * id.size() + 160;  // key twice (map and list), nodes, control blocks
  n += s.header.size();
  for (const auto& b : s.body)
    for (const auto& form : b) n += form.size();
  for (const auto& t : s.search_text) n += t.size();
  return n;
}

std::shared_ptr<const message_summary> search_cache::lru::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void search_cache::lru::get(std::span<const mail::message_info> msgs,
                       std::vector<std::shared_ptr<const message_summary>>& out) {
  out.assign(msgs.size(), nullptr);
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    auto it = index_.find(msgs[i].blob_id);
    if (it == index_.end()) continue;
    order_.splice(order_.begin(), order_, it->second);
    out[i] = it->second->second;
  }
}

void search_cache::lru::put(const std::string& id, std::shared_ptr<const message_summary> s) {
  const std::size_t c = cost(id, *s);
  if (c > max_bytes_) return;  // also: a budget of 0 keeps nothing
  std::lock_guard lock(mu_);
  if (index_.count(id)) return;
  order_.emplace_front(id, std::move(s));
  index_[id] = order_.begin();
  bytes_ += c;
  while (bytes_ > max_bytes_ && !order_.empty()) {
    auto& last = order_.back();
    bytes_ -= cost(last.first, *last.second);
    index_.erase(last.first);
    order_.pop_back();
  }
}

namespace {
std::string blob_key(const std::string& owner, const std::string& mailbox, std::uint32_t uidvalidity) {
  return owner + "\n" + mailbox + "\n" + std::to_string(uidvalidity);
}
}  // namespace

std::vector<std::uint32_t> search_cache::fill_blob_ids(const std::string& owner, const std::string& mailbox,
                                                       std::uint32_t uidvalidity, std::vector<mail::message_info>& msgs) {
  std::vector<std::uint32_t> missing;
  std::lock_guard lock(blob_mu_);
  auto box = blob_ids_.find(blob_key(owner, mailbox, uidvalidity));
  for (auto& m : msgs) {
    if (box != blob_ids_.end()) {
      if (auto it = box->second.find(m.uid); it != box->second.end()) {
        m.blob_id = it->second;
        continue;
      }
    }
    missing.push_back(m.uid);
  }
  return missing;
}

void search_cache::put_blob_ids(const std::string& owner, const std::string& mailbox, std::uint32_t uidvalidity,
                                const std::vector<mail::message_info>& rows) {
  std::lock_guard lock(blob_mu_);
  if (blob_id_count_ + rows.size() > max_blob_ids) {
    blob_ids_.clear();
    blob_id_count_ = 0;
  }
  auto& box = blob_ids_[blob_key(owner, mailbox, uidvalidity)];
  for (const auto& r : rows)
    if (box.emplace(r.uid, r.blob_id).second) ++blob_id_count_;
}

result<std::vector<std::shared_ptr<const message_summary>>> load_summaries(session_state& st,
                                                                           std::span<const mail::message_info> msgs,
                                                                           bool search_only) {
  search_cache* cache = search_only ? st.env->searches : nullptr;
  if (cache) {
    std::vector<std::shared_ptr<const message_summary>> out;
    cache->get(msgs, out);
    std::vector<mail::message_info> missing;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < msgs.size(); ++i)
      if (!out[i]) missing.push_back(msgs[i]), where.push_back(i);
    if (missing.empty()) return out;
    auto loaded = load_summaries(st, missing, false);
    if (!loaded) return loaded.error();
    for (std::size_t k = 0; k < missing.size(); ++k) {
      auto lean = std::make_shared<message_summary>();
      for (std::size_t f = 0; f < 5; ++f) lean->search_text[f] = (*loaded)[k]->search_text[f];
      lean->sent = (*loaded)[k]->sent;
      lean->sent_zone = (*loaded)[k]->sent_zone;
      cache->put(missing[k].blob_id, lean);
      out[where[k]] = std::move(lean);
    }
    return out;
  }
  std::vector<std::shared_ptr<const message_summary>> out(msgs.size());
  search_cache* whole = st.env->searches;
  if (whole) whole->get_whole(msgs, out);
  std::vector<std::string> ids;  // of the messages the cache lacks
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < msgs.size(); ++i)
    if (!out[i]) ids.push_back(msgs[i].blob_id), where.push_back(i);
  if (ids.empty()) return out;
  auto stored = st.env->store->blob_meta(ids);
  if (!stored) return stored.error();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const std::size_t i = where[k];
    if (auto& data = (*stored)[k]) {
      if (auto s = decode_summary(*data)) {
        out[i] = std::make_shared<const message_summary>(std::move(*s));
        if (whole) whole->put_whole(msgs[i].blob_id, out[i]);
        continue;
      }
    }
    // Lazily, once per blob: the first FETCH/SEARCH after delivery (or after the upgrade
    // that added the table) reads and parses the blob. Not on an I/O thread (a SEARCH run
    // inline, inline.hpp): may_block() has the session run the command again on the pool.
    if (!sql::may_block()) return error("imap.would_block", "Summary not stored yet; retried on the store pool");
    auto pm = load_message(st, msgs[i]);
    if (!pm) return pm.error();
    auto s = std::make_shared<const message_summary>(summarize(**pm));
    (void)st.env->store->put_blob_meta(msgs[i].blob_id, encode_summary(*s));  // a cache: best effort
    if (whole) whole->put_whole(msgs[i].blob_id, s);
    out[i] = std::move(s);
  }
  return out;
}

}  // namespace hearth::mail::imap
