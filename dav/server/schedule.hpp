// CalDAV scheduling (RFC 6638) inside the DAV service: the schedule inbox and outbox, the
// scheduling properties, implicit scheduling on PUT and DELETE, free-busy by POST to the
// outbox, and delivery of iTIP messages to local calendar users. Shared between schedule*.cpp
// and the hooks in methods.cpp, propfind.cpp and service.cpp (not a public interface).
//
// Inbox and outbox are calendar collections of the store under reserved names, so sync
// tokens and PROPFIND work on them as on any collection; only these files write to them.
// Delivery runs in the request that caused it (the PUT returns once every local attendee has
// the message durably), which keeps a scheduling PUT's outcome visible in SCHEDULE-STATUS.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dav/ical/itip.hpp"
#include "dav/server/internal.hpp"

namespace hearth::dav::sched {

inline constexpr std::string_view inbox_name = "schedule-inbox";
inline constexpr std::string_view outbox_name = "schedule-outbox";

// The attendee's setting for new invitations, a dead property of their schedule inbox:
// <invitation-status xmlns="http://hearth.invalid/ns/">tentative|as-sent</invitation-status>.
inline constexpr std::string_view invitation_setting_ns = "http://hearth.invalid/ns/";
inline constexpr std::string_view invitation_setting = "invitation-status";

bool is_inbox(kind k, std::string_view coll);
bool is_outbox(kind k, std::string_view coll);
// Collections that hold no events of the user's own (inbox, outbox, birthdays): skipped by
// free-busy, the default calendar and UID lookups.
bool is_special(const collection& c);

// Makes the inbox and outbox the first time a user is seen by this process.
void ensure_boxes(service& s, const std::string& user);

// Requests the scheduling collections answer themselves (POST to the outbox) or refuse
// (writes into inbox and outbox); nullopt: dispatch as usual.
std::optional<http::response> guard(service& s, const std::string& user, const target& t, const http::request& req);

// A scheduling property of the node (RFC 6638 §2, §9), or nullopt to let propfind go on.
std::optional<std::string> property(const service& s, const std::string& user, const service::node& n, const xml::qname& q);

// What a PUT or DELETE of a calendar object means for scheduling, decided before the store
// changes and carried out after it did.
struct plan {
  enum role_t { none, organizer, attendee } role = none;
  std::string me;             // the user's address as it appears in the object
  std::string old_data;       // the object before this request ("" when new)
  ical::scheduling before, now;
  std::map<std::string, std::string> status;  // attendee -> SCHEDULE-STATUS set on the stored copy
  bool modified = false;      // the stored body differs from the one sent (no ETag in the answer)
  bool deleting = false;
};

// PUT: checks If-Schedule-Tag-Match and the attendee limit, decides the role and rewrites
// o.data with SCHEDULE-STATUS. An error answer, or nullopt to go on.
std::optional<http::response> before_put(service& s, const std::string& user, const collection& col,
                                         const http::request& req, new_object& o, plan& p);
// After the store took the PUT: sends the messages, sets Schedule-Tag (and drops the ETag when
// the body was rewritten).
void after_put(service& s, const std::string& user, const plan& p, const new_object& o, http::response& r);
std::optional<http::response> before_delete(service& s, const std::string& user, const collection& col,
                                            const http::request& req, const std::string& name, plan& p);
void after_delete(service& s, const std::string& user, const plan& p);
// The Schedule-Tag header for a GET of a scheduling object.
void tag_response(const std::string& data, http::response& r);

// ---- delivery (schedule_deliver.cpp) ----
// The local account an address belongs to (an account, or an alias resolving to exactly one).
std::optional<std::string> local_account(const service& s, const std::string& address);
// Whether the address's domain is one of ours.
bool local_domain(const service& s, const std::string& address);
// The user's calendar user addresses: the account and the aliases that reach only it.
std::vector<std::string> addresses_of(const service& s, const std::string& user);
// The writes of one fan-out, gathered across attendees and committed together
// (store::apply_writes): one fsync for the whole invitation instead of two per attendee.
struct delivery {
  std::vector<store::write> writes;
  std::vector<std::pair<std::string, collection>> owners;  // per write: the account and collection to notify
};
// Commits the gathered writes, then tells each collection's clients that it changed.
void commit(service& s, delivery& d);
// A REQUEST or CANCEL from an organizer to a local attendee: into their inbox, and their copy
// made, updated or removed (RFC 6638 §4.1). `address` is how the object names them. Reads now,
// writes into `d` (nothing is stored before commit()).
void deliver_to_attendee(service& s, const std::string& account, const std::string& address, const std::string& msg,
                         const ical::scheduling& info, delivery& d);
// The same for one attendee alone, committed at once (iMIP in).
void deliver_to_attendee(service& s, const std::string& account, const std::string& address, const std::string& msg,
                         const ical::scheduling& info);
// A REPLY to a local organizer: into their inbox, and the PARTSTAT applied to their copy.
// False when it matched no event of theirs or not an attendee of it.
bool deliver_reply(service& s, const std::string& account, const std::string& from, const std::string& msg,
                   const std::string& uid);
// A scheduling message for addresses outside our domains, through the iMIP sender; false when
// there is none or it failed.
bool send_imip(service& s, const std::string& from, const std::vector<std::string>& to, const std::string& msg,
               const ical::scheduling& info);

}  // namespace hearth::dav::sched
