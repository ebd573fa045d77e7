// Opening the mail store where [database] says, for `serve` and every command that reads or
// writes mail: one place to change when the mail store's engine changes.
#pragma once
#include <memory>

#include "core/config/config.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {

// The mail store on database_target(c) (SQLite or PostgreSQL), its bodies in `blobs`
// (blob_dir(c)), to which it attaches the database tier ([database] blob_store, inline_max)
// unless `blobs` has one already. Errors: those of mail::store::open() and blob::db_store::open().
result<std::unique_ptr<mail::store>> open_mail_store(const config::config& c, blob::store& blobs,
                                                     directory::directory* dir, events::bus* bus = nullptr);

}  // namespace hearth::app
