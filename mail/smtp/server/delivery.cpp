#include "mail/smtp/server/delivery.hpp"

#include <algorithm>
#include <ctime>

#include "core/crypto/crypto.hpp"
#include "directory/address.hpp"
#include "directory/directory.hpp"
#include "mail/store/known_account.hpp"
#include "mail/store/store.hpp"

namespace hearth::mail::smtp {

std::string with_trace(std::string_view from, std::string_view account, std::string_view received,
                       std::string_view message) {
  std::string out;
  out.reserve(message.size() + received.size() + from.size() + account.size() + 40);
  out += "Return-Path: <";
  out += from;
  out += ">\r\nDelivered-To: ";
  out += account;
  out += "\r\n";
  out += received;
  out += message;
  return out;
}

std::string rfc5322_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string received_field(std::string_view from_part, std::string_view by_host, std::string_view with,
                           std::string_view tls, std::string_view id, std::string_view for_rcpt) {
  // Each clause on its own folded line keeps every line far below 998 octets (RFC 5322 §2.1.1).
  std::string f = "Received:";
  if (!from_part.empty()) {
    f += " from ";
    f += from_part;
    f += "\r\n\t";
  } else {
    f += " ";
  }
  f += "by ";
  f += by_host;
  f += " (Hearth) with ";
  f += with;
  if (!tls.empty()) {
    f += "\r\n\t(";
    f += tls;
    f += ")";
  }
  f += "\r\n\tid ";
  f += id;
  if (!for_rcpt.empty()) {
    f += "\r\n\tfor <";
    f += for_rcpt;
    f += ">";
  }
  f += ";\r\n\t";
  f += rfc5322_now();
  f += "\r\n";
  return f;
}

std::string new_id() {
  static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const std::string r = crypto::random_bytes(12);
  std::string id;
  for (unsigned char c : r) id += alphabet[c % 36];
  return id;
}

result<local_result> deliver_local(directory::directory& dir, mail::store& store, std::string_view from,
                                   std::string_view rcpt, std::string_view received, std::string_view message,
                                   std::string_view folder, const copy_hook* hook, bool single_rcpt,
                                   std::string_view auth_user, const large_message* large) {
  local_result out;
  const auto targets = dir.resolve(rcpt);
  if (targets.empty()) return fail("smtp.unknown_user", "no such user here: " + std::string(rcpt));
  for (const auto& t : targets) {
    const auto at = t.rfind('@');
    const std::string domain = at == std::string::npos ? std::string() : t.substr(at + 1);
    const auto account = dir.find_account(t);
    if (!account) {
      if (!dir.is_local_domain(domain)) out.forward.push_back(t);
      // A local target that is no account (a dangling alias) is skipped, as Postfix's
      // virtual alias maps would bounce it; the other targets still get their copy.
      continue;
    }
    // The store takes this answer (the account exists, its quota) for this copy's appends
    // instead of asking the directory once more.
    const known_account_scope known(t, account->quota_bytes);
    std::string copy = with_trace(from, t, received, message);
    if (hook && *hook) {
      copy_request req{t, std::string(from), std::string(rcpt), std::move(copy), std::string(folder),
                       single_rcpt && targets.size() == 1, std::string(auth_user), large};
      auto h = (*hook)(req);
      if (!h) {
        out.failed.push_back({t, h.error()});
      } else if (h->rejected) {
        out.rejected.push_back(t);
        out.reject_reason = h->reason;
      } else {
        out.delivered.push_back(t);
      }
      continue;
    }
    if (large) {
      // The trace fields and the header section, then the whole body, as one blob.
      auto id = large->write_blob(std::string_view(copy).substr(0, copy.size() - std::min(large->body_start, copy.size())));
      if (!id) {
        out.failed.push_back({t, id.error()});
        continue;
      }
      auto r = store.append_blob(t, folder.empty() ? std::string_view("INBOX") : folder, *id);
      if (!r && !folder.empty() && r.error().code == "mail.no_mailbox") r = store.append_blob(t, "INBOX", *id);
      if (r)
        out.delivered.push_back(t);
      else
        out.failed.push_back({t, r.error()});
      continue;
    }
    auto r = folder.empty() ? store.deliver(t, copy) : store.append(t, folder, copy);
    if (!r && !folder.empty() && r.error().code == "mail.no_mailbox") r = store.deliver(t, copy);
    if (r)
      out.delivered.push_back(t);
    else
      out.failed.push_back({t, r.error()});
  }
  if (out.delivered.empty() && out.forward.empty() && out.failed.empty() && out.rejected.empty())
    return fail("smtp.unknown_user", "no mailbox behind " + std::string(rcpt));
  return out;
}

}  // namespace hearth::mail::smtp
