// `hearth export USER DIR`: an account as files other programs read, so that leaving Hearth is
// as easy as arriving:
//
//   DIR/mail/                  a Maildir++ tree: the root is INBOX, ".Sent", ".Work.Projects"...
//                              (levels in modified UTF-7; a '.' inside a level as "\2e"); each
//                              message a file in cur/ named "DATE.UUID_VUIDVALIDITY.hearth:2,FLAGS"
//                              with its internal date as mtime; keywords in each folder's
//                              dovecot-keywords (Dovecot's format); subscribed names in
//                              DIR/mail/subscriptions
//   DIR/calendars/NAME.ics     one iCalendar file per calendar (time zones once each)
//   DIR/contacts/NAME.vcf      one vCard file per address book
//   DIR/xmpp/roster.jsonl      one JSON object per contact: jid, name, subscription, ask, groups
//   DIR/xmpp/archive.jsonl     one JSON object per archived message: id, with, stamp (RFC 3339),
//                              stamp_us, stanza (the <message/> as stored)
//
// `hearth import maildir DIR/mail`, `hearth import ics|vcf` read these back. Reads go through the
// stores' interfaces; a running server may keep serving meanwhile.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/mail_store_open.hpp"
#include "core/blob/store.hpp"
#include "dav/server/service.hpp"
#include "dav/store/store.hpp"
#include "mail/mailfile/mailfile.hpp"
#include "mail/store/store.hpp"
#include "xmpp/store/store.hpp"

namespace fs = std::filesystem;

namespace hearth::app {
namespace {

constexpr const char* usage =
    "usage: hearth export EMAIL DIR\n"
    "  Writes the account into DIR (new or empty): mail/ as a Maildir++ tree, calendars/*.ics,\n"
    "  contacts/*.vcf, xmpp/roster.jsonl and xmpp/archive.jsonl (see the README).";

bool write_file(const fs::path& p, std::string_view data, std::int64_t mtime = -1) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) {
    std::cerr << "hearth: cannot write " << p.string() << "\n";
    return false;
  }
  if (mtime >= 0) {
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    ::utimensat(AT_FDCWD, p.c_str(), ts, 0);
  }
  return true;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// A collection's URL name as a file name: plain characters kept, others '_'.
std::string file_stem(std::string_view name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

// One VCALENDAR from many: the objects' components, each VTIMEZONE once.
std::string merge_calendars(const std::vector<dav::object>& objs) {
  std::string zones, comps;
  std::set<std::string> seen_zones;
  for (const auto& o : objs) {
    std::string_view text = o.data;
    int depth = 0;
    std::string block;
    bool in_zone = false;
    while (!text.empty()) {
      auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
      text.remove_prefix(line.size());
      std::string_view bare = line;
      while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
      const bool begin = bare.rfind("BEGIN:", 0) == 0, end = bare.rfind("END:", 0) == 0;
      if (begin) {
        ++depth;
        if (depth == 2) {
          block.clear();
          in_zone = bare == "BEGIN:VTIMEZONE";
        }
      }
      if (depth >= 2) block += std::string(bare) + "\r\n";
      if (end) {
        if (depth == 2) {
          if (!in_zone)
            comps += block;
          else if (seen_zones.insert(block).second)
            zones += block;
        }
        --depth;
      }
    }
  }
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//export//EN\r\n" + zones + comps + "END:VCALENDAR\r\n";
}

std::string rfc3339(std::int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us % 1000000));
  return std::string(buf) + frac;
}

struct counts {
  std::size_t mailboxes = 0, messages = 0, calendars = 0, events = 0, addressbooks = 0, cards = 0, contacts = 0,
              archived = 0;
};

bool export_mail(mail::store& st, blob::store& blobs, const std::string& user, const fs::path& root, counts& n) {
  auto list = st.list(user);
  if (!list) {
    std::cerr << "hearth: " << list.error().message << "\n";
    return false;
  }
  std::string subscriptions;
  for (const auto& mb : *list) {
    const fs::path dir = mb.name == "INBOX" ? root : root / mail::mailfile::maildirpp_dirname(mb.name);
    for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(dir / sub);
    if (mb.subscribed) subscriptions += mb.name + "\n";
    auto msgs = st.fetch(user, mb.name, {{1, mail::uid_max}});
    if (!msgs) {
      std::cerr << "hearth: " << mb.name << ": " << msgs.error().message << "\n";
      return false;
    }
    std::vector<std::string> keywords;
    for (const auto& m : *msgs) {
      auto bytes = blobs.get(m.blob_id, mail::max_message_bytes);
      if (!bytes) {
        std::cerr << "hearth: " << mb.name << " uid " << m.uid << ": " << bytes.error().message << "\n";
        return false;
      }
      auto unique = std::to_string(m.internal_date) + "." + std::to_string(m.uid) + "_V" + std::to_string(mb.uidvalidity) +
                    ".hearth";
      auto name = mail::mailfile::maildir_filename(unique, m.flags, keywords);
      if (!write_file(dir / "cur" / name, *bytes, m.internal_date)) return false;
      ++n.messages;
    }
    if (!keywords.empty() && !write_file(dir / "dovecot-keywords", mail::mailfile::format_dovecot_keywords(keywords)))
      return false;
    ++n.mailboxes;
  }
  return write_file(root / "subscriptions", subscriptions);
}

bool export_dav(dav::store& st, const std::string& user, const fs::path& out, counts& n) {
  for (auto k : {dav::kind::calendar, dav::kind::addressbook}) {
    const fs::path dir = out / (k == dav::kind::calendar ? "calendars" : "contacts");
    fs::create_directories(dir);
    auto cols = st.collections(user, k);
    if (!cols) {
      std::cerr << "hearth: " << cols.error().message << "\n";
      return false;
    }
    for (const auto& c : *cols) {
      if (k == dav::kind::calendar && dav::is_schedule_box(c.name)) continue;
      auto objs = st.objects(c.id, true);
      if (!objs) {
        std::cerr << "hearth: " << c.name << ": " << objs.error().message << "\n";
        return false;
      }
      std::string text;
      if (k == dav::kind::calendar) {
        text = merge_calendars(*objs);
        n.events += objs->size();
        ++n.calendars;
      } else {
        for (const auto& o : *objs) {
          text += o.data;
          if (!text.empty() && text.back() != '\n') text += "\r\n";
        }
        n.cards += objs->size();
        ++n.addressbooks;
      }
      if (!write_file(dir / (file_stem(c.name) + (k == dav::kind::calendar ? ".ics" : ".vcf")), text)) return false;
    }
  }
  return true;
}

// `target`: xmpp.db on SQLite (absent when chat was never used: nothing to export), or the
// PostgreSQL database.
bool export_xmpp(const std::string& target, bool on_file, const std::string& user, const fs::path& out, counts& n) {
  fs::create_directories(out);
  std::string roster, archive;
  if (!on_file || fs::exists(target)) {
    auto st = xmpp::store::open(target);
    if (!st) {
      std::cerr << "hearth: xmpp store: " << st.error().message << "\n";
      return false;
    }
    try {
      for (const auto& r : (*st)->roster(user)) {
        if (!r.in_roster) continue;
        std::string groups;
        for (const auto& g : r.groups) groups += (groups.empty() ? "" : ",") + json_string(g);
        roster += "{\"jid\":" + json_string(r.contact) + ",\"name\":" + json_string(r.name) +
                  ",\"subscription\":" + json_string(r.subscription()) + ",\"ask\":" + (r.ask_out ? "true" : "false") +
                  ",\"groups\":[" + groups + "]}\n";
        ++n.contacts;
      }
      xmpp::archive_query q;
      q.max = 500;
      for (;;) {
        auto page = (*st)->archive_find(user, q);
        for (const auto& a : page.items)
          archive += "{\"id\":" + json_string(a.stanza_id) + ",\"with\":" + json_string(a.with) + ",\"stamp\":" +
                     json_string(rfc3339(a.stamp_us)) + ",\"stamp_us\":" + std::to_string(a.stamp_us) +
                     ",\"stanza\":" + json_string(a.stanza) + "}\n";
        n.archived += page.items.size();
        if (page.complete || page.items.empty()) break;
        q.after_id = page.items.back().stanza_id;
      }
    } catch (const std::exception& e) {
      std::cerr << "hearth: xmpp store: " << e.what() << "\n";
      return false;
    }
  }
  return write_file(out / "roster.jsonl", roster) && write_file(out / "archive.jsonl", archive);
}

}  // namespace

int cmd_export(const globals& g, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::cout << usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, usage);
  if (p.positional.size() != 2) return usage_error("export needs an account and a folder", usage);
  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto account = dir->find_account(p.positional[0]);
  if (!account) return fail_with(1, "no such account: " + p.positional[0]);
  const std::string user = account->address;
  const fs::path out = p.positional[1];
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) return fail_with(1, out.string() + " exists and is not empty");
  fs::create_directories(out, ec);
  if (ec) return fail_with(1, "cannot create " + out.string() + ": " + ec.message());

  counts n;
  blob::store blobs(blob_dir(*cfg));
  auto ms = open_mail_store(*cfg, blobs, dir.get());
  if (!ms) return fail_with(1, "mail store: " + ms.error().message);
  if (!export_mail(**ms, blobs, user, out / "mail", n)) return 1;
  auto ds = dav::store::open(database_target(*cfg));
  if (!ds) return fail_with(1, "dav store: " + ds.error().message);
  if (!export_dav(**ds, user, out, n)) return 1;
  if (!export_xmpp(database_target(*cfg, "xmpp.db"), !on_postgres(*cfg), user, out / "xmpp", n)) return 1;
  std::cout << "exported " << user << " into " << out.string() << ": " << n.mailboxes << " mailboxes with "
            << n.messages << " messages, " << n.calendars << " calendars with " << n.events << " objects, "
            << n.addressbooks << " address books with " << n.cards << " cards, " << n.contacts
            << " chat contacts, " << n.archived << " archived chat messages\n";
  return 0;
}

}  // namespace hearth::app
