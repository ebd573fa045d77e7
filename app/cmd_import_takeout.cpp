// `hearth import takeout ZIP --user EMAIL`: a Google Takeout archive in one command: every
// mbox under Mail/ (filed by X-Gmail-Labels, app/cmd_import_mail.cpp), every .ics under
// Calendar/ (one calendar each, named after the file) and every .vcf under Contacts/ (into the
// default address book; Takeout repeats contacts in several group files, and the vCard import
// skips what it already has). Entries are extracted one at a time into a private temporary
// folder (TMPDIR), imported, and removed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/cmd_import_mail.hpp"
#include "app/common.hpp"
#include "app/mail_import.hpp"
#include "app/mail_store_open.hpp"
#include "core/backup/zip.hpp"
#include "core/blob/store.hpp"
#include "mail/store/store.hpp"

namespace fs = std::filesystem;

namespace hearth::app {
namespace {

constexpr const char* usage =
    "usage: hearth import takeout ZIP --user EMAIL [--gmail-labels folders|keywords]\n"
    "  Imports Mail/*.mbox (Gmail labels as folders, or as keywords on one copy each),\n"
    "  Calendar/*.ics (a calendar per file) and\n"
    "  Contacts/**/*.vcf (into the default address book) from a Google Takeout archive.";

result<std::string> read_at(int fd, std::uint64_t offset, std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail("zip.io", std::string("read error: ") + std::strerror(errno));
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  out.resize(done);
  return out;
}

result<std::vector<zip::entry>> read_directory(int fd, std::uint64_t size) {
  const std::uint64_t tail_len = std::min<std::uint64_t>(size, zip::max_tail);
  auto tail = read_at(fd, size - tail_len, tail_len);
  if (!tail) return tail.error();
  auto d = zip::find_directory(*tail, size);
  if (!d) return d.error();
  if (d->zip64_record_offset) {
    auto rec = read_at(fd, *d->zip64_record_offset, 56);
    if (!rec) return rec.error();
    d = zip::read_zip64_record(*rec, *d);
    if (!d) return d.error();
  }
  if (d->size > zip::max_directory || d->offset > size || d->size > size - d->offset)
    return fail("zip.format", "central directory outside the file or too large");
  auto cd = read_at(fd, d->offset, d->size);
  if (!cd) return cd.error();
  return zip::parse_directory(*cd, *d);
}

result<void> extract_to(int fd, std::uint64_t size, const zip::entry& e, const fs::path& to) {
  auto head = read_at(fd, e.local_offset, 30 + 4096 + 65536);
  if (!head) return head.error();
  auto off = zip::data_offset(*head, e);
  if (!off) return off.error();
  if (*off > size || e.compressed_size > size - *off) return fail("zip.format", e.name + ": data outside the file");
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return fail("zip.io", "cannot create " + to.string() + ": " + std::strerror(errno));
  auto x = zip::extractor::start(e, [out, &to](std::string_view p) -> result<void> {
    for (std::size_t done = 0; done < p.size();) {
      ssize_t w = ::write(out, p.data() + done, p.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail("zip.io", "cannot write " + to.string() + ": " + std::strerror(errno));
      done += static_cast<std::size_t>(w);
    }
    return {};
  });
  result<void> r = x ? result<void>() : result<void>(x.error());
  for (std::uint64_t pos = 0; r && pos < e.compressed_size;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(1 << 20, e.compressed_size - pos));
    auto chunk = read_at(fd, *off + pos, n);
    if (!chunk) r = chunk.error();
    else if (chunk->size() != n) r = fail("zip.format", e.name + ": truncated");
    else r = x->feed(*chunk);
    pos += n;
  }
  if (r) r = x->finish();
  ::close(out);
  return r;
}

bool has_segment(const std::string& name, const char* seg) {
  return name.rfind(std::string(seg) + "/", 0) == 0 || name.find("/" + std::string(seg) + "/") != std::string::npos;
}
bool ends_with(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// A calendar's URL name from its file name: "Holidays in France.ics" → "Holidays-in-France".
std::string calendar_name(const std::string& entry_name) {
  auto stem = fs::path(entry_name).stem().string();
  std::string out;
  for (char c : stem) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')
      out += c;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  if (out.size() > 100) out.resize(100);
  return out.empty() || out[0] == '.' ? "calendar" : out;
}

}  // namespace

int cmd_import_takeout(const globals& g, const args& a) {
  auto p = parse_args(a, {"--user", "--gmail-labels"});
  if (p.help) {
    std::cout << usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, usage);
  if (p.positional.size() != 1) return usage_error("import takeout needs the .zip file", usage);
  auto user_opt = p.option("--user");
  if (!user_opt) return usage_error("--user EMAIL is required", usage);
  auto kw = gmail_labels_option(p.option("--gmail-labels"));
  if (!kw) return 2;
  const bool label_keywords = *kw;
  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto account = dir->find_account(*user_opt);
  if (!account) return fail_with(1, "no such account: " + *user_opt);

  int fd = ::open(p.positional[0].c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_with(1, "cannot read " + p.positional[0] + ": " + std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_fd{fd};
  struct stat st {};
  ::fstat(fd, &st);
  auto entries = read_directory(fd, static_cast<std::uint64_t>(st.st_size));
  if (!entries) return fail_with(1, p.positional[0] + ": " + entries.error().message);

  std::string tmpl = (fs::temp_directory_path() / "hearth-takeout-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return fail_with(1, std::string("cannot make a temporary folder: ") + std::strerror(errno));
  const fs::path tmp = tmpl;
  struct remover {
    fs::path p;
    ~remover() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } rm{tmp};

  blob::store blobs(blob_dir(*cfg));
  auto ms = open_mail_store(*cfg, blobs, dir.get());
  if (!ms) return fail_with(1, "mail store: " + ms.error().message);
  mail_importer imp(**ms, blobs, account->address);
  int rc = 0;
  std::size_t mboxes = 0, calendars = 0, cards = 0;
  for (const auto& e : *entries) {
    if (e.is_directory()) continue;
    const bool mbox = has_segment(e.name, "Mail") && ends_with(e.name, ".mbox");
    const bool ics = has_segment(e.name, "Calendar") && ends_with(e.name, ".ics");
    const bool vcf = has_segment(e.name, "Contacts") && ends_with(e.name, ".vcf");
    if (!mbox && !ics && !vcf) continue;
    const fs::path file = tmp / (mbox ? "mail.mbox" : ics ? "calendar.ics" : "contacts.vcf");
    if (auto x = extract_to(fd, static_cast<std::uint64_t>(st.st_size), e, file); !x) {
      std::cerr << "hearth: " << e.name << ": " << x.error().message << "\n";
      rc = 1;
      continue;
    }
    std::cout << e.name << ":\n  ";
    int r = 0;
    if (mbox) {
      r = import_mbox_file(imp, file, "INBOX", false, std::cout, label_keywords);
      ++mboxes;
    } else if (ics) {
      r = cmd_import(g, {"ics", file.string(), "--user", account->address, "--calendar", calendar_name(e.name)});
      ++calendars;
    } else {
      r = cmd_import(g, {"vcf", file.string(), "--user", account->address});
      ++cards;
    }
    if (r != 0) rc = 1;
    std::error_code ec;
    fs::remove(file, ec);
  }
  std::cout << "takeout: " << mboxes << " mbox, " << calendars << " calendar and " << cards
            << " contact files imported into " << account->address << (rc ? " (with errors, see above)" : "") << "\n";
  return rc;
}

}  // namespace hearth::app
