#include <algorithm>
#include <cctype>

#include "mail/mailfile/mailfile.hpp"

namespace hearth::mail::mailfile {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

}  // namespace

std::vector<std::string> split_labels(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && quoted && i + 1 < value.size()) {
      cur += value[++i];
    } else if (c == ',' && !quoted) {
      if (auto t = trim(cur); !t.empty()) out.push_back(std::move(t));
      cur.clear();
    } else if (c != '\r' && c != '\n') {
      cur += c;
    }
  }
  if (auto t = trim(cur); !t.empty()) out.push_back(std::move(t));
  return out;
}

gmail_placement gmail_labels(std::string_view value) {
  gmail_placement p;
  bool seen = false;
  for (const auto& label : split_labels(value)) {
    if (iequals(label, "Inbox")) add_unique(p.mailboxes, "INBOX");
    else if (iequals(label, "Sent")) add_unique(p.mailboxes, "Sent");
    else if (iequals(label, "Spam")) add_unique(p.mailboxes, "Junk");
    else if (iequals(label, "Trash")) add_unique(p.mailboxes, "Trash");
    else if (iequals(label, "Drafts")) {
      add_unique(p.mailboxes, "Drafts");
      add_unique(p.flags, "\\Draft");
    } else if (iequals(label, "Opened")) seen = true;
    else if (iequals(label, "Unread")) {
    } else if (iequals(label, "Starred")) add_unique(p.flags, "\\Flagged");
    else if (iequals(label, "Important")) add_unique(p.flags, "$Important");  // RFC 8457
    else if (iequals(label, "Archived") || label.rfind("Category ", 0) == 0 || iequals(label, "Chat")) {
    } else {
      add_unique(p.mailboxes, label);
    }
  }
  if (seen) p.flags.insert(p.flags.begin(), "\\Seen");
  if (p.mailboxes.empty()) p.mailboxes.push_back("Archive");
  return p;
}

}  // namespace hearth::mail::mailfile
