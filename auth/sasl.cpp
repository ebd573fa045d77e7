#include "auth/sasl.hpp"

#include "auth/password.hpp"
#include "core/util/strings.hpp"

namespace hearth::auth::sasl {

result<plain_credentials> parse_plain(std::string_view message) {
  if (message.size() > max_client_message) return fail("sasl.malformed", "message too long");
  auto parts = util::split(message, '\0');
  if (parts.size() != 3) return fail("sasl.malformed", "PLAIN needs authzid NUL authcid NUL password");
  std::string_view authzid = parts[0], authcid = parts[1], password = parts[2];
  if (authcid.empty() || password.empty())
    return fail("sasl.malformed", "empty user name or password");
  if (authcid.size() > max_identity || authzid.size() > max_identity ||
      password.size() > max_password_size)
    return fail("sasl.malformed", "user name or password too long");
  // RFC 4616 §2: an authzid that differs asks to act as someone else; we never allow that.
  if (!authzid.empty() && !util::iequals(authzid, authcid))
    return fail("sasl.authzid", "authorization identity differs from the user name");
  return plain_credentials{std::string(authcid), std::string(password)};
}

result<std::string> parse_login_field(std::string_view message, std::size_t limit) {
  if (message.empty() || message.size() > limit || message.find('\0') != std::string_view::npos)
    return fail("sasl.malformed", "bad LOGIN response");
  return std::string(message);
}

}  // namespace hearth::auth::sasl
