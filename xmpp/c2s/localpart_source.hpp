// RFC 6120 §6.3.8: an XMPP client's SASL authcid is a "simple user name", i.e. the JID's
// localpart ("demo"), while Hearth's accounts are full addresses ("demo@example.test"). This
// credential source completes a name without '@' with the domain of the stream being
// authenticated, which the session sets for the duration of each SASL step on that thread
// (the authenticator looks users up synchronously inside step()).
#pragma once
#include <string>

#include "auth/credential_source.hpp"

namespace hearth::xmpp {

class localpart_source final : public auth::credential_source {
 public:
  explicit localpart_source(auth::credential_source& inner) : inner_(inner) {}
  std::optional<auth::user_record> lookup(std::string_view username) override;
  void used(const auth::user_record& user, const auth::credential_set& set) noexcept override { inner_.used(user, set); }

  // Sets the stream's domain for the calling thread until destroyed.
  class scope {
   public:
    explicit scope(const std::string& domain);
    ~scope();
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
  };

 private:
  auth::credential_source& inner_;
};

}  // namespace hearth::xmpp
