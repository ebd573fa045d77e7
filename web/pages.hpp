// The pages' routes on the HTTPS router (see pages.cpp).
#pragma once
#include <functional>
#include <string>

#include "core/http/router.hpp"

namespace hearth::web {

// `session_of` answers what GET /api/v1/session would for the request's cookie (its JSON
// body), or "" when nobody is signed in: the shell carries it, so that a page needs no
// round trip to learn who is signed in before asking for its own data.
void add_pages(http::router& r, std::function<std::string(const http::request&)> session_of);

}  // namespace hearth::web
