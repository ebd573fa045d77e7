#include "app/mail_import.hpp"

#include "core/blob/store.hpp"
#include "core/crypto/crypto.hpp"
#include "mail/message/header.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {

std::string mail_importer::crlf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 40);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) out += '\r';
    out += bytes[i];
  }
  return out;
}

std::string mail_importer::identity(std::string_view bytes) {
  auto h = mail::parse_header(bytes);
  const auto* mid = h.find("Message-ID");
  std::string id = mid ? mail::unfold(mid->value) : "";
  if (id.empty()) return "bytes " + crypto::hex_encode(crypto::sha256(bytes));
  return "mid " + id + " " + crypto::hex_encode(crypto::sha256(bytes.substr(std::min(h.end, bytes.size()))));
}

std::set<std::string> mail_importer::mailboxes_used() const {
  std::set<std::string> out;
  for (const auto& [name, _] : known_) out.insert(name);
  return out;
}

result<void> mail_importer::ensure_mailbox(const std::string& mailbox) {
  if (store_.status(account_, mailbox)) return {};
  // Parents first: the store does not make them (RFC 9051 §6.3.4 leaves that to the server;
  // clients expect them to be listed).
  std::size_t pos = 0;
  while (true) {
    auto sl = mailbox.find('/', pos);
    std::string prefix = mailbox.substr(0, sl);
    if (!store_.status(account_, prefix)) {
      auto c = store_.create(account_, prefix);
      if (!c && c.error().code != "mail.exists") return c.error();
    }
    if (sl == std::string::npos) break;
    pos = sl + 1;
  }
  return {};
}

result<std::set<std::string>*> mail_importer::known(const std::string& mailbox) {
  if (auto it = known_.find(mailbox); it != known_.end()) return &it->second;
  if (auto e = ensure_mailbox(mailbox); !e) return e.error();
  auto msgs = store_.fetch(account_, mailbox, {{1, mail::uid_max}});
  if (!msgs) return msgs.error();
  std::set<std::string> ids;
  for (const auto& m : *msgs) {
    auto it = blob_identity_.find(m.blob_id);
    if (it == blob_identity_.end()) {
      auto bytes = blobs_.get(m.blob_id);
      if (!bytes) continue;  // unreadable: it cannot match anything we compare
      it = blob_identity_.emplace(m.blob_id, identity(*bytes)).first;
    }
    ids.insert(it->second);
  }
  return &known_.emplace(mailbox, std::move(ids)).first->second;
}

result<mail_importer::outcome> mail_importer::add(std::string_view mailbox, std::string_view bytes,
                                                  const std::vector<std::string>& flags,
                                                  std::optional<std::int64_t> internal_date) {
  auto name = mail::canonical_mailbox_name(mailbox);
  if (!name) return fail("mail.invalid", "not a valid mailbox name: " + std::string(mailbox.substr(0, 200)));
  auto set = known(*name);
  if (!set) return set.error();
  auto id = identity(bytes);
  if ((*set)->count(id)) {
    ++duplicates_;
    return outcome::duplicate;
  }
  std::vector<std::string> good;
  for (const auto& f : flags) {
    if (auto c = mail::canonical_flag(f))
      good.push_back(*c);
    else
      ++dropped_flags_;
  }
  // The blob once, then a row per copy; a retry covers an expunge that removed the very same
  // bytes between the two (mail/store/store.hpp, append_blob).
  for (int attempt = 0;; ++attempt) {
    auto blob = blobs_.put(bytes);
    if (!blob) return blob.error();
    auto r = store_.append_blob(account_, *name, *blob, good, internal_date);
    if (r) {
      blob_identity_.emplace(*blob, id);
      break;
    }
    if (r.error().code != "mail.no_blob" || attempt >= 2) return r.error();
  }
  (*set)->insert(id);
  ++stored_;
  return outcome::stored;
}

}  // namespace hearth::app
