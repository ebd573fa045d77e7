// The properties of sharing and access control on collections and their objects: RFC 3744
// (owner, current-user-privilege-set, acl), CalendarServer's sharing (CS:invite,
// CS:allowed-sharing-modes) and draft-pot-webdav-resource-sharing (DAV:share-access, DAV:invite),
// which DAVx5 and Apple clients read to show who shares what and whether it is read-only.
#include "dav/server/internal.hpp"

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
// The invitation status element's name (CalendarServer and draft-pot-webdav-resource-sharing
// use the same local names).
std::string answer_name(share_state s) {
  return s == share_state::accepted ? "invite-accepted" : s == share_state::declined ? "invite-declined" : "invite-noresponse";
}
std::string priv(std::string_view local) { return "<d:privilege><d:" + std::string(local) + "/></d:privilege>"; }

// A sharee's rights (RFC 3744 §3): reading, and with write access the object-level rights
// (write-content, bind, unbind) without DAV:write itself, which would include
// write-properties: a sharee changes events and contacts, not the collection.
std::string sharee_privileges(share_access a) {
  std::string p = priv("read") + priv("read-current-user-privilege-set");
  if (a == share_access::write) p += priv("write-content") + priv("bind") + priv("unbind");
  return p;
}

}  // namespace

share_access service::access_to(const std::string& user, const collection& c) const {
  if (c.owner == user) return share_access::write;
  if (!opts_.shares) return share_access::none;
  auto s = must(opts_.shares->find_mount(user, c.kind, c.name));
  return s ? s->access : share_access::none;
}

std::optional<std::string> service::sharing_prop(const std::string& user, const node& n, const xml::qname& q,
                                                 bool& found) const {
  found = true;
  if (!opts_.shares || !n.coll) return std::nullopt;
  const bool dav_ns = q.ns == xml::ns_dav, cs_ns = q.ns == xml::ns_cs;
  if (!dav_ns && !cs_ns) return std::nullopt;
  const auto& l = q.local;
  const collection& col = *n.coll;
  const bool shared_in = col.owner != user;  // a collection shared with `user`
  const bool on_coll = n.t.type == target::coll;
  if (dav_ns && l == "owner") return el(q, href(href_principal(col.owner)));
  if (dav_ns && l == "current-user-privilege-set") {
    if (!shared_in) return std::nullopt;  // the owner's: propfind.cpp
    return el(q, sharee_privileges(access_to(user, col)));
  }
  const bool sharing_prop = (dav_ns && (l == "acl" || l == "share-access" || l == "invite")) ||
                            (cs_ns && (l == "invite" || l == "allowed-sharing-modes"));
  if (!sharing_prop) return std::nullopt;
  found = false;
  if (!on_coll || (!shared_in && is_birthday_calendar(col.kind, col.name)))
    return std::nullopt;
  if (cs_ns && l == "allowed-sharing-modes") {
    found = true;
    return el(q, shared_in ? "" : "<cs:can-be-shared/>");
  }
  if (dav_ns && l == "share-access") {
    found = true;
    if (shared_in) return el(q, access_to(user, col) == share_access::write ? "<d:read-write/>" : "<d:read/>");
    return el(q, must(opts_.shares->of_collection(col.id)).empty() ? "<d:not-shared/>" : "<d:shared-owner/>");
  }
  // The list of sharees is the owner's business (RFC 3744 §3.7: read-acl); a sharee sees the
  // owner and their own entry only.
  std::vector<share> list;
  if (shared_in) {
    if (auto s = must(opts_.shares->find_mount(user, col.kind, col.name))) list.push_back(*s);
  } else {
    list = must(opts_.shares->of_collection(col.id));
  }
  if (dav_ns && l == "acl") {
    if (shared_in) return std::nullopt;
    found = true;
    std::string aces = "<d:ace><d:principal>" + href(href_principal(col.owner)) + "</d:principal><d:grant>" + priv("all") +
                       "</d:grant><d:protected/></d:ace>";
    for (const auto& s : list)
      if (s.state == share_state::accepted)
        aces += "<d:ace><d:principal>" + href(href_principal(s.sharee)) + "</d:principal><d:grant>" + priv("read") +
              (s.access == share_access::write ? priv("write") : "") + "</d:grant></d:ace>";
    return el(q, aces);
  }
  found = true;
  std::string inner;
  if (cs_ns) {
    inner = "<cs:organizer>" + href("mailto:" + col.owner) + "<cs:common-name>" + xml::escape(col.owner) +
            "</cs:common-name></cs:organizer>";
    for (const auto& s : list)
      inner += "<cs:user>" + href("mailto:" + s.sharee) + "<cs:common-name>" + xml::escape(s.sharee) +
               "</cs:common-name><cs:" + answer_name(s.state) + "/><cs:access>" +
               (s.access == share_access::write ? "<cs:read-write/>" : "<cs:read/>") + "</cs:access></cs:user>";
  } else {
    inner = "<d:sharee>" + href(href_principal(col.owner)) + "<d:invite-accepted/><d:share-access><d:shared-owner/>"
            "</d:share-access></d:sharee>";
    for (const auto& s : list)
      inner += "<d:sharee>" + href(href_principal(s.sharee)) + "<d:" + answer_name(s.state) + "/><d:share-access>" +
               (s.access == share_access::write ? "<d:read-write/>" : "<d:read/>") + "</d:share-access></d:sharee>";
  }
  return el(q, inner);
}

}  // namespace hearth::dav
