// What the ManageSieve server and the CLI need from the Sieve language (mail/sieve): the
// extension list for CAPABILITY and a syntax check with the compiler's line-numbered message.
#pragma once
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "mail/managesieve/server/engine.hpp"
#include "mail/sieve_store/store.hpp"

namespace hearth::app {

std::string sieve_extensions();      // space-separated, for the SIEVE capability
std::string sieve_notify_methods();  // space-separated, for the NOTIFY capability
unsigned sieve_max_redirects();      // MAXREDIRECTS
// Compiles `script`; on error, message is "line L, column C: ...".
mail::managesieve::check_result sieve_check(std::string_view script);

// The per-account quotas of the script store, from [managesieve].
mail::sieve_store::quota sieve_quota(const config::config& cfg);

}  // namespace hearth::app
