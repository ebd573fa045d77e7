// Sharing of calendars and address books (not a public interface): the pure parsers of the
// ACL and sharing request bodies, and the store view that puts shared collections in their
// sharees' homes.
//
// A shared collection stays in its owner's home. Its sharee sees it in their own home under
// the share's mount name ("<owner>~<name>", dav/store/shares.hpp), so that every client finds
// it where it looks for collections (the home set) without ever being given a URL in another
// account's tree: the rule that another account's paths are 404 stays whole.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "dav/store/shares.hpp"
#include "dav/store/store.hpp"

namespace hearth::dav {

// One grant asked for by an ACL body (RFC 3744 §8.1) or a sharing POST (CalendarServer's
// CS:share, or draft-pot-webdav-resource-sharing's DAV:share-resource).
struct share_grant {
  std::string principal;  // the account address, lower case
  share_access access = share_access::read;
};

inline constexpr std::size_t max_share_grants = 100;

// The account an href names: "mailto:a@b", "/dav/principals/a@b/" (or an absolute URL of it).
std::optional<std::string> principal_of(std::string_view href);

// RFC 3744 §8.1 ACL body -> the grants it sets (the whole new list; ACEs naming `owner` and
// protected ones are left out). Errors ("dav.acl.<precondition>" codes, the RFC 3744 §8.1.1
// element to answer with): dav.acl.grant-only (a deny), dav.acl.allowed-principal (a principal
// other than an account's href), dav.acl.not-supported-privilege, dav.acl.no-ace-conflict
// (more than max_share_grants ACEs, or one principal twice), and "xml.*" / "dav.body".
result<std::vector<share_grant>> parse_acl(std::string_view body, std::string_view owner);

// CS:share (set/remove) or DAV:share-resource (sharee with share-access) -> grants, access none
// for a removal. Errors: "dav.body" (not such a body, or more than max_share_grants), "xml.*".
result<std::vector<share_grant>> parse_share(std::string_view body);

// CalendarServer's invite-reply (POSTed by the sharee to their home):
// <CS:invite-reply><D:href>mailto:sharee</D:href><CS:invite-accepted/> or <CS:invite-declined/>
// <CS:hosturl><D:href>...</D:href></CS:hosturl><CS:in-reply-to>uid</CS:in-reply-to>...
struct invite_reply {
  bool accept = false;
  std::string in_reply_to;  // the invitation's CS:uid
  std::string hosturl;      // the shared collection's href as the notification gave it
};
inline constexpr std::size_t max_invite_uid = 200;
// Errors: "dav.body" (not an invite-reply, no answer, no in-reply-to, or one longer than
// max_invite_uid), "xml.*".
result<invite_reply> parse_invite_reply(std::string_view body);

// The store as one account's requests see it: own collections, plus the collections shared
// with the account under their mount names (collection::name is the mount name, owner the real
// owner). Everything else goes to `base` unchanged.
std::unique_ptr<store> make_shared_view(store& base, share_store& shares);

}  // namespace hearth::dav
