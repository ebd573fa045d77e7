// Opening the mail store where [database] says, for `serve` and every command that reads or
// writes mail: one place to change when the mail store's engine changes.
#pragma once
#include <memory>

#include "core/config/config.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {

// The mail store on database_target(c), its bodies in `blobs` (blob_dir(c)). The mail store
// runs on SQLite only so far: with database.url set this fails with "db.sqlite_only" instead
// of writing a local file that the other nodes would never see. Errors: those of
// mail::store::open().
result<std::unique_ptr<mail::store>> open_mail_store(const config::config& c, blob::store& blobs,
                                                     directory::directory* dir, events::bus* bus = nullptr);

}  // namespace hearth::app
