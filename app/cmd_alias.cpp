// hearth alias add|del|list
#include <cstdio>

#include "app/common.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] alias COMMAND\n\n"
    "commands:\n"
    "  add SOURCE TARGET...   mail to SOURCE goes to every TARGET; SOURCE @DOMAIN is a catch-all\n"
    "                         (for addresses of DOMAIN that are neither accounts nor aliases)\n"
    "  del SOURCE [TARGET]    delete the alias, or one of its targets\n"
    "  list [DOMAIN]          list aliases\n";

}  // namespace

int cmd_alias(const globals& g, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string sub = p.positional[0];
  const size_t n = p.positional.size();
  bool ok = (sub == "add" && n >= 3) || (sub == "del" && (n == 2 || n == 3)) || (sub == "list" && n <= 2);
  if (!ok) return usage_error("bad alias command", usage);

  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto d = open_directory(*cfg);
  if (!d) return 1;

  if (sub == "list") {
    std::optional<std::string> dom;
    if (n == 2) dom = p.positional[1];
    for (const auto& al : d->aliases(dom)) {
      std::printf("%s ->", al.source.c_str());
      for (const auto& t : al.targets) std::printf(" %s", t.c_str());
      std::printf("\n");
    }
    return 0;
  }
  const std::string& source = p.positional[1];
  if (sub == "add") {
    std::vector<std::string> targets(p.positional.begin() + 2, p.positional.end());
    auto r = d->add_alias(source, targets);
    if (!r) return fail_with(1, r.error().message);
    std::printf("alias %s added\n", source.c_str());
    return 0;
  }
  std::optional<std::string> target;
  if (n == 3) target = p.positional[2];
  auto r = d->remove_alias(source, target);
  if (!r) return fail_with(1, r.error().message);
  std::printf("alias %s %s\n", source.c_str(), target ? ("target " + *target + " removed").c_str() : "deleted");
  return 0;
}

}  // namespace hearth::app
