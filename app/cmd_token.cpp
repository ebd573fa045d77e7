// hearth token create|list|revoke: the admin API tokens (web/admin/token_store.hpp).
#include <cstdio>
#include <stdexcept>
#include <ctime>

#include "app/common.hpp"
#include "web/admin/token_store.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] token COMMAND\n\n"
    "API tokens let scripts use the web console's API (/api/v1) as an admin account:\n"
    "they send \"Authorization: Bearer TOKEN\". The token acts only while its account exists,\n"
    "is enabled and is an admin (`hearth user admin ADDRESS on`).\n\n"
    "commands:\n"
    "  create ADDRESS LABEL    make a token for the account; it is printed once, only its\n"
    "                          hash is stored\n"
    "  list                    list the tokens: id, account, label, created, last used\n"
    "  revoke ID               revoke a token\n";

std::string when(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace

int cmd_token(const globals& g, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const auto& pos = p.positional;
  const std::string& sub = pos[0];
  if (!((sub == "create" && pos.size() == 3) || (sub == "list" && pos.size() == 1) || (sub == "revoke" && pos.size() == 2)))
    return usage_error("bad token command", usage);
  std::int64_t id = 0;
  if (sub == "revoke") {
    try {
      std::size_t used = 0;
      id = std::stoll(pos[1], &used);
      if (used != pos[1].size()) throw std::invalid_argument("id");
    } catch (const std::exception&) {
      return usage_error("revoke takes the numeric id that `hearth token list` shows", usage);
    }
  }

  auto cfg = load_config(g);
  if (!cfg) return 1;
  // The tokens' table refers to the directory's accounts: the directory's schema comes first.
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto st = web::admin::open_token_store(database_target(*cfg));
  if (!st) return fail_with(1, "token store: " + st.error().message);

  if (sub == "create") {
    // A token acts only as an admin (web/admin/admin.hpp): one for anyone else would be
    // refused at every request.
    auto acc = dir->find_account(pos[1]);
    if (!acc) return fail_with(1, "no such account: " + pos[1]);
    if (!acc->admin) return fail_with(1, acc->address + " is not an admin: `hearth user admin " + acc->address + " on` first");
    auto t = (*st)->create(acc->address, pos[2]);
    if (!t) return fail_with(1, t.error().message);
    std::printf("token %lld for %s (%s)\n%s\n", static_cast<long long>(t->info.id), t->info.address.c_str(),
                t->info.label.c_str(), t->secret.c_str());
    return 0;
  }
  if (sub == "list") {
    auto all = (*st)->list();
    if (!all) return fail_with(1, all.error().message);
    for (const auto& t : *all)
      std::printf("%lld\t%s\t%s\tcreated %s\tlast used %s\n", static_cast<long long>(t.id), t.address.c_str(),
                  t.label.c_str(), when(t.created).c_str(), t.last_used ? when(*t.last_used).c_str() : "never");
    return 0;
  }
  auto r = (*st)->revoke(id);
  if (!r) return fail_with(1, r.error().message);
  std::printf("revoked token %lld\n", static_cast<long long>(id));
  return 0;
}

}  // namespace hearth::app
