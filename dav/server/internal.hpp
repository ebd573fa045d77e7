// Shared between the DAV handler files (not a public interface).
#pragma once
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/router.hpp"
#include "dav/ical/ical.hpp"
#include "dav/server/service.hpp"
#include "dav/store/shares.hpp"
#include "dav/store/store.hpp"
#include "dav/xml/xml.hpp"

namespace hearth::dav {

inline constexpr std::string_view root_path = "/dav/";
inline constexpr std::string_view dav_header =
    "1, 3, access-control, calendar-access, addressbook, extended-mkcol, calendar-auto-schedule, calendarserver-sharing, resource-sharing";

// What a request path names.
struct target {
  enum type_t { none, root, principals, principal, home, coll, obj } type = none;
  dav::kind kind = kind::calendar;
  std::string user, coll_name, obj_name;
};

inline target make_target(target::type_t ty, kind k = kind::calendar, std::string user = {}, std::string coll = {},
                          std::string obj = {}) {
  target t;
  t.type = ty;
  t.kind = k;
  t.user = std::move(user);
  t.coll_name = std::move(coll);
  t.obj_name = std::move(obj);
  return t;
}

// Parses a decoded path (or an href, after percent-decoding, with scheme and host removed).
target parse_path(std::string_view path);
std::string pct(std::string_view segment);  // percent-encodes one path segment
std::string href_principal(std::string_view user);
std::string href_home(kind k, std::string_view user);
std::string href_coll(kind k, std::string_view user, std::string_view coll);
std::string href_obj(kind k, std::string_view user, std::string_view coll, std::string_view obj);
// An href from a request body ("/dav/..." or "https://host/dav/..."), decoded; nullopt if bad.
std::optional<std::string> href_to_path(std::string_view href);

// ---- parsed request bodies (request.cpp; pure) ----
struct propfind_req {
  enum mode_t { prop, allprop, propname } mode = allprop;
  std::vector<xml::qname> props;
  std::vector<xml::element> raw;  // the requested prop elements (calendar-data may carry expand)
};
result<propfind_req> parse_propfind(std::string_view body);

struct proppatch_op {
  bool remove = false;
  xml::element prop;
};
result<std::vector<proppatch_op>> parse_proppatch(std::string_view body);  // also mkcol/mkcalendar set bodies

struct report_req {
  xml::qname name;
  propfind_req props;
  std::vector<std::string> hrefs;  // multiget
  ical::comp_filter cal_filter;    // calendar-query
  ical::addressbook_filter card_filter;
  std::optional<std::int64_t> limit;
  std::string sync_token;          // sync-collection
  std::string sync_level = "1";
  std::optional<ical::calendar_data_spec> cal_data;       // calendar-data with comp/expand/limit-*
  std::optional<std::vector<ical::prop_select>> card_props;  // address-data with prop (else allprop)
  std::optional<std::string> card_version;                   // address-data version="..." when given
  std::optional<ical::time_range> fb_range;                // free-busy-query
  std::optional<std::string> timezone;                     // calendar-query CALDAV:timezone (§9.8)
  const ical::zone* floating = nullptr;  // set by do_report: the zone for floating times
};
// Errors: "xml.*" from the parser; "dav.filter" (valid-filter), "dav.collation"
// (supported-collation), "dav.report" (unknown report), "dav.data" (a calendar-data or
// address-data element we cannot honour: supported-calendar-data / supported-address-data).
result<report_req> parse_report(std::string_view body);

// The user's notification collection (CalendarServer's notification-URL), in their calendar
// home under a name no calendar may take.
inline constexpr std::string_view notifications_name = "notifications";
// A name we accept as a path segment for a collection or an object.
bool valid_name(std::string_view n);
// The read-only calendar of the contacts' birthdays (birthdays.cpp); a name clients do not
// pick for their own calendars.
inline constexpr std::string_view birthday_calendar = "contact-birthdays";
bool is_birthday_calendar(kind k, std::string_view coll_name);
// The CalDAV or CardDAV precondition element `local` for a collection of kind k.
xml::qname res_precondition(kind k, std::string_view local);

// ---- responses ----
http::response xml_response(int status, std::string body);
// <d:error><PRECONDITION/></d:error> with the given status.
http::response error_response(int status, const xml::qname& precondition, std::string_view inner = {});
http::response plain(int status, std::string_view text);
std::string status_line(int status);  // "HTTP/1.1 200 OK"

// ---- the service ----
class service {
 public:
  service(store& st, auth::authenticator& authn, events::bus* bus, options opts);
  http::response handle(const http::request& req);

 private:
  struct ctx {
    const http::request& req;
    std::string user;  // authenticated account address
    target t;
  };
  struct cache_entry {
    std::string address;
    std::chrono::steady_clock::time_point expires;
  };

  std::optional<http::response> authenticate(const http::request& req, std::string& user);
  http::response dispatch(ctx& c);

  // methods.cpp (COPY/MOVE: copy_move.cpp)
  http::response do_options(ctx& c);
  http::response do_get(ctx& c, bool head);
  http::response do_put(ctx& c);
  http::response do_delete(ctx& c);
  http::response do_mkcol(ctx& c, bool mkcalendar);
  http::response do_proppatch(ctx& c);
  http::response do_copy_move(ctx& c, bool move);
  http::response do_copy_move_collection(ctx& c, bool move);
  // propfind.cpp
  http::response do_propfind(ctx& c);
  // report.cpp
  http::response do_report(ctx& c);
  // sharing.cpp: requests on a collection shared with the user (nullopt: dispatch goes on),
  // ACL and the sharing POST on the owner's collections.
  std::optional<http::response> share_gate(ctx& c);
  http::response do_acl(ctx& c);
  http::response do_share_post(ctx& c);
  // sharing_invites.cpp: the notification collection (CalendarServer's invite-notification
  // resources, one per invitation the user has not answered) and the invite-reply POST on the
  // user's homes; nullopt when the request is not one of them.
  std::optional<http::response> invite_gate(ctx& c);

 public:
  // Rendering (propfind.cpp), used by reports too.
  struct node {
    target t;
    std::string href;
    const collection* coll = nullptr;
    const object* obj = nullptr;
  };
  void render(xml::writer& w, const std::string& user, const node& n, const propfind_req& pf,
              const report_req* rep = nullptr);
  void changed(const std::string& user, const collection& c);
  // birthdays.cpp: bring the birthday calendar in step with one contact (card null: deleted),
  // or with every contact of the user (after collection-wide changes).
  void sync_birthdays(const std::string& user, const std::string& book, const std::string& obj, const std::string* card);
  void rebuild_birthdays(const std::string& user);
  // sharing_props.cpp: the sharing and ACL properties of a collection or object node (acl,
  // current-user-privilege-set, owner, CS:invite, DAV:share-access...), or nullopt when `q` is
  // not one of them. `found` is false when the property does not apply (404).
  std::optional<std::string> sharing_prop(const std::string& user, const node& n, const xml::qname& q, bool& found) const;
  // The access `user` has to a collection node (write for the owner).
  share_access access_to(const std::string& user, const collection& c) const;

 private:
  std::unique_ptr<store> view_;  // the shared view over the constructor's store (sharing on)

 public:
  store& store_;
  auth::authenticator& authn_;
  events::bus* bus_;
  options opts_;

 private:
  std::mutex cache_mu_;
  std::map<std::string, cache_entry> cache_;
  std::string cache_key_;
};

}  // namespace hearth::dav
