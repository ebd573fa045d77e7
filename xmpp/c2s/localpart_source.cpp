#include "xmpp/c2s/localpart_source.hpp"

namespace hearth::xmpp {

namespace {
thread_local std::string current_domain;
}

localpart_source::scope::scope(const std::string& domain) { current_domain = domain; }
localpart_source::scope::~scope() { current_domain.clear(); }

std::optional<auth::user_record> localpart_source::lookup(std::string_view username) {
  if (username.find('@') == std::string_view::npos && !current_domain.empty())
    return inner_.lookup(std::string(username) + "@" + current_domain);
  return inner_.lookup(username);
}

}  // namespace hearth::xmpp
