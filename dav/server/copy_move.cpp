// COPY/MOVE inside one home (RFC 4918 §9.8, §9.9): objects between collections, and whole
// calendars and address books.
#include "dav/server/internal.hpp"

namespace hearth::dav {
namespace {

template <class T>
T must(result<T> r) {
  if (!r) throw error_exception(r.error());
  return std::move(*r);
}

}  // namespace

http::response service::do_copy_move(ctx& c, bool move) {
  auto& t = c.t;
  if (t.type == target::coll) return do_copy_move_collection(c, move);
  if (t.type != target::obj) return plain(403, "only objects and collections can be copied or moved");
  auto dest_path = href_to_path(c.req.header("destination"));
  if (!dest_path) return plain(400, "bad Destination");
  auto d = parse_path(*dest_path);
  if (d.type != target::obj || d.user != c.user || d.kind != t.kind || !valid_name(d.obj_name))
    return plain(403, "the destination must be an object in a collection of the same home");
  if (is_birthday_calendar(d.kind, d.coll_name)) return error_response(403, xml::dav("need-privileges"));
  auto src_col = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!src_col) return plain(404, "Not Found");
  auto src = must(store_.find_object(src_col->id, t.obj_name, true));
  if (!src) return plain(404, "Not Found");
  auto dst_col = must(store_.find_collection(c.user, d.kind, d.coll_name));
  if (!dst_col) return plain(409, "no such destination collection");
  if (src_col->id == dst_col->id && t.obj_name == d.obj_name) return plain(403, "source and destination are the same");
  const bool overwrite = c.req.header("overwrite") != "F";
  auto existing = must(store_.find_object(dst_col->id, d.obj_name, false));
  if (existing && !overwrite) return plain(412, "Precondition Failed");
  if (!move && src_col->id == dst_col->id) return error_response(403, res_precondition(t.kind, "no-uid-conflict"));
  // RFC 4791 §5.3.2.1: the destination calendar must accept the object's component.
  if (t.kind == kind::calendar && ("," + dst_col->components + ",").find("," + src->component + ",") == std::string::npos)
    return error_response(403, xml::cal("supported-calendar-component"));
  new_object o{d.obj_name, src->data, src->uid, src->component, src->first_start, src->last_end};
  if (move && src_col->id == dst_col->id) {
    // Same collection: the UID moves with the object; delete first so it does not conflict.
    must(store_.delete_object(src_col->id, t.obj_name, std::nullopt));
    auto put = store_.put_object(dst_col->id, o, std::nullopt, false);
    if (!put) throw error_exception(put.error());
  } else {
    auto put = store_.put_object(dst_col->id, o, std::nullopt, false);
    if (!put) {
      if (put.error().code == "dav.uid_conflict") return error_response(403, res_precondition(t.kind, "no-uid-conflict"));
      throw error_exception(put.error());
    }
    if (move) must(store_.delete_object(src_col->id, t.obj_name, std::nullopt));
  }
  changed(c.user, *dst_col);
  if (move) changed(c.user, *src_col);
  if (t.kind == kind::addressbook) {
    sync_birthdays(c.user, dst_col->name, d.obj_name, &src->data);
    if (move) sync_birthdays(c.user, src_col->name, t.obj_name, nullptr);
  }
  http::response r;
  r.status = existing ? 204 : 201;
  return r;
}

// A whole calendar or address book, to another name in the same home.
http::response service::do_copy_move_collection(ctx& c, bool move) {
  auto& t = c.t;
  auto dest_path = href_to_path(c.req.header("destination"));
  if (!dest_path) return plain(400, "bad Destination");
  auto d = parse_path(*dest_path);
  // Collections live directly in their home: another home (another user's, or the other kind)
  // or a deeper path is refused.
  if (d.type != target::coll || d.user != c.user || d.kind != t.kind || !valid_name(d.coll_name))
    return plain(403, "the destination must be a collection in the same home");
  if (d.coll_name == t.coll_name) return plain(403, "source and destination are the same");
  if (is_birthday_calendar(d.kind, d.coll_name)) return error_response(403, xml::dav("need-privileges"));
  // RFC 4918 §9.8.3: COPY of a collection is Depth infinity or 0; §9.9.2: MOVE only infinity.
  const std::string depth = c.req.header("depth");
  const bool infinity = depth.empty() || depth == "infinity" || depth == "Infinity";
  if (!infinity && (move || depth != "0")) return plain(400, "bad Depth for a collection");
  auto src = must(store_.find_collection(c.user, t.kind, t.coll_name));
  if (!src) return plain(404, "Not Found");
  auto existing = must(store_.find_collection(c.user, d.kind, d.coll_name));
  // RFC 4918 §10.6: Overwrite defaults to T; with F an existing destination is 412.
  if (existing && c.req.header("overwrite") == "F") return plain(412, "Precondition Failed");
  auto copy = store_.copy_collection(src->id, d.coll_name, infinity, move,
                                     existing ? std::optional<std::int64_t>(existing->id) : std::nullopt);
  if (!copy) {
    if (copy.error().code == "dav.exists") return plain(412, "Precondition Failed");
    if (copy.error().code == "dav.not_found") return plain(404, "Not Found");
    throw error_exception(copy.error());
  }
  changed(c.user, *copy);
  if (move) changed(c.user, *src);
  if (t.kind == kind::addressbook) rebuild_birthdays(c.user);
  http::response r;
  r.status = existing ? 204 : 201;
  return r;
}

}  // namespace hearth::dav
