// `hearth import ics|vcf FILE --user EMAIL [--calendar NAME | --addressbook NAME]`:
// calendar and contact exports (Google Calendar .ics, Google Contacts .vcf) into CalDAV/CardDAV.
// The export is split by UID (overrides stay with their master), exact duplicates are skipped,
// each object is validated as a PUT would be, and what was imported and what was rejected (and
// why) is printed. Writes go to the instance's database in one durable transaction; a running
// server sees them at once (same SQLite file, WAL).
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "app/cmd_import_mail.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "core/crypto/crypto.hpp"
#include "dav/ical/ical.hpp"
#include "dav/server/service.hpp"
#include "dav/store/store.hpp"
#include "directory/address.hpp"

namespace hearth::app {
namespace {

constexpr const char* usage =
    "usage: hearth import ics FILE --user EMAIL [--calendar NAME]\n"
    "       hearth import vcf FILE --user EMAIL [--addressbook NAME]\n"
    "       hearth import mbox FILE --user EMAIL [--folder NAME]   (hearth import mbox --help)\n"
    "       hearth import maildir DIR --user EMAIL\n"
    "       hearth import takeout ZIP --user EMAIL   (Google Takeout: mail, calendars, contacts)\n"
    "  NAME is the collection's URL name (default: personal / contacts); it is created if missing.";

// A safe object name from a UID: the UID itself when it is plain, else a hash of it.
std::string object_name(const std::string& uid, const char* ext) {
  bool plain = !uid.empty() && uid.size() <= 120;
  for (char c : uid)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')) plain = false;
  return (plain ? uid : crypto::hex_encode(crypto::sha256(uid).substr(0, 16))) + ext;
}

}  // namespace

int cmd_import(const globals& g, const args& a) {
  if (!a.empty() && (a[0] == "mbox" || a[0] == "maildir")) return cmd_import_mail(g, a[0], args(a.begin() + 1, a.end()));
  if (!a.empty() && a[0] == "takeout") return cmd_import_takeout(g, args(a.begin() + 1, a.end()));
  auto p = parse_args(a, {"--user", "--calendar", "--addressbook"});
  if (p.help) {
    std::cout << usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, usage);
  if (p.positional.size() != 2) return usage_error("import needs a format (ics or vcf) and a file", usage);
  const std::string format = p.positional[0];
  if (format != "ics" && format != "vcf") return usage_error("the format is ics or vcf", usage);
  auto user_opt = p.option("--user");
  if (!user_opt) return usage_error("--user EMAIL is required", usage);
  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto account = dir->find_account(*user_opt);
  if (!account) return fail_with(1, "no such account: " + *user_opt);
  const std::string user = account->address;

  std::ifstream in(p.positional[1], std::ios::binary);
  if (!in) return fail_with(1, "cannot read " + p.positional[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();

  auto st = dav::store::open(database_target(*cfg));
  if (!st) return fail_with(1, "dav store: " + st.error().message);
  auto& store = **st;
  if (auto r = store.ensure_defaults(user); !r) return fail_with(1, r.error().message);
  const dav::kind k = format == "ics" ? dav::kind::calendar : dav::kind::addressbook;
  std::string coll_name = p.option(format == "ics" ? "--calendar" : "--addressbook").value_or(format == "ics" ? "personal" : "contacts");
  auto col = store.find_collection(user, k, coll_name);
  if (!col) return fail_with(1, col.error().message);
  if (!*col) {
    dav::collection c;
    c.owner = user;
    c.kind = k;
    c.name = coll_name;
    c.displayname = coll_name;
    c.components = k == dav::kind::calendar ? "VEVENT,VTODO,VJOURNAL" : "";
    auto made = store.create_collection(c);
    if (!made) return fail_with(1, made.error().message);
    *col = *made;
  }

  std::vector<dav::new_object> objs;
  std::size_t rejected = 0, duplicates = 0;
  auto reject = [&](const std::string& what, const std::string& why) {
    ++rejected;
    std::cerr << "rejected " << what << ": " << why << "\n";
  };
  if (k == dav::kind::calendar) {
    auto split = dav::ical::split_calendar(text);
    duplicates = split.duplicates;
    for (std::size_t i = 0; i < split.no_uid; ++i) reject("a component", "it has no UID");
    auto comps = "," + (*col)->components + ",";
    for (auto& o : split.objects) {
      auto info = dav::ical::inspect(o);
      if (!info) {
        reject("an object", info.error().message);
        continue;
      }
      if (comps.find("," + info->component + ",") == std::string::npos) {
        reject("UID " + info->uid, info->component + " is not accepted by this calendar");
        continue;
      }
      if (o.size() > cfg->dav_max_resource_size) {
        reject("UID " + info->uid, "larger than dav.max_resource_size");
        continue;
      }
      objs.push_back({object_name(info->uid, ".ics"), o, info->uid, info->component, info->first_start, info->last_end});
    }
  } else {
    std::set<std::string> seen;
    for (auto card : dav::ical::split_vcards(text)) {
      if (!seen.insert(card).second) {
        ++duplicates;
        continue;
      }
      auto info = dav::ical::inspect_vcard(card);
      if (!info && info.error().code == "vcard.no_uid") {
        // Google Contacts exports have no UID: give the card a stable one (from its text, so a
        // second import of the same file finds the same objects).
        auto end = card.rfind("END:VCARD");
        card.insert(end, "UID:urn:hearth:" + crypto::hex_encode(crypto::sha256(card).substr(0, 16)) + "\r\n");
        info = dav::ical::inspect_vcard(card);
      }
      if (!info) {
        reject("a vCard", info.error().message);
        continue;
      }
      objs.push_back({object_name(info->uid, ".vcf"), card, info->uid, "VCARD", 0, 0});
    }
  }
  auto res = store.put_batch((*col)->id, objs);
  if (!res) return fail_with(1, "import failed: " + res.error().message);
  if (k == dav::kind::addressbook)
    if (auto b = dav::rebuild_birthdays(store, user); !b)
      std::cerr << "warning: the birthday calendar was not updated: " << b.error().message << "\n";
  std::size_t created = 0, updated = 0, unchanged = 0;
  for (std::size_t i = 0; i < res->size(); ++i) {
    switch ((*res)[i]) {
      case dav::store::import_status::created: ++created; break;
      case dav::store::import_status::updated: ++updated; break;
      case dav::store::import_status::unchanged: ++unchanged; break;
      case dav::store::import_status::conflict: reject("UID " + objs[i].uid, "the UID is used by another object"); break;
    }
  }
  std::cout << "imported " << created << " new, " << updated << " updated, " << unchanged << " unchanged, " << duplicates
            << " duplicates skipped, " << rejected << " rejected into " << user << "/" << coll_name << "\n";
  return rejected > 0 && created + updated + unchanged == 0 ? 1 : 0;
}

}  // namespace hearth::app
