#include "mail/migrate/plan.hpp"

#include <algorithm>

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"
#include "mail/imap/proto/mutf7.hpp"
#include "mail/store/store.hpp"

namespace hearth::mail::migrate {
namespace {

using util::iequals;

bool has(const std::vector<std::string>& attrs, std::string_view a) {
  return std::any_of(attrs.begin(), attrs.end(), [&](const std::string& x) { return iequals(x, a); });
}

// The usual names of special folders on servers without RFC 6154 (Dovecot's and Thunderbird's
// defaults, Outlook's, Gmail's English ones, iCloud's), compared case-insensitively.
struct usual {
  std::string_view name;
  role r;
};
constexpr usual usual_names[] = {
    {"Sent", role::sent},           {"Sent Mail", role::sent},       {"Sent Items", role::sent},
    {"Sent Messages", role::sent},  {"Drafts", role::drafts},        {"Draft", role::drafts},
    {"Junk", role::junk},           {"Spam", role::junk},            {"Junk E-mail", role::junk},
    {"Junk Email", role::junk},     {"Bulk Mail", role::junk},       {"Trash", role::trash},
    {"Bin", role::trash},           {"Deleted Items", role::trash},  {"Deleted Messages", role::trash},
    {"Archive", role::archive},     {"Archives", role::archive},     {"All Mail", role::all},
    {"Starred", role::skip},        {"Important", role::skip},
};

// Gmail's parent of its system folders; its children are special only there or at the top.
bool gmail_parent(std::string_view level) { return iequals(level, "[Gmail]") || iequals(level, "[Google Mail]"); }

std::string decode(std::string_view name, bool utf8) {
  if (utf8) return std::string(name);
  auto d = imap::mutf7_decode(name, true);
  return d ? *d : std::string(name);
}

bool atom_char(unsigned char c) {
  // RFC 9051 ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ]
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("(){%*\"\\]").find(static_cast<char>(c)) == std::string_view::npos;
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (s.empty()) return;
  if (std::none_of(v.begin(), v.end(), [&](const std::string& x) { return iequals(x, s); })) v.push_back(std::move(s));
}

}  // namespace

std::string role_mailbox(role r) {
  switch (r) {
    case role::inbox: return "INBOX";
    case role::sent: return "Sent";
    case role::drafts: return "Drafts";
    case role::junk: return "Junk";
    case role::trash: return "Trash";
    case role::archive: return "Archive";
    default: return "";
  }
}

std::string role_special_use(role r) {
  switch (r) {
    case role::sent: return "\\Sent";
    case role::drafts: return "\\Drafts";
    case role::junk: return "\\Junk";
    case role::trash: return "\\Trash";
    case role::archive: return "\\Archive";
    default: return "";
  }
}

std::string target_name(std::string_view name, std::optional<char> delimiter, bool utf8, std::string_view prefix) {
  std::string full = decode(name, utf8);
  std::string_view rest = full;
  std::string pre = decode(prefix, utf8);
  if (!pre.empty() && rest.size() > pre.size() && util::istarts_with(rest, pre)) rest.remove_prefix(pre.size());
  std::vector<std::string> levels;
  if (delimiter) {
    for (auto l : util::split(rest, *delimiter)) levels.emplace_back(l);
  } else {
    levels.emplace_back(rest);
  }
  std::string out;
  for (auto& l : levels) {
    if (l.empty()) continue;  // "a..b" or a trailing delimiter: no empty level here
    std::replace(l.begin(), l.end(), '/', '-');
    for (auto& c : l)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
    if (!out.empty()) out += '/';
    out += l;
  }
  if (out.size() > max_name_bytes) out.resize(max_name_bytes);  // cut at a byte; checked below
  auto c = canonical_mailbox_name(out);
  return c ? *c : std::string();
}

folder_plan plan_folder(const source_folder& f, bool utf8, std::string_view prefix) {
  folder_plan p;
  const auto& a = f.attributes;
  if (has(a, "\\Noselect") || has(a, "\\NonExistent")) {
    p.r = role::skip;
    return p;
  }
  p.target = target_name(f.name, f.delimiter, utf8, prefix);
  if (p.target.empty()) {
    p.r = role::skip;
    return p;
  }
  if (p.target == "INBOX") {
    p.r = role::inbox;
  } else if (gmail_parent(p.target)) {
    p.r = role::skip;  // Gmail's container of its system folders holds no mail of its own
  } else if (has(a, "\\All")) {
    p.r = role::all;
  } else if (has(a, "\\Flagged") || has(a, "\\Important")) {
    p.r = role::skip;  // RFC 6154 / RFC 8457 virtual folders
  } else if (has(a, "\\Sent")) {
    p.r = role::sent;
  } else if (has(a, "\\Drafts")) {
    p.r = role::drafts;
  } else if (has(a, "\\Junk")) {
    p.r = role::junk;
  } else if (has(a, "\\Trash")) {
    p.r = role::trash;
  } else if (has(a, "\\Archive")) {
    p.r = role::archive;
  } else {
    auto levels = util::split(p.target, '/');
    bool special_place = levels.size() == 1 || (levels.size() == 2 && gmail_parent(levels[0]));
    if (special_place) {
      for (const auto& u : usual_names) {
        if (!iequals(levels.back(), u.name)) continue;
        // Starred/Important are virtual only under Gmail's parent; elsewhere they are folders.
        if (u.r == role::skip && levels.size() == 1) break;
        p.r = u.r;
        break;
      }
    }
  }
  if (p.r == role::all || p.r == role::skip) {
    p.target.clear();
  } else if (p.r != role::normal) {
    p.target = role_mailbox(p.r);
    p.special_use = role_special_use(p.r);
  }
  return p;
}

std::string label_keyword(std::string_view label) {
  std::string enc = imap::mutf7_encode(decode(label, false));
  std::string out;
  for (char c : enc) out.push_back(atom_char(static_cast<unsigned char>(c)) ? c : '_');
  if (out.size() > max_keyword_bytes) out.resize(max_keyword_bytes);
  if (!out.empty() && out[0] == '\\') out[0] = '_';
  return out;
}

filing file_gmail(const std::vector<std::string>& labels, label_mode mode) {
  filing f;
  bool inbox = false, sent = false, draft = false, spam = false, trash = false;
  std::vector<std::string> user;
  for (const auto& l : labels) {
    if (l.empty()) continue;
    if (l[0] == '\\') {
      if (iequals(l, "\\Inbox")) inbox = true;
      else if (iequals(l, "\\Sent")) sent = true;
      else if (iequals(l, "\\Draft") || iequals(l, "\\Drafts")) draft = true;
      else if (iequals(l, "\\Spam") || iequals(l, "\\Junk")) spam = true;
      else if (iequals(l, "\\Trash")) trash = true;
      else if (iequals(l, "\\Starred") || iequals(l, "\\Flagged")) add_unique(f.add_flags, "\\Flagged");
      // \Important and anything else Gmail may add is a view, not a place.
      continue;
    }
    // Gmail sends "INBOX" as a plain label in some replies; it is the inbox.
    if (iequals(l, "INBOX")) {
      inbox = true;
      continue;
    }
    user.push_back(l);
  }
  if (mode == label_mode::folders) {
    if (inbox) add_unique(f.mailboxes, "INBOX");
    if (sent) add_unique(f.mailboxes, "Sent");
    if (draft) add_unique(f.mailboxes, "Drafts");
    if (spam) add_unique(f.mailboxes, "Junk");
    if (trash) add_unique(f.mailboxes, "Trash");
    for (const auto& l : user) {
      // Gmail's label hierarchy uses "/", as its LIST does.
      auto name = target_name(l, '/', false);
      if (!name.empty()) add_unique(f.mailboxes, name);
    }
    if (f.mailboxes.empty()) f.mailboxes.push_back("Archive");
  } else {
    f.mailboxes.push_back(inbox ? "INBOX" : sent ? "Sent" : draft ? "Drafts" : spam ? "Junk" : trash ? "Trash" : "Archive");
    for (const auto& l : user) add_unique(f.add_flags, label_keyword(l));
  }
  return f;
}

std::vector<std::string> keep_flags(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (const auto& f : flags) {
    if (out.size() >= max_flags) break;
    auto c = canonical_flag(f);
    if (c) add_unique(out, *c);
  }
  return out;
}

std::string dedup_key(std::string_view message) {
  // The header ends at the first empty line (CRLF CRLF; a bare LF LF from a sloppy source too).
  std::size_t body = message.size();
  if (auto p = message.find("\r\n\r\n"); p != std::string_view::npos) body = p + 4;
  else if (auto q = message.find("\n\n"); q != std::string_view::npos) body = q + 2;
  std::string_view header = message.substr(0, body);
  // Message-ID (RFC 5322 §3.6.4), unfolded, surrounding white space dropped.
  std::string id;
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto eol = header.find('\n', pos);
    if (eol == std::string_view::npos) eol = header.size();
    auto line = header.substr(pos, eol - pos);
    if (util::istarts_with(line, "message-id:")) {
      id = std::string(line.substr(11));
      // continuation lines start with white space
      auto next = eol + 1;
      while (next < header.size() && (header[next] == ' ' || header[next] == '\t')) {
        auto e2 = header.find('\n', next);
        if (e2 == std::string_view::npos) e2 = header.size();
        id += std::string(header.substr(next, e2 - next));
        next = e2 + 1;
      }
      break;
    }
    pos = eol + 1;
  }
  std::string trimmed;
  for (char c : id)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') trimmed.push_back(c);
  if (trimmed.empty()) return crypto::hex_encode(crypto::sha256(message));
  return crypto::hex_encode(crypto::sha256(trimmed + '\0' + crypto::sha256(message.substr(body))));
}

}  // namespace hearth::mail::migrate
