// Each file of endpoints adds its rows to the API table (one area of the API per file).
#pragma once
#include "web/api.hpp"
#include "web/web.hpp"

namespace hearth::web {

void add_session_endpoints(api& a, const services& s, const options& o);  // endpoints_session.cpp
void add_account_endpoints(api& a, const services& s, const options& o);  // endpoints_account.cpp
void add_password_endpoints(api& a, const services& s, const options& o);  // endpoints_password.cpp
void add_app_password_endpoints(api& a, const services& s, const options& o);  // endpoints_app_passwords.cpp
void add_totp_endpoints(api& a, const services& s, const options& o);  // endpoints_totp.cpp
void add_device_endpoints(api& a, const services& s, const options& o);  // endpoints_devices.cpp
void add_sieve_endpoints(api& a, const services& s, const options& o);  // endpoints_sieve.cpp

// At sign-in, after the password: nullopt when the account has no second factor or `code` is
// right (then it cannot be used again); else the refusal to answer.
std::optional<http::response> second_factor(const services& s, const std::string& address, const std::string* code);

// Before a change that weakens the account's protection (turning TOTP off, replacing its
// secret, minting an app password from the page): nullopt when the body's member `field`
// is the account password, else the refusal (403 password_required / wrong_password, 429
// blocked; throttled like a login).
std::optional<http::response> confirm_password(const services& s, const call& c,
                                               std::string_view field = "password");  // reauth.cpp

// "Set-Cookie" for a new session, and the one that removes it from the browser.
std::string session_cookie(std::string_view token, std::chrono::seconds lifetime);
std::string expired_cookie();

// A string member of the JSON body, or null (absent, not a string).
const std::string* body_string(const call& c, std::string_view name);

}  // namespace hearth::web
