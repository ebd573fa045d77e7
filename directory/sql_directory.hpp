// Internal: the implementation of directory::directory, in core/sql's dialect, so the same
// code serves SQLite and PostgreSQL. Not for other folders: they use directory.hpp. The methods are split over one .cpp per concern (domains.cpp,
// accounts.cpp, aliases.cpp, app_passwords.cpp, dkim.cpp, login_history.cpp); schema.cpp holds the migrations.
#pragma once
#include "core/sql/sql.hpp"
#include "directory/directory.hpp"

namespace hearth::directory {

std::int64_t unix_now();
// normalize_* as results with "directory.invalid".
result<std::string> parse_address(std::string_view address);
result<std::string> parse_domain(std::string_view domain);
// Printable UTF-8 without control characters, at most `max` octets (names shown in UIs/logs).
bool valid_label_text(std::string_view s, std::size_t max);

class sql_directory final : public directory {
 public:
  explicit sql_directory(std::unique_ptr<sql::database> db) : db_(std::move(db)) {}

  result<domain> add_domain(std::string_view name) override;
  result<void> remove_domain(std::string_view name) override;
  std::vector<domain> domains() override;
  std::optional<domain> find_domain(std::string_view name) override;
  bool is_local_domain(std::string_view name) override;

  result<account> add_account(std::string_view address, const stored_credentials& creds,
                              std::string_view display_name, std::int64_t quota_bytes) override;
  result<void> remove_account(std::string_view address) override;
  result<void> set_credentials(std::string_view address, const stored_credentials& creds) override;
  result<void> set_disabled(std::string_view address, bool disabled) override;
  result<void> set_admin(std::string_view address, bool admin) override;
  result<void> set_display_name(std::string_view address, std::string_view display_name) override;
  result<void> set_quota(std::string_view address, std::int64_t quota_bytes) override;
  std::optional<account> find_account(std::string_view address) override;
  std::vector<account> accounts(std::optional<std::string> domain) override;
  std::optional<stored_credentials> credentials(std::string_view address) override;

  result<app_password> add_app_password(std::string_view address, std::string_view name,
                                        const stored_credentials& creds) override;
  result<void> revoke_app_password(std::string_view address, std::string_view name) override;
  std::vector<app_password> app_passwords(std::string_view address) override;
  result<void> touch_app_password(std::int64_t id) override;

  result<void> remember_login_address(std::string_view address, std::string_view ip) override;
  bool is_login_address(std::string_view address, std::string_view ip) override;
  std::vector<login_address> login_addresses(std::string_view address) override;
  result<void> add_login_event(std::string_view address, const login_event& e) override;
  std::vector<login_event> login_events(std::string_view address, std::size_t limit) override;

  result<void> add_alias(std::string_view source, const std::vector<std::string>& targets) override;
  result<void> remove_alias(std::string_view source, std::optional<std::string> target) override;
  std::vector<alias> aliases(std::optional<std::string> domain) override;
  std::vector<std::string> resolve(std::string_view address) override;

  result<dkim_key> add_dkim_key(std::string_view domain, std::string_view selector, std::string_view algorithm,
                                std::string_view private_pem) override;
  std::vector<dkim_key> dkim_keys(std::string_view domain) override;

  // Helpers shared by the concern files; all take the calling thread's connection and run
  // inside the caller's transaction, if any.
  static result<std::optional<std::int64_t>> domain_id(sql::connection& c, std::string_view ace);
  static result<std::optional<std::int64_t>> account_id(sql::connection& c, std::string_view address);
  static result<bool> is_alias_source(sql::connection& c, std::string_view source);
  static result<std::vector<std::string>> alias_targets(sql::connection& c, std::string_view source);
  // Points postmaster@d and abuse@d at the domain's oldest account when they are neither an
  // account nor an alias with a target (RFC 5321 §4.5.1, RFC 2142 §4).
  static result<void> ensure_role_aliases(sql::connection& c, std::int64_t domain_id, std::string_view ace);

  sql::connection& conn() { return db_->get(); }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace hearth::directory
