// The pages' routes on the HTTPS router (see pages.cpp).
#pragma once
#include "core/http/router.hpp"

namespace hearth::web {

void add_pages(http::router& r);

}  // namespace hearth::web
