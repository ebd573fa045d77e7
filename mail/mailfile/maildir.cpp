#include <algorithm>
#include <cctype>

#include "mail/imap/proto/mutf7.hpp"
#include "mail/mailfile/mailfile.hpp"

namespace hearth::mail::mailfile {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// One level of a folder name: modified UTF-7, with "\2e"-style escapes for characters the
// layout reserves (what our export writes for '.' in a Maildir++ level).
std::optional<std::string> decode_level(std::string_view level) {
  std::string unescaped;
  for (std::size_t i = 0; i < level.size(); ++i) {
    if (level[i] == '\\' && i + 2 < level.size() && std::isxdigit(static_cast<unsigned char>(level[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(level[i + 2]))) {
      unescaped += static_cast<char>(std::stoi(std::string(level.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      unescaped += level[i];
    }
  }
  auto d = imap::mutf7_decode(unescaped, true);
  if (!d || d->empty()) return std::nullopt;
  return *d;
}

}  // namespace

std::vector<std::string> maildir_flags(std::string_view filename, const std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  std::size_t pos = std::string_view::npos;
  for (const char* sep : {":2,", "!2,", ";2,"}) {
    auto p = filename.rfind(sep);
    if (p != std::string_view::npos) {
      pos = p + 3;
      break;
    }
  }
  if (pos == std::string_view::npos) return out;
  auto info = filename.substr(pos);
  // Fixed order, as mail::store wants system flags first.
  for (auto [letter, flag] : {std::pair{'S', "\\Seen"}, {'R', "\\Answered"}, {'F', "\\Flagged"}, {'T', "\\Deleted"},
                              {'D', "\\Draft"}})
    if (info.find(letter) != std::string_view::npos) out.push_back(flag);
  if (info.find('P') != std::string_view::npos) out.push_back("$Forwarded");
  for (char c : info)
    if (c >= 'a' && c <= 'z') {
      std::size_t idx = static_cast<std::size_t>(c - 'a');
      if (idx < keywords.size() && !keywords[idx].empty() &&
          std::find(out.begin(), out.end(), keywords[idx]) == out.end())
        out.push_back(keywords[idx]);
    }
  return out;
}

std::string maildir_filename(std::string_view unique, const std::vector<std::string>& flags,
                             std::vector<std::string>& keywords) {
  std::string letters;
  for (const auto& f : flags) {
    if (f == "\\Seen") letters += 'S';
    else if (f == "\\Answered") letters += 'R';
    else if (f == "\\Flagged") letters += 'F';
    else if (f == "\\Deleted") letters += 'T';
    else if (f == "\\Draft") letters += 'D';
    else if (iequals(f, "$Forwarded")) letters += 'P';
    else if (!f.empty() && f[0] != '\\') {
      auto it = std::find(keywords.begin(), keywords.end(), f);
      std::size_t idx = static_cast<std::size_t>(it - keywords.begin());
      if (it == keywords.end()) {
        if (keywords.size() >= 26) continue;  // Dovecot's limit too: letters a-z
        keywords.push_back(f);
      }
      letters += static_cast<char>('a' + idx);
    }
  }
  std::sort(letters.begin(), letters.end());
  return std::string(unique) + ":2," + letters;
}

std::vector<std::string> parse_dovecot_keywords(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp > 2) continue;
    int idx = 0;
    bool ok = true;
    for (char c : line.substr(0, sp)) {
      if (c < '0' || c > '9') ok = false;
      else idx = idx * 10 + (c - '0');
    }
    auto name = line.substr(sp + 1);
    if (!ok || idx >= 26 || name.empty() || name.size() > 128) continue;
    if (out.size() <= static_cast<std::size_t>(idx)) out.resize(static_cast<std::size_t>(idx) + 1);
    out[static_cast<std::size_t>(idx)] = std::string(name);
  }
  return out;
}

std::string format_dovecot_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (std::size_t i = 0; i < keywords.size(); ++i) out += std::to_string(i) + " " + keywords[i] + "\n";
  return out;
}

std::optional<std::string> maildirpp_folder(std::string_view dirname) {
  if (dirname.size() < 2 || dirname[0] != '.' || dirname == "..") return std::nullopt;
  std::string out;
  auto rest = dirname.substr(1);
  while (true) {
    auto dot = rest.find('.');
    auto level = decode_level(rest.substr(0, dot));
    if (!level || level->find('/') != std::string::npos) return std::nullopt;
    out += (out.empty() ? "" : "/") + *level;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  return out;
}

std::string maildirpp_dirname(std::string_view mailbox) {
  std::string out = ".";
  std::string_view rest = mailbox;
  bool first = true;
  while (true) {
    auto sl = rest.find('/');
    auto enc = imap::mutf7_encode(rest.substr(0, sl));
    std::string level;
    for (char c : enc) level += c == '.' ? std::string("\\2e") : c == '\\' ? std::string("\\5c") : std::string(1, c);
    out += (first ? "" : ".") + level;
    first = false;
    if (sl == std::string_view::npos) break;
    rest = rest.substr(sl + 1);
  }
  return out;
}

std::optional<std::string> fs_layout_folder(std::string_view relative) {
  std::string out;
  while (!relative.empty()) {
    auto sl = relative.find('/');
    auto level = decode_level(relative.substr(0, sl));
    if (!level) return std::nullopt;
    out += (out.empty() ? "" : "/") + *level;
    if (sl == std::string_view::npos) break;
    relative = relative.substr(sl + 1);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string special_folder(std::string_view name) {
  if (iequals(name, "inbox")) return "INBOX";
  for (auto n : {"Sent Items", "Sent Messages", "Sent Mail"})
    if (iequals(name, n)) return "Sent";
  for (auto n : {"Deleted Items", "Deleted Messages"})
    if (iequals(name, n)) return "Trash";
  for (auto n : {"Spam", "Junk E-mail", "Junk Email"})
    if (iequals(name, n)) return "Junk";
  for (auto n : {"Sent", "Drafts", "Trash", "Junk", "Archive"})
    if (iequals(name, n)) return n;
  return std::string(name);
}

}  // namespace hearth::mail::mailfile
