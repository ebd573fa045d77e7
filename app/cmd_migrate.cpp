// `hearth migrate imap`: copy a whole account from another IMAP server into a Hearth account
// (README "Moving in"). Folders with their hierarchy and special uses, flags, keywords and
// internal dates; Gmail's labels through X-GM-EXT-1; never the same message twice in a folder;
// resumable and incremental through DATA_DIR/migrate.db (cmd_migrate_state.hpp).
// Messages go straight into the mail store the server uses (same SQLite file and blob folder;
// a running server sees them at once), each durable before it is recorded as copied.
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <thread>

#include "app/cmd_migrate.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/mail_store_open.hpp"
#include "core/blob/store.hpp"
#include "core/util/strings.hpp"
#include "mail/imap/proto/mutf7.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {
namespace {

namespace client = mail::imap::client;
namespace plan = mail::migrate;
using namespace migrate;

constexpr const char* usage =
    "usage: hearth migrate imap --from imaps://HOST[:PORT] --login USER --password-stdin --to ADDRESS\n"
    "         [--ca FILE] [--gmail-labels folders|keywords] [--folders PATTERN[,PATTERN...]]\n"
    "         [--since YYYY-MM-DD] [--parallel N] [--bwlimit BYTES/s] [--timeout SECONDS] [--dry-run]\n"
    "  --from         the source server: imaps:// (TLS, port 993) or imap://HOST:PORT (STARTTLS)\n"
    "  --ca           trust this CA file instead of the system's (a private CA)\n"
    "  --gmail-labels with Gmail: a copy in each label's folder (folders, the default), or one\n"
    "                 copy in INBOX/Archive with the labels as keywords (keywords)\n"
    "  --folders      only source folders matching one of the patterns (* and ?)\n"
    "  --since        only messages received on or after that day\n"
    "  --parallel     folders copied at once (default 2)\n"
    "  --bwlimit      bytes per second over all connections (suffix k or M), e.g. 2M\n"
    "  --dry-run      say what would be copied, change nothing\n"
    "A second run copies only what is new; an interrupted run resumes where it stopped.";

std::optional<std::int64_t> parse_day(const std::string& s) {
  int y, m, d;
  char extra;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
    return std::nullopt;
  static const char* const names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto t = client::parse_date_time(std::to_string(d) + "-" + names[m - 1] + "-" + std::to_string(y) + " 00:00:00 +0000");
  if (!t) return std::nullopt;
  return *t;
}

std::optional<std::uint64_t> parse_rate(std::string s) {
  std::uint64_t mult = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) mult = 1000, s.pop_back();
  else if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) mult = 1000 * 1000, s.pop_back();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 12) return std::nullopt;
  return std::stoull(s) * mult;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f kB", b / 1e3);
  return buf;
}

std::string clock_text(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// The bar on a terminal, a plain line every 10 s otherwise.
void progress_loop(engine& eng, bool tty, std::atomic<bool>& finished, std::chrono::steady_clock::time_point t0) {
  auto last_line = t0;
  for (int tick = 1; !finished; ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (finished) break;
    if (tick % (tty ? 5 : 10) != 0) continue;
    auto& s = eng.stats();
    auto now = std::chrono::steady_clock::now();
    double el = std::chrono::duration<double>(now - t0).count();
    double seen = static_cast<double>(s.seen), total = static_cast<double>(s.expected);
    double rate = el > 0 ? seen / el : 0;
    std::string eta = rate > 0 && total > seen ? clock_text((total - seen) / rate) : "-";
    char line[256];
    if (tty) {
      int width = 24, filled = total > 0 ? static_cast<int>(width * std::min(1.0, seen / total)) : 0;
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(static_cast<std::size_t>(width), '.');
      std::snprintf(line, sizeof line, "\r\033[K[%s] %.0f/%.0f msgs  %s  %.0f msg/s  %s/s  ETA %s", bar.c_str(), seen,
                    total, human_bytes(static_cast<double>(s.bytes)).c_str(), rate,
                    human_bytes(el > 0 ? static_cast<double>(s.bytes) / el : 0).c_str(), eta.c_str());
      std::fputs(line, stdout);
      std::fflush(stdout);
    } else if (now - last_line >= std::chrono::seconds(10)) {
      last_line = now;
      std::snprintf(line, sizeof line, "progress messages=%.0f/%.0f copied=%llu bytes=%llu rate=%.0f/s eta=%s\n", seen,
                    total, static_cast<unsigned long long>(s.copied.load()),
                    static_cast<unsigned long long>(s.bytes.load()), rate, eta.c_str());
      eng.say(std::string(line, std::strlen(line) - 1));
    }
  }
}

// RFC 6855 §3: names travel as UTF-8 once the server has said ENABLED UTF8=ACCEPT.
void enable_utf8(connection& c) {
  if (!c.has("UTF8=ACCEPT") || !c.has("ENABLE")) return;
  bool on = false;
  auto r = c.run("ENABLE UTF8=ACCEPT", [&](client::response& d) -> result<void> {
    if (d.name == "ENABLED")
      for (const auto& v : d.data) on = on || v.is_atom("UTF8=ACCEPT");
    return {};
  });
  if (r && on) c.set_utf8(true);
}

bool matches(const std::vector<std::string>& patterns, const std::string& name) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns)
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

int cmd_migrate(const globals& g, const args& a) {
  auto p = parse_args(a,
                      {"--from", "--login", "--to", "--ca", "--gmail-labels", "--folders", "--since", "--parallel",
                       "--bwlimit", "--timeout"},
                      {"--password-stdin", "--dry-run"});
  if (p.help) {
    std::cout << usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, usage);
  if (p.positional.size() != 1 || p.positional[0] != "imap") return usage_error("hearth migrate imap ...", usage);
  options o;
  for (const char* req : {"--from", "--login", "--to"})
    if (!p.option(req)) return usage_error(std::string(req) + " is required", usage);
  auto from = parse_url(*p.option("--from"));
  if (!from) return usage_error(from.error().message, usage);
  o.from = *from;
  o.login = *p.option("--login");
  o.ca_file = p.option("--ca").value_or("");
  o.dry_run = p.has("--dry-run");
  if (auto l = p.option("--gmail-labels")) {
    if (*l == "folders") o.labels = plan::label_mode::folders;
    else if (*l == "keywords") o.labels = plan::label_mode::keywords;
    else return usage_error("--gmail-labels is folders or keywords", usage);
  }
  if (auto f = p.option("--folders"))
    for (auto part : util::split(*f, ','))
      if (!part.empty()) o.folder_patterns.emplace_back(part);
  if (auto s = p.option("--since")) {
    o.since = parse_day(*s);
    if (!o.since) return usage_error("--since takes a day as YYYY-MM-DD", usage);
  }
  if (auto n = p.option("--parallel")) {
    o.parallel = std::atoi(n->c_str());
    if (o.parallel < 1 || o.parallel > 16) return usage_error("--parallel is 1 to 16", usage);
  }
  if (auto b = p.option("--bwlimit")) {
    auto r = parse_rate(*b);
    if (!r) return usage_error("--bwlimit takes bytes per second, e.g. 500k or 2M", usage);
    o.bwlimit = *r;
  }
  if (auto t = p.option("--timeout")) {
    o.timeout = std::atoi(t->c_str());
    if (o.timeout < 1) return usage_error("--timeout is a number of seconds", usage);
  }
  // OpenSSL writes with write(2): a server that resets the connection must not kill the run
  // with SIGPIPE (the write then fails, and the folder is resumed on a new connection).
  ::signal(SIGPIPE, SIG_IGN);
  if (!p.has("--password-stdin")) return usage_error("--password-stdin is required (the password on one line)", usage);
  if (!std::getline(std::cin, o.password) ) return fail_with(1, "--password-stdin: nothing on standard input");
  if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();

  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto acct = dir->find_account(*p.option("--to"));
  if (!acct) return fail_with(1, "no such account: " + *p.option("--to"));
  o.account = acct->address;

  // One migration into a data directory at a time: two would race on the same state.
  auto lock_path = cfg->data_dir / "migrate.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
    return fail_with(1, "another `hearth migrate` is running on " + cfg->data_dir.string());

  blob::store blobs(blob_dir(*cfg));
  auto st = open_mail_store(*cfg, blobs, dir.get(), nullptr);
  if (!st) return fail_with(1, "mail store: " + st.error().message);
  // A dry run reads the state if there is one and writes none.
  auto state_file = cfg->data_dir / "migrate.db";
  auto sstate = state::open(o.dry_run && !std::filesystem::exists(state_file) ? ":memory:" : state_file);
  if (!sstate) return fail_with(1, "migration state: " + sstate.error().message);
  const std::string source_id = "imap://" + o.login + "@" + o.from.host + ":" + std::to_string(o.from.port) + " -> " + o.account;

  bandwidth bw(o.bwlimit);
  auto first = connection::open(o.from, o.ca_file, o.timeout, &bw);
  if (!first) return fail_with(1, first.error().message);
  if (auto r = (*first)->login(o.login, o.password); !r) return fail_with(1, r.error().message);
  auto& c0 = **first;
  // With UTF8=ACCEPT, names come as UTF-8 and no modified UTF-7 can go wrong.
  enable_utf8(c0);
  std::string prefix;
  if (c0.has("NAMESPACE")) {
    (void)c0.run("NAMESPACE", [&](client::response& r) -> result<void> {
      // "* NAMESPACE (("INBOX." ".")) NIL NIL": the personal namespace's prefix.
      if (r.name == "NAMESPACE" && !r.data.empty() && r.data[0].k == client::value::kind::list &&
          !r.data[0].items.empty() && r.data[0].items[0].k == client::value::kind::list &&
          !r.data[0].items[0].items.empty())
        prefix = r.data[0].items[0].items[0].text;
      return {};
    });
  }
  std::vector<client::list_entry> folders;
  auto lr = c0.run("LIST \"\" \"*\"", [&](client::response& r) -> result<void> {
    if (r.name != "LIST") return {};
    auto e = client::parse_list(r);
    if (!e) return e.error();
    folders.push_back(std::move(*e));
    return {};
  });
  if (!lr) return fail_with(1, "LIST failed: " + lr.error().message);

  engine eng(o, **st, blobs, **sstate, source_id);
  const bool gmail = c0.has("X-GM-EXT-1");
  std::vector<job> jobs;
  bool have_all = false;
  for (const auto& f : folders) {
    job j;
    j.wire_name = f.name;
    j.name = f.name;
    if (!c0.utf8())
      if (auto d = mail::imap::mutf7_decode(f.name, true)) j.name = *d;
    j.plan = plan::plan_folder({f.name, f.delimiter, f.attributes}, c0.utf8(), prefix);
    if (!matches(o.folder_patterns, j.name)) continue;
    // Only an All Mail that is read can stand for the label folders (--folders INBOX on Gmail
    // reads INBOX itself).
    if (j.plan.r == plan::role::all) have_all = true;
    jobs.push_back(std::move(j));
  }
  std::vector<job> work;
  for (auto& j : jobs) {
    if (j.plan.r == plan::role::skip) continue;
    if (gmail && have_all) {
      // Gmail: every message once, from All Mail, filed by its labels; Spam and Trash are not
      // in All Mail and are read as folders. Label folders are made even when empty.
      if (j.plan.r == plan::role::all) {
        j.gmail_all = true;
      } else if (j.plan.r != plan::role::junk && j.plan.r != plan::role::trash) {
        if (!o.dry_run && o.labels == plan::label_mode::folders && j.plan.r == plan::role::normal)
          if (auto r = eng.ensure_mailbox(j.plan.target, j.plan.special_use); !r)
            return fail_with(1, "cannot create \"" + j.plan.target + "\": " + r.error().message);
        continue;
      }
    } else if (j.plan.r == plan::role::all) {
      j.phase = 2;
    }
    work.push_back(j);
  }
  if (!o.dry_run) {
    for (const auto& j : work)
      if (!j.plan.target.empty())
        if (auto r = eng.ensure_mailbox(j.plan.target, j.plan.special_use); !r)
          return fail_with(1, "cannot create \"" + j.plan.target + "\": " + r.error().message);
    if (auto r = eng.reconcile(); !r) return fail_with(1, "reading the account: " + r.error().message);
  }
  // What is left to look at, for the progress bar.
  for (auto& j : work) {
    std::vector<std::string> seg{"STATUS "};
    c0.add_string(seg, j.wire_name);
    seg.back() += " (MESSAGES UIDVALIDITY)";
    std::uint32_t messages = 0, uidvalidity = 0;
    (void)c0.run(seg, [&](client::response& r) -> result<void> {
      if (r.name != "STATUS" || r.data.size() < 2 || r.data[1].k != client::value::kind::list) return {};
      const auto& it = r.data[1].items;
      for (std::size_t i = 0; i + 1 < it.size(); i += 2) {
        if (it[i].is_atom("MESSAGES")) messages = static_cast<std::uint32_t>(std::strtoul(it[i + 1].text.c_str(), nullptr, 10));
        if (it[i].is_atom("UIDVALIDITY")) uidvalidity = static_cast<std::uint32_t>(std::strtoul(it[i + 1].text.c_str(), nullptr, 10));
      }
      return {};
    });
    auto done = (*sstate)->done(source_id, j.wire_name, uidvalidity);
    std::uint32_t already = done ? static_cast<std::uint32_t>(done->size()) : 0;
    j.expected = messages > already ? messages - already : 0;
    eng.stats().expected += j.expected;
  }
  std::stable_sort(work.begin(), work.end(), [](const job& x, const job& y) { return x.phase < y.phase; });

  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  eng.set_bar(tty);
  eng.say(std::string(o.dry_run ? "dry run: " : "") + "migrating " + std::to_string(work.size()) + " folders from " +
          o.from.host + " into " + o.account + (gmail && have_all ? " (Gmail labels as " + std::string(o.labels == plan::label_mode::folders ? "folders" : "keywords") + ")" : ""));
  auto t0 = std::chrono::steady_clock::now();

  // Workers take folders in order; phase-2 folders wait until every phase-1 folder is done.
  std::mutex qm;
  std::condition_variable qcv;
  std::size_t next = 0, phase1_left = 0;
  for (const auto& j : work) phase1_left += j.phase == 1;
  std::atomic<bool> finished{false};
  const bool utf8 = c0.utf8();  // c0 belongs to the first worker from here on
  std::thread progress([&] { progress_loop(eng, tty, finished, t0); });
  auto worker = [&](std::unique_ptr<connection> conn) {
    for (;;) {
      std::size_t idx;
      {
        std::unique_lock l(qm);
        for (;;) {
          if (next >= work.size() || eng.stopped()) return;
          if (work[next].phase == 2 && phase1_left > 0) {
            qcv.wait(l);
            continue;
          }
          break;
        }
        idx = next++;
      }
      const job& j = work[idx];
      // A lost connection is opened again and the folder read again, once: what was stored is
      // recorded, so the second attempt starts where the first stopped.
      for (int attempt = 0; attempt < 2 && !eng.stopped(); ++attempt) {
        hearth::error failure;
        if (!conn) {
          auto c = connection::open(o.from, o.ca_file, o.timeout, &bw);
          if (c) {
            if (auto r = (*c)->login(o.login, o.password); !r) {
              c = r.error();
            } else if (utf8) {
              enable_utf8(**c);
            }
          }
          if (c) conn = std::move(*c);
          else failure = c.error();
        }
        if (conn) {
          auto r = eng.run_job(*conn, j);
          if (r) break;
          failure = r.error();
        }
        const auto& code = failure.code;
        bool network = code == "migrate.io" || code == "migrate.connect" || code.rfind("imap.", 0) == 0;
        if (network) conn.reset();
        std::string text = failure.message.find(j.name) == std::string::npos
                               ? "folder \"" + j.name + "\": " + failure.message : failure.message;
        if (!network || attempt == 1) {
          eng.say("hearth: " + text, true);
          break;
        }
        eng.say(text + "; connecting again");
      }
      std::lock_guard l(qm);
      if (j.phase == 1 && --phase1_left == 0) qcv.notify_all();
      if (eng.stopped()) qcv.notify_all();
    }
  };
  // Store threads: one folder's messages are stored while the next are read, and several
  // fsyncs wait at once (the file system commits them together: on the bench, 4 threads store
  // twice as fast as 2).
  eng.start_store_threads(std::max(4, 2 * o.parallel));
  std::vector<std::thread> threads;
  int n = std::max(1, std::min<int>(o.parallel, static_cast<int>(work.size())));
  threads.emplace_back(worker, std::move(*first));
  for (int i = 1; i < n; ++i) threads.emplace_back(worker, nullptr);
  for (auto& t : threads) t.join();
  eng.stop_store_threads();
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  finished = true;
  progress.join();
  if (tty) std::fputs("\r\033[K", stdout);

  auto& s = eng.stats();
  char line[400];
  std::snprintf(line, sizeof line,
                "%s%llu messages read (%s) in %.1f s, %.0f msg/s, %s/s: %llu copies stored, %llu duplicates skipped, "
                "%llu failed",
                o.dry_run ? "dry run: " : "", static_cast<unsigned long long>(s.seen.load()),
                human_bytes(static_cast<double>(s.bytes)).c_str(), el, el > 0 ? static_cast<double>(s.seen) / el : 0.0,
                human_bytes(el > 0 ? static_cast<double>(s.bytes) / el : 0).c_str(),
                static_cast<unsigned long long>(s.copied.load()), static_cast<unsigned long long>(s.duplicates.load()),
                static_cast<unsigned long long>(s.failed.load()));
  std::printf("%s\n", line);
  auto errs = eng.errors();
  if (!errs.empty()) {
    std::printf("%zu problems (see above); run the same command again to retry what failed\n", errs.size());
    return 1;
  }
  return 0;
}

}  // namespace hearth::app
