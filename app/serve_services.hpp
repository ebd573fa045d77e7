// What `hearth serve` builds before it listens, kept out of serve.cpp so that file stays the
// start-up sequence: the server secret, the HTTPS session settings.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "core/config/config.hpp"
#include "core/http/session.hpp"

namespace hearth::app {

// The instance's persistent secret, DATA_DIR/auth.secret: 32 random bytes as 64 lower-case hex
// characters and a newline. Created with mode 0600 when missing (written to a temporary file,
// fsynced, then linked into place, so a concurrent start never reads half a secret); read
// otherwise. The authenticator keys its fake SCRAM salts with it, so they stay the same across
// restarts (auth/authenticator.hpp). Returns the hex text, or nullopt after printing why (an
// unreadable file, or one that is not 64 hex characters: never silently replaced, since that
// would change every fake salt).
std::optional<std::string> load_or_create_secret(const std::filesystem::path& data_dir);

// Session settings for the https listener: the config's read timeout for a request, at most
// 60 s of idle time between requests on a kept-alive connection, and core/http's size limits.
http::session_options https_session_options(const config::config& c);

}  // namespace hearth::app
