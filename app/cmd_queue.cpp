// `hearth queue list|show|flush|delete|bounce`: the running server's outbound queue.
// The commands change the queue's rows in the instance's database (DATA_DIR/hearth.db); the
// running server's delivery agent re-reads due rows every second, so a flush or a bounce takes
// effect within about a second, and a delete before the next attempt.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "app/common.hpp"
#include "mail/queue/dsn.hpp"
#include "mail/queue/store.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] queue COMMAND\n\n"
    "commands:\n"
    "  list          list the queued messages and their pending recipients\n"
    "  show ID       the envelope, each recipient's state and last reply, then the message headers\n"
    "  flush [ID]    retry now (one message, or every message)\n"
    "  delete ID     drop a message without notice to the sender\n"
    "  bounce ID     return a message to its sender now, with a DSN\n";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string when(std::int64_t t) { return t ? mail::queue::rfc5322_date(t) : std::string("-"); }

void print_rcpt(const mail::queue::rcpt_row& r, std::int64_t now) {
  std::string state = r.status == "bounce" ? "to be bounced"
                      : r.next_attempt <= now ? "due now"
                                              : "next attempt in " + std::to_string(r.next_attempt - now) + "s";
  std::printf("  <%s> attempts=%d %s", r.address.c_str(), r.attempts, state.c_str());
  if (!r.last_reply.empty()) std::printf(" last=\"%s\"", r.last_reply.c_str());
  if (!r.relay.empty()) std::printf(" relay=%s", r.relay.c_str());
  std::printf("\n");
}

}  // namespace

int cmd_queue(const globals& g, const args& a) {
  auto p = parse_args(a, {});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string& sub = p.positional[0];
  const bool known = sub == "list" || sub == "show" || sub == "flush" || sub == "delete" || sub == "bounce";
  const std::size_t n = p.positional.size();
  if (!known || (sub == "list" && n != 1) || (sub == "flush" && n > 2) ||
      ((sub == "show" || sub == "delete" || sub == "bounce") && n != 2))
    return usage_error("bad queue command", usage);

  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto st = mail::queue::store::open(cfg->data_dir, database_target(*cfg));
  if (!st) return fail_with(1, st.error().message);
  auto& s = **st;
  const std::int64_t now = now_s();

  if (sub == "list") {
    auto all = s.list();
    if (!all) return fail_with(1, all.error().message);
    for (const auto& m : *all) {
      std::printf("%s %lld bytes %s from=<%s>\n", m.id.c_str(), static_cast<long long>(m.size), when(m.created).c_str(),
                  m.env.from.c_str());
      for (const auto& r : m.rcpts) print_rcpt(r, now);
    }
    std::printf("%zu message%s in the queue\n", all->size(), all->size() == 1 ? "" : "s");
    return 0;
  }
  if (sub == "show") {
    auto m = s.get(p.positional[1]);
    if (!m) return fail_with(1, m.error().message);
    std::printf("id: %s\nqueued: %s\nsize: %lld\nfrom: <%s>\n", m->id.c_str(), when(m->created).c_str(),
                static_cast<long long>(m->size), m->env.from.c_str());
    if (!m->env.auth_user.empty()) std::printf("user: %s\n", m->env.auth_user.c_str());
    if (!m->env.client.empty()) std::printf("client: %s\n", m->env.client.c_str());
    if (!m->env.ret.empty()) std::printf("ret: %s\n", m->env.ret.c_str());
    if (!m->env.envid.empty()) std::printf("envid: %s\n", m->env.envid.c_str());
    std::printf("recipients:\n");
    for (const auto& r : m->rcpts) print_rcpt(r, now);
    // The header section only, read a spool part at a time up to its empty line: a large
    // message's body is never loaded (nor more than 8 MiB of a header section without end).
    if (auto reader = s.open_message(m->id)) {
      std::string head;
      while (head.size() < (std::size_t{8} << 20)) {
        auto piece = (*reader)->next();
        if (!piece || piece->empty()) break;
        const std::size_t from = head.size() < 3 ? 0 : head.size() - 3;
        head += *piece;
        const std::string_view h = mail::queue::header_section(std::string_view(head).substr(from));
        if (h.size() < head.size() - from) {
          head.resize(from + h.size());
          break;
        }
      }
      std::printf("\n");
      std::fwrite(head.data(), 1, head.size(), stdout);
    }
    return 0;
  }
  if (sub == "flush") {
    std::optional<std::string_view> id;
    if (n == 2) id = p.positional[1];
    auto r = s.flush(id, now);
    if (!r) return fail_with(1, r.error().message);
    std::printf("%d recipient%s due now\n", *r, *r == 1 ? "" : "s");
    return 0;
  }
  if (sub == "delete") {
    auto r = s.remove(p.positional[1]);
    if (!r) return fail_with(1, r.error().message);
    std::printf("deleted %s (%d recipient%s)\n", p.positional[1].c_str(), *r, *r == 1 ? "" : "s");
    return 0;
  }
  auto r = s.request_bounce(p.positional[1], now);
  if (!r) return fail_with(1, r.error().message);
  std::printf("%s will be returned to its sender (%d recipient%s)\n", p.positional[1].c_str(), *r, *r == 1 ? "" : "s");
  return 0;
}

}  // namespace hearth::app
