// CalendarServer's sharing invitations (caldav-sharing.txt, as Apple Calendar and DAVx5 use
// them): a share made by the owner's client (POST CS:share or DAV:share-resource) waits for
// the sharee's answer. The sharee finds it in their notification collection (the principal's
// CS:notification-URL): one CS:invite-notification resource per invitation not yet answered.
// They answer with a CS:invite-reply POSTed to their home; accepted, the collection appears in
// their home set; declined (or the notification deleted), it does not.
//
// The notification collection is not in the store: it is a view of the share store's
// invitations, so nothing can get out of step.
#include <algorithm>
#include <ctime>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "dav/server/internal.hpp"
#include "dav/server/sharing.hpp"

namespace hearth::dav {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

std::string el(const xml::qname& n, std::string_view inner_xml) {
  if (inner_xml.empty()) return "<" + xml::writer::tag(n, true) + "/>";
  return "<" + xml::writer::tag(n, true) + ">" + std::string(inner_xml) + "</" + xml::writer::tag(n, false) + ">";
}
std::string href(std::string_view h) { return "<d:href>" + xml::escape(h) + "</d:href>"; }

std::string item_name(const share& s) { return s.uid + ".xml"; }

// The notification's body (caldav-sharing.txt §5.5.2 invite-notification).
std::string notification_xml(const share& s, const collection* col) {
  std::string x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                  "<cs:notification xmlns:d=\"DAV:\" xmlns:cs=\"http://calendarserver.org/ns/\" "
                  "xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><cs:dtstamp>" +
                  ical::format_utc(std::time(nullptr)) + "</cs:dtstamp><cs:invite-notification shared-type=\"" +
                  (s.kind == kind::calendar ? "calendar" : "addressbook") + "\"><cs:uid>" + xml::escape(s.uid) +
                  "</cs:uid>" + href("mailto:" + s.sharee) + "<cs:invite-noresponse/><cs:access>" +
                  (s.access == share_access::write ? "<cs:read-write/>" : "<cs:read/>") + "</cs:access><cs:hosturl>" +
                  href(href_coll(s.kind, s.owner, s.coll_name)) + "</cs:hosturl><cs:organizer>" + href("mailto:" + s.owner) +
                  "<cs:common-name>" + xml::escape(s.owner) + "</cs:common-name></cs:organizer><cs:summary>" +
                  xml::escape(col && !col->displayname.empty() ? col->displayname : s.coll_name) + "</cs:summary>";
  if (col && s.kind == kind::calendar) {
    x += "<c:supported-calendar-component-set>";
    std::string comps = col->components;
    for (std::size_t i = 0; i <= comps.size();) {
      auto j = comps.find(',', i);
      if (j == std::string::npos) j = comps.size();
      if (j > i) x += "<c:comp name=\"" + xml::escape(comps.substr(i, j - i)) + "\"/>";
      i = j + 1;
    }
    x += "</c:supported-calendar-component-set>";
  }
  return x + "</cs:invite-notification></cs:notification>\n";
}

}  // namespace

std::optional<http::response> service::invite_gate(ctx& c) {
  if (!opts_.shares) return std::nullopt;
  const auto& t = c.t;
  const auto& m = c.req.method;
  if (t.type == target::home && m == "POST") {
    auto reply = parse_invite_reply(c.req.body);
    if (!reply) return plain(400, reply.error().message);
    auto done = must(opts_.shares->answer(c.user, reply->in_reply_to, reply->accept));
    // caldav-sharing.txt §5.3: an answer to no invitation of this user.
    if (!done) return error_response(403, xml::cs("valid-share"));
    log::info("dav.share", {{"owner", done->owner}, {"collection", done->coll_name}, {"sharee", c.user},
                            {"answer", reply->accept ? "accepted" : "declined"}, {"mount", done->mount}});
    if (!reply->accept) {
      http::response r;
      r.status = 204;
      return r;
    }
    // §5.3.2: the accepted collection's URL in the sharee's home.
    return xml_response(200, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<cs:shared-as xmlns:d=\"DAV:\" "
                             "xmlns:cs=\"http://calendarserver.org/ns/\">" +
                                 href(href_coll(done->kind, c.user, done->mount)) + "</cs:shared-as>");
  }
  if ((t.type != target::coll && t.type != target::obj) || t.kind != kind::calendar || t.coll_name != notifications_name)
    return std::nullopt;
  auto pending = must(opts_.shares->invitations(c.user));
  const share* item = nullptr;
  if (t.type == target::obj)
    for (const auto& s : pending)
      if (item_name(s) == t.obj_name) item = &s;
  if (t.type == target::obj && !item) return plain(404, "Not Found");
  auto owner_coll = [&](const share& s) { return must(store_.find_collection(s.owner, s.kind, s.coll_name)); };
  if (m == "GET" || m == "HEAD") {
    if (!item) return plain(405, "Method Not Allowed");
    auto col = owner_coll(*item);
    auto r = xml_response(200, notification_xml(*item, col ? &*col : nullptr));
    r.headers.emplace_back("ETag", etag_of(item->uid + std::to_string(static_cast<int>(item->access))));
    if (m == "HEAD") r.body.clear();
    return r;
  }
  if (m == "DELETE" && item) {
    // Deleting the notification without answering declines (the collection never appears).
    must(opts_.shares->answer(c.user, item->uid, false));
    log::info("dav.share", {{"owner", item->owner}, {"collection", item->coll_name}, {"sharee", c.user},
                            {"answer", "declined"}, {"by", "delete"}});
    http::response r;
    r.status = 204;
    return r;
  }
  if (m != "PROPFIND") return error_response(403, xml::dav("need-privileges"));
  auto pf = parse_propfind(c.req.body);
  if (!pf) return plain(400, pf.error().message);
  const bool deep = c.req.header("depth") != "0";
  // The collection's change tag: what invitations wait, with which access.
  std::string state;
  for (const auto& s : pending) state += s.uid + ":" + std::to_string(static_cast<int>(s.access)) + ";";
  const std::string ctag = "\"" + crypto::hex_encode(crypto::sha256(state).substr(0, 16)) + "\"";
  xml::writer w;
  w.open_root(xml::dav("multistatus"));
  auto emit = [&](const std::string& h, const share* s) {
    std::string ok, missing;
    auto want = [&](const xml::qname& q) {
      return pf->mode != propfind_req::prop || std::find(pf->props.begin(), pf->props.end(), q) != pf->props.end();
    };
    std::vector<std::pair<xml::qname, std::string>> have;
    if (!s) {
      have = {{xml::dav("resourcetype"), "<d:collection/><cs:notification/>"},
              {xml::dav("displayname"), "Notifications"},
              {xml::cs("getctag"), ctag},
              {xml::dav("getetag"), ctag}};
    } else {
      have = {{xml::dav("resourcetype"), ""},
              {xml::dav("getcontenttype"), "application/xml; charset=utf-8"},
              {xml::dav("getetag"), xml::escape(etag_of(s->uid + std::to_string(static_cast<int>(s->access))))},
              {xml::cs("notificationtype"), "<cs:invite-notification shared-type=\"" +
                                                std::string(s->kind == kind::calendar ? "calendar" : "addressbook") +
                                                "\"/>"}};
    }
    for (auto& [q, v] : have)
      if (want(q)) ok += pf->mode == propfind_req::propname ? el(q, "") : el(q, v);
    if (pf->mode == propfind_req::prop)
      for (auto& q : pf->props) {
        bool known = false;
        for (auto& [hq, v] : have) known = known || hq == q;
        if (!known) missing += el(q, "");
      }
    w.open(xml::dav("response")).text_element(xml::dav("href"), h);
    if (!ok.empty() || missing.empty())
      w.raw("<d:propstat><d:prop>" + ok + "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>");
    if (!missing.empty())
      w.raw("<d:propstat><d:prop>" + missing + "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>");
    w.close(xml::dav("response"));
  };
  const std::string base = href_coll(kind::calendar, c.user, notifications_name);
  if (item) {
    emit(base + pct(item_name(*item)), item);
  } else {
    emit(base, nullptr);
    if (deep)
      for (const auto& s : pending) emit(base + pct(item_name(s)), &s);
  }
  w.close(xml::dav("multistatus"));
  return xml_response(207, w.take());
}

}  // namespace hearth::dav
