// hearth share calendar|addressbook OWNER/NAME WITH-USER read|write|none;
// hearth share mailbox OWNER/NAME WITH-USER RIGHTS|none; hearth share list [USER]
#include <cstdio>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/mail_store_open.hpp"
#include "core/blob/store.hpp"
#include "dav/store/shares.hpp"
#include "dav/store/store.hpp"
#include "directory/directory.hpp"
#include "mail/imap/server/acl.hpp"
#include "mail/store/acl.hpp"
#include "mail/store/seen.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] share COMMAND\n\n"
    "commands:\n"
    "  calendar OWNER/NAME USER read|write|none\n"
    "  addressbook OWNER/NAME USER read|write|none\n"
    "                      share OWNER's calendar or address book NAME (its URL segment, e.g.\n"
    "                      personal, contacts) with the account USER: read-only, read-write, or\n"
    "                      no longer; it appears in USER's calendar or address book home\n"
    "  mailbox OWNER/NAME USER RIGHTS|none\n"
    "                      share OWNER's mailbox NAME (e.g. INBOX, Invoices) with the account USER,\n"
    "                      with RFC 4314 rights (l lookup, r read, s keep seen, w write flags,\n"
    "                      i insert, p post, k create, x delete, t delete messages, e expunge,\n"
    "                      a administer; e.g. lrs to read, lrswipte to work in it), or no longer;\n"
    "                      USER sees it in IMAP as shared/OWNER/NAME\n"
    "  list [USER]         shares of USER's collections and shares with USER (all without USER)\n";

const char* kind_name(dav::kind k) { return k == dav::kind::calendar ? "calendar" : "addressbook"; }
const char* access_name(dav::share_access a) {
  return a == dav::share_access::write ? "write" : a == dav::share_access::read ? "read" : "none";
}

// hearth share mailbox OWNER/NAME USER RIGHTS|none
int share_mailbox(const config::config& cfg, directory::directory& dir, const std::string& spec,
                  const std::string& user, const std::string& level) {
  auto slash = spec.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spec.size())
    return usage_error("the mailbox is OWNER/NAME, e.g. alice@example.org/INBOX", usage);
  auto owner = dir.find_account(spec.substr(0, slash));
  if (!owner) return fail_with(1, "no such account: " + spec.substr(0, slash));
  auto sharee = dir.find_account(user);
  if (!sharee) return fail_with(1, "no such account: " + user);
  if (sharee->address == owner->address) return fail_with(1, "a mailbox is not shared with its owner");
  auto rights = level == "none" ? std::optional<std::string>("") : mail::imap::canonical_rights(level);
  if (!rights || (level != "none" && rights->empty()))
    return usage_error("rights are letters of lrswipkxtea (RFC 4314), or none", usage);
  blob::store blobs(blob_dir(cfg));
  auto ms = open_mail_store(cfg, blobs, &dir);
  if (!ms) return fail_with(1, "mail store: " + ms.error().message);
  auto mb = (*ms)->status(owner->address, spec.substr(slash + 1));  // also makes the defaults
  if (!mb) return fail_with(1, "no such mailbox: " + spec);
  auto acl = mail::acl_store::open(database_target(cfg));
  if (!acl) return fail_with(1, "mail store: " + acl.error().message);
  auto had = (*acl)->set(owner->address, mb->name, sharee->address, *rights);
  if (!had) return fail_with(1, had.error().message);
  // A sharee who can no longer read the mailbox loses their own \Seen state of it (seen.hpp).
  auto seen = mail::seen_store::open(database_target(cfg));
  if (!seen) return fail_with(1, "mail store: " + seen.error().message);
  if (auto dropped = (*seen)->drop_unreadable(owner->address, mb->name); !dropped)
    return fail_with(1, dropped.error().message);
  const std::string shown = owner->address + "/" + mb->name;
  if (rights->empty()) {
    std::printf(*had ? "mailbox %s no longer shared with %s\n" : "mailbox %s was not shared with %s\n", shown.c_str(),
                sharee->address.c_str());
    return 0;
  }
  std::printf("mailbox %s shared with %s (%s), as shared/%s in their IMAP folders\n", shown.c_str(),
              sharee->address.c_str(), rights->c_str(), shown.c_str());
  return 0;
}

}  // namespace

int cmd_share(const globals& g, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string sub = p.positional[0];
  const size_t n = p.positional.size();
  const bool set = (sub == "calendar" || sub == "addressbook" || sub == "mailbox") && n == 4;
  if (!set && !(sub == "list" && n <= 2)) return usage_error("bad share command", usage);

  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  if (sub == "mailbox") return share_mailbox(*cfg, *dir, p.positional[1], p.positional[2], p.positional[3]);
  auto st = dav::store::open(database_target(*cfg));
  if (!st) return fail_with(1, "dav store: " + st.error().message);
  auto sh = dav::share_store::open(database_target(*cfg));
  if (!sh) return fail_with(1, "dav store: " + sh.error().message);
  auto& store = **st;
  auto& shares = **sh;

  if (sub == "list") {
    std::vector<std::string> users;
    if (n == 2) {
      auto acc = dir->find_account(p.positional[1]);
      if (!acc) return fail_with(1, "no such account: " + p.positional[1]);
      users.push_back(acc->address);
    } else {
      for (const auto& acc : dir->accounts()) users.push_back(acc.address);
    }
    auto acl = mail::acl_store::open(database_target(*cfg));
    if (!acl) return fail_with(1, "mail store: " + acl.error().message);
    auto print_grants = [](const std::vector<mail::acl_grant>& grants) {
      for (const auto& a : grants)
        std::printf("mailbox %s/%s %s %s as shared/%s/%s\n", a.owner.c_str(), a.mailbox.c_str(), a.identifier.c_str(),
                    a.rights.c_str(), a.owner.c_str(), a.mailbox.c_str());
    };
    for (const auto& u : users) {
      auto granted = (*acl)->of_owner(u);
      if (!granted) return fail_with(1, granted.error().message);
      print_grants(*granted);
      if (n == 2) {
        auto with = (*acl)->for_user(u);
        if (!with) return fail_with(1, with.error().message);
        print_grants(*with);
      }
      auto own = shares.of_owner(u);
      if (!own) return fail_with(1, own.error().message);
      // A share a client made waits for the sharee's answer until accepted: say so.
      for (const auto& s : *own)
        std::printf("%s %s/%s %s %s as %s%s\n", kind_name(s.kind), s.owner.c_str(), s.coll_name.c_str(), s.sharee.c_str(),
                    access_name(s.access), s.mount.c_str(),
                    s.state == dav::share_state::invited    ? " (invited)"
                    : s.state == dav::share_state::declined ? " (declined)"
                                                            : "");
      if (n != 2) continue;  // the full list already has every share once
      for (auto k : {dav::kind::calendar, dav::kind::addressbook}) {
        auto with = shares.for_sharee(u, k);
        if (!with) return fail_with(1, with.error().message);
        for (const auto& s : *with)
          std::printf("%s %s/%s %s %s as %s\n", kind_name(s.kind), s.owner.c_str(), s.coll_name.c_str(), s.sharee.c_str(),
                      access_name(s.access), s.mount.c_str());
      }
    }
    return 0;
  }

  const dav::kind k = sub == "calendar" ? dav::kind::calendar : dav::kind::addressbook;
  const std::string& spec = p.positional[1];
  auto slash = spec.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spec.size())
    return usage_error("the collection is OWNER/NAME, e.g. alice@example.org/personal", usage);
  auto owner = dir->find_account(spec.substr(0, slash));
  if (!owner) return fail_with(1, "no such account: " + spec.substr(0, slash));
  auto sharee = dir->find_account(p.positional[2]);
  if (!sharee) return fail_with(1, "no such account: " + p.positional[2]);
  if (sharee->address == owner->address) return fail_with(1, "a collection is not shared with its owner");
  const std::string& level = p.positional[3];
  dav::share_access access;
  if (level == "read") access = dav::share_access::read;
  else if (level == "write") access = dav::share_access::write;
  else if (level == "none") access = dav::share_access::none;
  else return usage_error("access is read, write or none", usage);

  if (auto r = store.ensure_defaults(owner->address); !r) return fail_with(1, r.error().message);
  const std::string name = spec.substr(slash + 1);
  auto col = store.find_collection(owner->address, k, name);
  if (!col) return fail_with(1, col.error().message);
  if (!*col) return fail_with(1, std::string("no such ") + kind_name(k) + ": " + spec);
  // The birthday calendar is made from the owner's contacts: sharing their contacts is the
  // way to share it.
  if (k == dav::kind::calendar && name == "contact-birthdays") return fail_with(1, "the birthday calendar cannot be shared");
  const std::string who = sharee->address;
  auto taken = [&](const std::string& mount) {
    auto c = store.find_collection(who, k, mount);
    return !c || c->has_value();
  };
  auto r = shares.set(**col, who, access, taken);
  if (!r) return fail_with(1, r.error().message);
  if (access == dav::share_access::none) {
    std::printf(*r ? "%s %s no longer shared with %s\n" : "%s %s was not shared with %s\n", kind_name(k), spec.c_str(),
                who.c_str());
    return 0;
  }
  std::printf("%s %s shared with %s (%s), as %s in their home\n", kind_name(k), spec.c_str(), who.c_str(), level.c_str(),
              (*r)->mount.c_str());
  return 0;
}

}  // namespace hearth::app
