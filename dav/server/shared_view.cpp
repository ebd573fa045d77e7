// The store as requests see it: an account's own collections plus those shared with it, each
// under its mount name (sharing.hpp). Only collection lookups change; objects are reached by
// the collection's id, so a sharee's PUT lands in the owner's collection and bumps its sync
// token for everyone.
#include "dav/server/sharing.hpp"

namespace hearth::dav {
namespace {

class shared_view final : public store {
 public:
  shared_view(store& base, share_store& shares) : base_(base), shares_(shares) {}

  result<void> ensure_defaults(const std::string& owner) override { return base_.ensure_defaults(owner); }

  result<std::vector<collection>> collections(const std::string& owner, kind k) override {
    auto own = base_.collections(owner, k);
    if (!own) return own.error();
    auto mounts = shares_.for_sharee(owner, k);
    if (!mounts) return mounts.error();
    for (auto& s : *mounts) {
      auto c = resolve(s);
      if (!c) return c.error();
      if (*c) own->push_back(std::move(**c));
    }
    return own;
  }

  result<std::optional<collection>> find_collection(const std::string& owner, kind k, const std::string& name) override {
    auto own = base_.find_collection(owner, k, name);
    if (!own || *own) return own;
    auto s = shares_.find_mount(owner, k, name);
    if (!s) return s.error();
    if (!*s) return std::optional<collection>();
    return resolve(**s);
  }

  result<collection> create_collection(collection c) override { return base_.create_collection(std::move(c)); }
  result<void> update_collection(const collection& c) override { return base_.update_collection(c); }
  result<void> delete_collection(std::int64_t id) override { return base_.delete_collection(id); }
  result<collection> copy_collection(std::int64_t src, const std::string& name, bool members, bool move,
                                     std::optional<std::int64_t> replace) override {
    return base_.copy_collection(src, name, members, move, replace);
  }
  result<std::vector<object>> objects(std::int64_t coll, bool with_data) override { return base_.objects(coll, with_data); }
  result<std::optional<object>> find_object(std::int64_t coll, const std::string& name, bool with_data) override {
    return base_.find_object(coll, name, with_data);
  }
  result<std::vector<object>> objects_in_range(std::int64_t coll, const std::string& component, std::int64_t start,
                                               std::int64_t end) override {
    return base_.objects_in_range(coll, component, start, end);
  }
  result<put_result> put_object(std::int64_t coll, const new_object& o, const std::optional<std::string>& if_match,
                                bool if_none_match_star) override {
    return base_.put_object(coll, o, if_match, if_none_match_star);
  }
  result<bool> delete_object(std::int64_t coll, const std::string& name, const std::optional<std::string>& if_match) override {
    return base_.delete_object(coll, name, if_match);
  }
  result<std::vector<import_status>> put_batch(std::int64_t coll, const std::vector<new_object>& objs) override {
    return base_.put_batch(coll, objs);
  }
  result<std::vector<write_status>> apply_writes(const std::vector<write>& writes) override {
    return base_.apply_writes(writes);
  }
  result<std::pair<std::int64_t, std::vector<change>>> changes_since(std::int64_t coll, std::int64_t seq) override {
    return base_.changes_since(coll, seq);
  }

 private:
  // The owner's collection a share names, renamed to its mount; nullopt if it is gone.
  result<std::optional<collection>> resolve(const share& s) {
    auto c = base_.find_collection(s.owner, s.kind, s.coll_name);
    if (!c) return c.error();
    if (!*c || (*c)->id != s.coll_id) return std::optional<collection>();
    (*c)->name = s.mount;
    return c;
  }

  store& base_;
  share_store& shares_;
};

}  // namespace

std::unique_ptr<store> make_shared_view(store& base, share_store& shares) {
  return std::make_unique<shared_view>(base, shares);
}

}  // namespace hearth::dav
