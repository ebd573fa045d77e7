#include "app/mail_store_open.hpp"

#include "app/common.hpp"
#include "core/blob/db_store.hpp"
#include "core/blob/store.hpp"

namespace hearth::app {

result<std::unique_ptr<mail::store>> open_mail_store(const config::config& c, blob::store& blobs,
                                                     directory::directory* dir, events::bus* bus) {
  const auto target = database_target(c);
  // The blob store's database tier is the mail store's database: the mail store writes small
  // bodies into it in the message's transaction, and every reader of `blobs` finds them there.
  if (!blobs.database()) {
    auto tier = blob::db_store::open(target);
    if (!tier) return tier.error();
    blobs.attach(std::move(*tier), {c.database_inline_max, c.database_blob_store == "database"});
  }
  return mail::store::open(target, blobs, dir, bus);
}

}  // namespace hearth::app
