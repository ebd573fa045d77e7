// `hearth config`: print the example config, or check a config file.
#include <cstdio>

#include "app/commands.hpp"
#include "core/config/config.hpp"

namespace hearth::app {
namespace {

void config_usage(FILE* out) {
  std::fprintf(out,
               "usage: hearth config example\n"
               "       hearth [--config FILE] config check [FILE]\n\n"
               "  example   print the example configuration: every key, its default and what it does\n"
               "  check     load the configuration (FILE, else --config, else /etc/hearth/hearth.toml)\n"
               "            and print \"ok\", or every problem as FILE:LINE:COL: message (exit 1)\n");
}

}  // namespace

int cmd_config(const globals& g, const args& a) {
  if (a.empty()) {
    config_usage(stderr);
    return 2;
  }
  if (a[0] == "--help" || a[0] == "-h" || a[0] == "help") {
    config_usage(stdout);
    return 0;
  }
  if (a[0] == "example" && a.size() == 1) {
    std::fputs(config::example().c_str(), stdout);
    return 0;
  }
  if (a[0] == "check" && a.size() <= 2) {
    const std::string file = a.size() == 2 ? a[1] : g.config_path;
    auto r = config::load(file);
    if (!r) {
      // Compiler-style lines ("FILE:LINE:COL: message") so editors can jump to them.
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 1;
    }
    std::printf("ok\n");
    return 0;
  }
  std::fprintf(stderr, "hearth: config: unknown arguments\n");
  config_usage(stderr);
  return 2;
}

}  // namespace hearth::app
