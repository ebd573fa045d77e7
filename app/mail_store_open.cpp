#include "app/mail_store_open.hpp"

#include "app/common.hpp"

namespace hearth::app {

result<std::unique_ptr<mail::store>> open_mail_store(const config::config& c, blob::store& blobs,
                                                     directory::directory* dir, events::bus* bus) {
  auto file = sqlite_only(c, "hearth.db", "the mail store");
  if (!file) return file.error();
  return mail::store::open(*file, blobs, dir, bus);
}

}  // namespace hearth::app
