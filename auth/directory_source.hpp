// credential_source over the directory (directory/directory.hpp): the production source.
// Thread-safe (the directory is). lookup() throws hearth::error_exception when the database
// fails, as the directory's lookups do (see credential_source.hpp).
#pragma once
#include "auth/credential_source.hpp"
#include "directory/directory.hpp"

namespace hearth::auth {

class directory_source final : public credential_source {
 public:
  // `dir` must outlive this object.
  explicit directory_source(directory::directory& dir) : dir_(dir) {}

  // The account (normalised by the directory: case, IDNA) with its password and its app
  // passwords; a disabled account comes back with disabled = true and no credentials.
  std::optional<user_record> lookup(std::string_view username) override;

  // Records the app password's last use (touch_app_password); errors are ignored (bookkeeping).
  void used(const user_record& user, const credential_set& set) noexcept override;

  // The directory's login history (directory.hpp); writes ignore errors (bookkeeping must not
  // fail a login), reads throw like lookup().
  bool known_address(std::string_view username, std::string_view ip) override;
  void remember_address(const user_record& user, std::string_view ip) noexcept override;
  void login_event(std::string_view username, std::string_view ip, std::string_view proto,
                   std::string_view event) noexcept override;

 private:
  directory::directory& dir_;
};

}  // namespace hearth::auth
