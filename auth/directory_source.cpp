#include "auth/directory_source.hpp"

namespace hearth::auth {

std::optional<user_record> directory_source::lookup(std::string_view username) {
  auto acct = dir_.find_account(username);
  if (!acct) return std::nullopt;
  user_record rec;
  rec.account_id = acct->id;
  rec.address = acct->address;
  rec.disabled = acct->disabled;
  if (rec.disabled) return rec;
  // credentials() is nullopt for a disabled account too: an account disabled between the two
  // reads ends up with no credentials, so it cannot log in.
  if (auto creds = dir_.credentials(acct->address)) rec.credentials.push_back({"", *creds, 0});
  for (auto& app : dir_.app_passwords(acct->address))
    rec.credentials.push_back({std::move(app.name), std::move(app.creds), app.id});
  return rec;
}

void directory_source::used(const user_record&, const credential_set& set) noexcept {
  if (set.id == 0) return;
  try {
    (void)dir_.touch_app_password(set.id);
  } catch (...) {
    // Last-use bookkeeping must not turn a successful login into an error.
  }
}

bool directory_source::known_address(std::string_view username, std::string_view ip) {
  return dir_.is_login_address(username, ip);
}

void directory_source::remember_address(const user_record& user, std::string_view ip) noexcept {
  try {
    (void)dir_.remember_login_address(user.address, ip);
  } catch (...) {
  }
}

void directory_source::login_event(std::string_view username, std::string_view ip, std::string_view proto,
                                   std::string_view event) noexcept {
  try {
    (void)dir_.add_login_event(username, {0, std::string(ip), std::string(proto), std::string(event)});
  } catch (...) {
  }
}

}  // namespace hearth::auth
