#include "app/mail_store_open.hpp"

#include "app/common.hpp"

namespace hearth::app {

result<std::unique_ptr<mail::store>> open_mail_store(const config::config& c, blob::store& blobs,
                                                     directory::directory* dir, events::bus* bus) {
  return mail::store::open(database_target(c), blobs, dir, bus);
}

}  // namespace hearth::app
