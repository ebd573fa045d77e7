// Sharing requests: what a sharee may do in a collection shared with them (share_gate), and
// how an owner shares one: the ACL method (RFC 3744 §8.1, limited to read and read-write grants
// to local accounts) and the sharing POST of CalendarServer (CS:share) and of
// draft-pot-webdav-resource-sharing (DAV:share-resource). A sharing POST is an invitation the
// sharee answers (sharing_invites.cpp), as Apple Calendar and DAVx5 expect; the ACL method and
// `hearth share` (the admin's path, for clients that do not speak the invitation protocol) share
// at once.
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

const char* access_name(share_access a) {
  return a == share_access::write ? "write" : a == share_access::read ? "read" : "none";
}

http::response need_privileges() { return error_response(403, xml::dav("need-privileges")); }

}  // namespace

std::optional<http::response> service::share_gate(ctx& c) {
  if (!opts_.shares) return std::nullopt;
  const auto& m = c.req.method;
  // A COPY or MOVE whose destination is a shared collection would write there with the
  // source's rights: refused, whatever the access.
  if (m == "COPY" || m == "MOVE") {
    if (auto dest = href_to_path(c.req.header("destination"))) {
      auto d = parse_path(*dest);
      if ((d.type == target::coll || d.type == target::obj) && d.user == c.user &&
          must(opts_.shares->find_mount(c.user, d.kind, d.coll_name)))
        return need_privileges();
    }
  }
  const auto& t = c.t;
  if ((t.type != target::coll && t.type != target::obj) || t.user != c.user) return std::nullopt;
  auto s = must(opts_.shares->find_mount(c.user, t.kind, t.coll_name));
  if (!s) return std::nullopt;
  if (m == "PROPFIND" || m == "REPORT" || m == "GET" || m == "HEAD") return std::nullopt;
  // The sharee removes the collection from their home: the share ends (CalendarServer does
  // the same); the owner's collection is untouched.
  if (m == "DELETE" && t.type == target::coll) {
    collection col;
    col.id = s->coll_id;
    col.owner = s->owner;
    col.kind = s->kind;
    col.name = s->coll_name;
    must(opts_.shares->set(col, c.user, share_access::none, [](const std::string&) { return false; }));
    log::info("dav.share", {{"owner", s->owner}, {"collection", s->coll_name}, {"sharee", c.user}, {"access", "none"},
                            {"by", "sharee"}});
    http::response r;
    r.status = 204;
    return r;
  }
  // Objects only: the collection's properties, its ACL and its sharing stay the owner's, and
  // a sharee cannot pass the collection on (RFC 3744 §7.1.1: need-privileges).
  if ((m != "PUT" && m != "DELETE") || t.type != target::obj || s->access != share_access::write)
    return need_privileges();
  auto r = m == "PUT" ? do_put(c) : do_delete(c);
  if (r.status >= 200 && r.status < 300) {
    // The owner's clients and the owner's birthday calendar follow the sharee's change.
    collection col;
    col.id = s->coll_id;
    col.owner = s->owner;
    col.kind = s->kind;
    col.name = s->coll_name;
    changed(s->owner, col);
    if (s->kind == kind::addressbook)
      sync_birthdays(s->owner, s->coll_name, t.obj_name, m == "PUT" ? &c.req.body : nullptr);
  }
  return r;
}

namespace {

// Applies grants to `col` (owned by the requester). `replace`: sharees not named lose their
// access (ACL sets the whole list; the POSTs only change whom they name). Returns an error
// response for an unknown account.
// `invite`: new grants are invitations the sharee answers (the sharing POSTs of clients);
// otherwise accepted at once (ACL).
std::optional<http::response> apply(service& svc, const options& opts, const collection& col,
                                    const std::vector<share_grant>& grants, bool replace, bool invite) {
  for (const auto& g : grants)
    if (g.access != share_access::none && g.principal != col.owner && (!opts.is_account || !opts.is_account(g.principal)))
      return error_response(403, xml::dav("recognized-principal"));
  auto taken = [&](const std::string& sharee) {
    return [&svc, &col, sharee](const std::string& name) {
      return must(svc.store_.find_collection(sharee, col.kind, name)).has_value();
    };
  };
  auto set = [&](const std::string& sharee, share_access a) {
    if (sharee == col.owner) return;
    if (invite && a != share_access::none) {
      auto s = must(opts.shares->invite(col, sharee, a, taken(sharee)));
      log::info("dav.share", {{"owner", col.owner}, {"collection", col.name}, {"sharee", sharee},
                              {"access", access_name(a)}, {"state", s.state == share_state::accepted ? "accepted" : "invited"}});
      return;
    }
    auto done = must(opts.shares->set(col, sharee, a, taken(sharee)));
    if (done)
      log::info("dav.share", {{"owner", col.owner}, {"collection", col.name}, {"sharee", sharee},
                              {"access", access_name(a)}, {"mount", done->mount}});
  };
  if (replace)
    for (const auto& cur : must(opts.shares->of_collection(col.id))) {
      bool named = false;
      for (const auto& g : grants) named = named || g.principal == cur.sharee;
      if (!named) set(cur.sharee, share_access::none);
    }
  for (const auto& g : grants) set(g.principal, g.access);
  return std::nullopt;
}

}  // namespace

http::response service::do_acl(ctx& c) {
  if (!opts_.shares) return plain(405, "Method Not Allowed");
  const auto& t = c.t;
  // RFC 3744 §8.1: ACL on a resource; only whole collections are shared here.
  if (t.type != target::coll) return error_response(403, xml::dav("no-ace-conflict"));
  auto col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!col) return plain(404, "Not Found");
  if (col->owner != c.user) return need_privileges();
  auto grants = parse_acl(c.req.body, c.user);
  if (!grants) {
    const auto& code = grants.error().code;
    if (code.starts_with("dav.acl.")) return error_response(403, xml::dav(code.substr(8)));
    return plain(400, grants.error().message);
  }
  if (auto err = apply(*this, opts_, *col, *grants, true, false)) return std::move(*err);
  http::response r;
  r.status = 200;
  return r;
}

http::response service::do_share_post(ctx& c) {
  if (!opts_.shares || c.t.type != target::coll) {
    auto r = plain(405, "Method Not Allowed");
    r.headers.emplace_back("Allow", "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT, COPY, MOVE, ACL");
    return r;
  }
  auto col = must(store_.find_collection(c.user, c.t.kind, c.t.coll_name));
  if (!col) return plain(404, "Not Found");
  if (col->owner != c.user) return need_privileges();
  auto grants = parse_share(c.req.body);
  if (!grants) return plain(400, grants.error().message);
  if (auto err = apply(*this, opts_, *col, *grants, false, true)) return std::move(*err);
  http::response r;
  r.status = 200;
  return r;
}

}  // namespace hearth::dav
