// The pages' files (web/assets/), built into the binary by cmake/embed_assets.cmake.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

namespace hearth::web {

struct embedded_asset {
  std::string_view name;  // path under web/assets/, e.g. "pages/account.js"
  const char* data;
  std::size_t size;
};

std::span<const embedded_asset> embedded_assets();

}  // namespace hearth::web
