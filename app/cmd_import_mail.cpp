// `hearth import mbox FILE --user U [--folder F]` and `hearth import maildir DIR --user U`:
// mail from files other programs wrote (mail/mailfile parses, app/mail_import.hpp stores).
// Writes go into the instance's database and blob store; a running server sees them at once.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cmd_import_mail.hpp"
#include "app/common.hpp"
#include "app/mail_import.hpp"
#include "app/mail_store_open.hpp"
#include "core/blob/store.hpp"
#include "mail/mailfile/mailfile.hpp"
#include "mail/message/header.hpp"
#include "mail/migrate/plan.hpp"
#include "mail/store/store.hpp"

namespace fs = std::filesystem;

namespace hearth::app {
namespace {

namespace mf = mail::mailfile;

struct tally {
  std::size_t messages = 0;   // messages read from the source
  std::size_t skipped = 0;    // not stored: too big, unreadable
  std::size_t errors = 0;
};

// mbox readers' own flags: "Status: RO" (R read, O old) and "X-Status: AFTD" (mutt, Thunderbird).
std::vector<std::string> status_flags(const mail::header_section& h) {
  std::vector<std::string> out;
  if (const auto* s = h.find("Status"); s && mail::unfold(s->value).find('R') != std::string::npos)
    out.push_back("\\Seen");
  if (const auto* x = h.find("X-Status")) {
    auto v = mail::unfold(x->value);
    if (v.find('A') != std::string::npos) out.push_back("\\Answered");
    if (v.find('F') != std::string::npos) out.push_back("\\Flagged");
    if (v.find('T') != std::string::npos) out.push_back("\\Draft");
    if (v.find('D') != std::string::npos) out.push_back("\\Deleted");
  }
  return out;
}

void store_one(mail_importer& imp, tally& t, const std::vector<std::string>& mailboxes, const std::string& bytes,
               const std::vector<std::string>& flags, std::optional<std::int64_t> date, const std::string& where) {
  for (const auto& mb : mailboxes) {
    auto r = imp.add(mb, bytes, flags, date);
    if (!r) {
      ++t.errors;
      std::cerr << "hearth: " << where << " into " << mb << ": " << r.error().message << "\n";
      if (r.error().code == "mail.quota") throw std::runtime_error("the account's quota is full");
    }
  }
}

void import_mbox_message(mail_importer& imp, tally& t, mf::mbox_splitter::message m, const std::string& folder,
                         bool folder_given, bool label_keywords, const std::string& where) {
  ++t.messages;
  if (m.too_big) {
    ++t.skipped;
    std::cerr << "hearth: " << where << ": larger than " << mail::max_message_bytes << " bytes, skipped\n";
    return;
  }
  auto h = mail::parse_header(m.bytes);
  std::vector<std::string> mailboxes, flags = status_flags(h);
  if (const auto* labels = h.find("X-Gmail-Labels"); labels && !folder_given) {
    // Takeout writes non-ASCII labels as RFC 2047 encoded words.
    auto p = mf::gmail_labels(mail::display_value(*labels));
    flags.insert(flags.end(), p.flags.begin(), p.flags.end());
    if (!label_keywords) {
      mailboxes = p.mailboxes;
    } else {
      std::string place;
      for (const char* role : {"INBOX", "Sent", "Drafts", "Junk", "Trash"})
        if (place.empty() && std::find(p.mailboxes.begin(), p.mailboxes.end(), role) != p.mailboxes.end()) place = role;
      mailboxes.push_back(place.empty() ? "Archive" : place);
      for (const auto& m : p.mailboxes) {
        if (m == "INBOX" || m == "Sent" || m == "Drafts" || m == "Junk" || m == "Trash" || m == "Archive") continue;
        auto k = mail::migrate::label_keyword(m);
        if (!k.empty() && std::find(flags.begin(), flags.end(), k) == flags.end()) flags.push_back(std::move(k));
      }
    }
  } else {
    mailboxes.push_back(folder);
  }
  auto date = mf::from_line_date(m.from_line);
  if (!date)
    if (const auto* d = h.find("Date")) date = mf::parse_date(mail::unfold(d->value));
  store_one(imp, t, mailboxes, m.bytes, flags, date, where);
}

}  // namespace

std::optional<bool> gmail_labels_option(const std::optional<std::string>& value) {
  if (!value || *value == "folders") return false;
  if (*value == "keywords") return true;
  std::cerr << "hearth: --gmail-labels is folders or keywords\n";
  return std::nullopt;
}

int import_mbox_file(mail_importer& imp, const fs::path& file, const std::string& folder, bool folder_given,
                     std::ostream& out, bool label_keywords) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail_with(1, "cannot read " + file.string());
  tally t;
  mf::mbox_splitter split(mail::max_message_bytes);
  std::string line;
  std::size_t n = 0;
  try {
    while (std::getline(in, line)) {
      if (auto m = split.line(line)) import_mbox_message(imp, t, std::move(*m), folder, folder_given, label_keywords, file.string() + " #" + std::to_string(++n));
    }
    if (auto m = split.finish()) import_mbox_message(imp, t, std::move(*m), folder, folder_given, label_keywords, file.string() + " #" + std::to_string(++n));
  } catch (const std::exception& e) {
    return fail_with(1, std::string(e.what()) + "; stopped after " + std::to_string(t.messages) + " messages");
  }
  out << file.string() << ": " << t.messages << " messages read, " << imp.stored() << " copies stored, "
      << imp.duplicates() << " already there, " << t.skipped << " skipped";
  if (split.skipped_preamble() > 0) out << ", " << split.skipped_preamble() << " bytes before the first From line ignored";
  out << "\n";
  return t.errors > 0 ? 1 : 0;
}

namespace {

// One Maildir folder: new/ then cur/, oldest first (Maildir unique names start with the
// delivery time; the mtime is the internal date Dovecot keeps there).
void import_maildir_folder(mail_importer& imp, tally& t, const fs::path& dir, const std::string& mailbox) {
  std::vector<std::string> keywords;
  if (std::ifstream kf(dir / "dovecot-keywords", std::ios::binary); kf) {
    std::stringstream ss;
    ss << kf.rdbuf();
    keywords = mf::parse_dovecot_keywords(ss.str().substr(0, 64 * 1024));
  }
  struct item {
    std::int64_t mtime;
    fs::path path;
  };
  std::vector<item> items;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir / sub, ec)) {
      struct stat st {};
      if (::stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (e.path().filename().string().front() == '.') continue;
      items.push_back({static_cast<std::int64_t>(st.st_mtime), e.path()});
    }
  }
  std::sort(items.begin(), items.end(), [](const item& a, const item& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path.filename() < b.path.filename();
  });
  for (const auto& it : items) {
    ++t.messages;
    std::error_code ec;
    auto size = fs::file_size(it.path, ec);
    if (ec || size > mail::max_message_bytes) {
      ++t.skipped;
      std::cerr << "hearth: " << it.path.string() << ": " << (ec ? ec.message() : "too big") << ", skipped\n";
      continue;
    }
    std::ifstream f(it.path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) {
      ++t.skipped;
      std::cerr << "hearth: cannot read " << it.path.string() << ", skipped\n";
      continue;
    }
    auto bytes = mail_importer::crlf(ss.str());
    auto flags = mf::maildir_flags(it.path.filename().string(), keywords);
    store_one(imp, t, {mailbox}, bytes, flags, it.mtime, it.path.string());
  }
}

bool is_maildir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "cur", ec) || fs::is_directory(p / "new", ec);
}

}  // namespace

int import_maildir_tree(mail_importer& imp, const fs::path& root, std::ostream& out) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return fail_with(1, root.string() + " is not a folder");
  // Mailbox name -> folder on disk: the root is INBOX; Maildir++ folders are ".A.B" beside
  // cur/new/tmp; Dovecot LAYOUT=fs folders are subdirectories A/B holding their own cur/new.
  std::vector<std::pair<std::string, fs::path>> folders;
  if (is_maildir(root)) folders.emplace_back("INBOX", root);
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_directory()) continue;
    auto name = it->path().filename().string();
    if (name == "cur" || name == "new" || name == "tmp") {
      it.disable_recursion_pending();
      continue;
    }
    if (it.depth() > 32) {
      it.disable_recursion_pending();
      continue;
    }
    if (!is_maildir(it->path())) continue;
    std::optional<std::string> mb;
    if (it.depth() == 0 && name.size() > 1 && name[0] == '.')
      mb = mf::maildirpp_folder(name);
    else
      mb = mf::fs_layout_folder(it->path().lexically_relative(root).generic_string());
    if (!mb) {
      std::cerr << "hearth: " << it->path().string() << ": folder name not understood, skipped\n";
      continue;
    }
    // Top-level special folders under other servers' names ("Sent Items", "Spam") become ours.
    if (mb->find('/') == std::string::npos) mb = mf::special_folder(*mb);
    folders.emplace_back(*mb, it->path());
  }
  if (folders.empty()) return fail_with(1, root.string() + " holds no Maildir folder (no cur/ or new/)");
  tally t;
  try {
    for (const auto& [mb, dir] : folders) import_maildir_folder(imp, t, dir, mb);
  } catch (const std::exception& e) {
    return fail_with(1, std::string(e.what()) + "; stopped after " + std::to_string(t.messages) + " messages");
  }
  out << root.string() << ": " << folders.size() << " folders, " << t.messages << " messages read, " << imp.stored()
      << " stored, " << imp.duplicates() << " already there, " << t.skipped << " skipped\n";
  return t.errors > 0 ? 1 : 0;
}

int cmd_import_mail(const globals& g, const std::string& format, const args& a) {
  constexpr const char* usage =
      "usage: hearth import mbox FILE --user EMAIL [--folder NAME] [--gmail-labels folders|keywords]\n"
      "       hearth import maildir DIR --user EMAIL\n"
      "  mbox: mboxrd or mboxo; a Google Takeout mbox is filed by its X-Gmail-Labels (Inbox, Sent,\n"
      "  Spam -> Junk, Trash, your labels as folders, the rest in Archive) unless --folder is given;\n"
      "  with --gmail-labels keywords one copy each (INBOX, Sent, Drafts, Junk, Trash or Archive)\n"
      "  and your labels as IMAP keywords.\n"
      "  maildir: Maildir++ (.Folder.Sub) or Dovecot LAYOUT=fs folders; flags from the file names.\n"
      "  Importing the same messages again adds nothing (same Message-ID and body).";
  auto p = parse_args(a, {"--user", "--folder", "--gmail-labels"});
  if (p.help) {
    std::cout << usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, usage);
  if (p.positional.size() != 1) return usage_error("import " + format + " needs one " + (format == "mbox" ? "file" : "folder"), usage);
  auto user_opt = p.option("--user");
  if (!user_opt) return usage_error("--user EMAIL is required", usage);
  if (format == "maildir" && p.option("--folder")) return usage_error("--folder applies to mbox only", usage);
  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto account = dir->find_account(*user_opt);
  if (!account) return fail_with(1, "no such account: " + *user_opt);
  blob::store blobs(blob_dir(*cfg));
  auto st = open_mail_store(*cfg, blobs, dir.get());
  if (!st) return fail_with(1, "mail store: " + st.error().message);
  mail_importer imp(**st, blobs, account->address);
  if (format == "mbox") {
    auto folder = p.option("--folder");
    auto kw = gmail_labels_option(p.option("--gmail-labels"));
    if (!kw) return 2;
    return import_mbox_file(imp, p.positional[0], folder.value_or("INBOX"), folder.has_value(), std::cout, *kw);
  }
  return import_maildir_tree(imp, p.positional[0], std::cout);
}

}  // namespace hearth::app
