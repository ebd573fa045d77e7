#pragma once
// The state-tracking load of bench_imap (--state): what a desktop or phone client does once it
// is logged in, on many small mailboxes that change while it looks. Each client logs in once
// (logins are not timed, so the servers' password hashing costs do not count) and loops:
//
//   LIST "" "*"                          the folder tree
//   STATUS <another box> (MESSAGES UIDNEXT UNSEEN)
//   SELECT <its box>                     shared with other clients: they see each other's changes
//   UID FETCH 1:* (UID FLAGS)            resynchronise the flags (the box is small)
//   UID FETCH <u> (BODY.PEEK[HEADER.FIELDS (From Subject Date)])
//   UID STORE <u> +FLAGS/-FLAGS (\Seen)  (or \Flagged)
//   UID STORE <v> +FLAGS (\Deleted)
//   EXPUNGE
//   APPEND <its box>                     one in, one out: the box keeps its size
//
// The UIDs come from the FETCH answers (untagged EXISTS/EXPUNGE of other sessions are read and
// tracked as a client would). Per-command latencies and the commands/s of the whole run are
// returned for printing side by side with another server's.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "imap_bench_client.hpp"

namespace hearth::bench {

struct state_options {
  std::string host, user, password;
  std::string host2;  // a second node of the same server: odd-numbered clients use it
  int port = 0;
  int clients = 10;
  int seconds = 30;
  int boxes = 12;             // mailboxes the load uses ("Load/Box1".."Load/BoxN")
  int messages_per_box = 20;  // filled before the run, kept by one APPEND per EXPUNGE
  int sessions_per_box = 3;   // clients that share one selected mailbox
};

struct state_result {
  std::map<std::string, std::vector<double>> ms;  // per command, sorted
  double seconds = 0;
  long errors = 0;
  std::size_t total() const {
    std::size_t n = 0;
    for (auto& [k, v] : ms) n += v.size();
    return n;
  }
};

inline std::string state_box(int i) { return "Load/Box" + std::to_string(i + 1); }

inline std::string state_message(int i, unsigned r) {
  static const char* words[] = {"report", "meeting", "invoice", "holiday", "project", "budget", "lunch", "release"};
  std::string body;
  for (int l = 0; l < 10 + static_cast<int>(r % 30); ++l)
    body += "Line " + std::to_string(l) + " about the " + words[(r >> l % 16) % 8] + ".\r\n";
  return "From: Sender " + std::to_string(i % 20) + " <s" + std::to_string(i % 20) + "@example.org>\r\n" +
         "To: bench@example.test\r\nSubject: " + words[r % 8] + " " + std::to_string(i) +
         "\r\nDate: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: <s" + std::to_string(i) + "." +
         std::to_string(r) + "@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

// Creates the mailboxes (an existing one is kept) and tops each up to messages_per_box.
// False when the server cannot be reached or refuses the login.
inline bool state_prepare(const state_options& o) {
  imap_client c;
  if (!c.connect(o.host, o.port) || !c.login(o.user, o.password)) return false;
  std::mt19937 rng(42);
  c.command("CREATE Load");
  for (int b = 0; b < o.boxes; ++b) {
    c.command("CREATE " + state_box(b));  // NO when it exists: fine
    if (!c.command("SELECT " + state_box(b))) return false;
    for (auto n = c.exists(); n < static_cast<std::uint32_t>(o.messages_per_box); ++n)
      if (!c.append(state_box(b), state_message(static_cast<int>(n), static_cast<unsigned>(rng())))) return false;
  }
  return c.command("LOGOUT");
}

inline void state_worker(const state_options& o, int id, std::chrono::steady_clock::time_point start,
                         std::chrono::steady_clock::time_point end, state_result& out, std::mutex& mu) {
  imap_client c;
  std::map<std::string, std::vector<double>> local;
  long errors = 0;
  const std::string& host = id % 2 && !o.host2.empty() ? o.host2 : o.host;
  if (!c.connect(host, o.port) || !c.login(o.user, o.password)) {
    std::lock_guard lock(mu);
    ++out.errors;
    return;
  }
  std::mt19937 rng(static_cast<unsigned>(id) * 7919u + 1u);
  const int shared = std::max(1, o.clients / std::max(1, o.sessions_per_box));
  const std::string mine = state_box(id % std::min(shared, o.boxes));
  auto timed = [&](const char* name, auto&& fn) {
    auto t0 = std::chrono::steady_clock::now();
    bool ok = fn();
    if (!ok) ++errors;
    if (t0 >= start) local[name].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  };
  auto pick = [&](const std::vector<std::uint32_t>& uids) -> std::uint32_t {
    return uids.empty() ? 1 : uids[rng() % uids.size()];
  };
  std::this_thread::sleep_until(start);
  for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
    timed("LIST", [&] { return c.command("LIST \"\" \"*\""); });
    const std::string other = state_box(static_cast<int>(rng() % static_cast<unsigned>(o.boxes)));
    timed("STATUS", [&] { return c.command("STATUS " + other + " (MESSAGES UIDNEXT UNSEEN)"); });
    timed("SELECT", [&] { return c.command("SELECT " + mine); });
    c.forget();
    timed("FETCH flags 1:*", [&] { return c.command("UID FETCH 1:* (UID FLAGS)"); });
    std::vector<std::uint32_t> uids = c.fetched_uids();
    timed("FETCH headers", [&] {
      return c.command("UID FETCH " + std::to_string(pick(uids)) +
                       " (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From Subject Date)])");
    });
    timed("STORE", [&] {
      const char* flag = rng() % 4 == 0 ? "\\Flagged" : "\\Seen";
      return c.command("UID STORE " + std::to_string(pick(uids)) + (rng() % 2 ? " +FLAGS (" : " -FLAGS (") + flag + ")");
    });
    timed("STORE \\Deleted", [&] { return c.command("UID STORE " + std::to_string(pick(uids)) + " +FLAGS (\\Deleted)"); });
    timed("EXPUNGE", [&] { return c.command("EXPUNGE"); });
    timed("APPEND", [&] {
      return c.append(mine, state_message(1000 * id + i, static_cast<unsigned>(rng())), rng() % 3 ? "" : "\\Seen");
    });
  }
  c.command("LOGOUT");
  std::lock_guard lock(mu);
  out.errors += errors;
  for (auto& [k, v] : local) out.ms[k].insert(out.ms[k].end(), v.begin(), v.end());
}

// Runs the load against one server and returns its figures.
inline state_result state_run(const state_options& o) {
  state_result r;
  std::mutex mu;
  // Every client connects and logs in first; the clock starts when all have.
  auto start = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  auto end = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> workers;
  for (int i = 0; i < o.clients; ++i)
    workers.emplace_back(state_worker, std::cref(o), i, start, end, std::ref(r), std::ref(mu));
  for (auto& t : workers) t.join();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& [k, v] : r.ms) std::sort(v.begin(), v.end());
  return r;
}

inline double state_avg(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

inline double state_pct(const std::vector<double>& v, int pct) {
  return v.empty() ? 0 : v[std::min(v.size() - 1, v.size() * static_cast<std::size_t>(pct) / 100)];
}

// Prints one or two servers' figures as one table (the second may be empty).
inline void state_print(const std::string& name_a, const state_result& a, const std::string& name_b,
                        const state_result* b) {
  std::printf("%-18s %28s", "command", (name_a + " n / avg / p50 / p99 ms").c_str());
  if (b) std::printf("   %28s", (name_b + " n / avg / p50 / p99 ms").c_str());
  std::printf("\n");
  for (auto& [k, v] : a.ms) {
    std::printf("%-18s %6zu %6.1f %6.1f %7.1f", k.c_str(), v.size(), state_avg(v), state_pct(v, 50), state_pct(v, 99));
    if (b) {
      auto it = b->ms.find(k);
      static const std::vector<double> none;
      const auto& w = it == b->ms.end() ? none : it->second;
      std::printf("      %6zu %6.1f %6.1f %7.1f", w.size(), state_avg(w), state_pct(w, 50), state_pct(w, 99));
    }
    std::printf("\n");
  }
  std::printf("%-18s %10.0f cmd/s, %ld errors", "whole mix", static_cast<double>(a.total()) / a.seconds, a.errors);
  if (b)
    std::printf("      %10.0f cmd/s, %ld errors (ratio %.2fx)", static_cast<double>(b->total()) / b->seconds, b->errors,
                (static_cast<double>(a.total()) / a.seconds) / (static_cast<double>(b->total()) / b->seconds));
  std::printf("\n");
}

}  // namespace hearth::bench
