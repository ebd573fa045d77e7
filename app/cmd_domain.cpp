// hearth domain add|del|list
#include <cstdio>

#include "app/common.hpp"
#include "directory/address.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] domain COMMAND\n\n"
    "commands:\n"
    "  add DOMAIN    add a mail domain (Unicode or ACE) and generate its DKIM keys\n"
    "  del DOMAIN    delete a domain that has no accounts left\n"
    "  list          list the domains\n";

}  // namespace

int cmd_domain(const globals& g, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string& sub = p.positional[0];
  size_t want = sub == "list" ? 1 : 2;
  if ((sub != "add" && sub != "del" && sub != "list") || p.positional.size() != want)
    return usage_error("bad domain command", usage);

  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto d = open_directory(*cfg);
  if (!d) return 1;

  if (sub == "list") {
    for (const auto& dom : d->domains()) {
      if (dom.display != dom.name) std::printf("%s (%s)\n", dom.display.c_str(), dom.name.c_str());
      else std::printf("%s\n", dom.name.c_str());
    }
    return 0;
  }
  if (sub == "add") {
    auto r = d->add_domain(p.positional[1]);
    if (!r) return fail_with(1, r.error().message);
    if (!ensure_dkim_keys(*d, r->name, cfg->dkim_selector)) return 1;
    std::printf("added domain %s\n", r->name.c_str());
    std::printf("publish its DKIM keys:\n");
    for (const auto& rec : dkim_records(*d, r->name)) std::printf("  %s\n", rec.c_str());
    std::printf("postmaster@ and abuse@ become aliases of its first account (RFC 5321, RFC 2142)\n");
    return 0;
  }
  auto r = d->remove_domain(p.positional[1]);
  if (!r) return fail_with(1, r.error().message);
  std::printf("deleted domain %s\n", p.positional[1].c_str());
  return 0;
}

}  // namespace hearth::app
