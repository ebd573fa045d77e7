// The CalDAV/CardDAV service: WebDAV (RFC 4918 subset), CalDAV (RFC 4791), CardDAV (RFC 6352),
// sync-collection (RFC 6578), extended MKCOL (RFC 5689), the RFC 3744 properties clients ask
// for, and RFC 6764 discovery. register_routes() puts it on the HTTPS router:
//
//   /dav/                                   root (current-user-principal)
//   /dav/principals/<address>/              the account's principal
//   /dav/calendars/<address>/<cal>/<obj>    calendar home, calendars, calendar objects
//   /dav/addressbooks/<address>/<ab>/<obj>  address book home, address books, vCards
//   /.well-known/caldav, /.well-known/carddav   301 to /dav/ (PROPFIND answered in place)
//
// Every request except OPTIONS needs HTTP Basic (the full address and its password or an app
// password); successful checks are cached in memory for cache_ttl, keyed by an HMAC of
// user and password, so that Argon2id runs once per minute per client, not once per request.
// A user sees only their own homes: anything else is 404 (nothing about it is revealed).
//
// Thread-safe: handlers run concurrently on the blocking pool.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/http/router.hpp"
#include "core/util/result.hpp"

namespace hearth::auth {
class authenticator;
}
namespace hearth::events {
class bus;
}
namespace hearth::directory {
class directory;
}

namespace hearth::dav {

class store;
class imip_sender;
class share_store;

struct options {
  std::uint64_t max_resource_size = 10 * 1024 * 1024;  // CalDAV/CardDAV max-resource-size
  std::chrono::seconds cache_ttl{60};
  std::string cache_key;  // HMAC key of the credential cache; empty = random
  // Scheduling (RFC 6638): who else is a local calendar user (null: nobody), and how messages
  // for attendees outside our domains leave as iMIP mail (null: they are not sent).
  directory::directory* dir = nullptr;
  std::shared_ptr<imip_sender> imip;
  // Sharing (sharing.hpp): null turns it off. is_account says whether an address is a local
  // account that a collection may be shared with. Both must outlive the router.
  share_store* shares = nullptr;
  std::function<bool(const std::string&)> is_account;
};

class service;

// Registers the DAV routes. The store, authenticator and bus must outlive the router.
std::shared_ptr<service> register_routes(http::router& r, store& st, auth::authenticator& authn, events::bus* bus,
                                         options opts = {});

// Brings the user's read-only birthday calendar in step with all their contacts, for writers
// that bypass the DAV handlers (`hearth import`). True when it changed.
result<bool> rebuild_birthdays(store& st, const std::string& user);

// iMIP in (RFC 6047 §3): the text/calendar part of a mail delivered to the local `account`,
// whose RFC 5322 From address is `from`; `from_aligned` is the mail side's verdict that From is
// not forged (DMARC pass). A REPLY from an attendee updates the organizer's copy; a REQUEST or
// CANCEL from an organizer goes to the schedule inbox and the attendee's calendar. Returns what
// was done, for the log ("applied", or "ignored: " and why). Thread-safe, blocking.
std::string receive_imip(service& s, const std::string& account, const std::string& from, bool from_aligned,
                         const std::string& ics);

// The schedule inbox and outbox (RFC 6638 §2): calendar collections the server keeps under
// these reserved names, not the user's own data (`hearth export` skips them).
bool is_schedule_box(std::string_view calendar_name);

// For tests and benchmarks: the handler behind every DAV route.
http::response handle(service& s, const http::request& req);

}  // namespace hearth::dav
