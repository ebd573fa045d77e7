// `hearth spam train|classify|stats|forget`: the learning spam filter's database
// (DATA_DIR/spam.db, shared with a running `hearth serve`, which sees the changes at once).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/common.hpp"
#include "app/mail_store_open.hpp"
#include "app/serve_spam.hpp"
#include "core/blob/store.hpp"
#include "mail/filter/bayes_scorer.hpp"
#include "mail/store/store.hpp"

namespace hearth::app {
namespace {

namespace mf = mail::filter;
namespace fs = std::filesystem;

const char* usage =
    "usage: hearth [--config FILE] spam COMMAND\n\n"
    "commands:\n"
    "  train [--user U] [--spam MAILBOX] [--ham MAILBOX] [--spam-mbox PATH] [--ham-mbox PATH]\n"
    "                 learn messages as spam or ham: from a user's mailbox, from an mbox file, or from a\n"
    "                 Maildir or a folder of one-message files; without --user, the site-wide database\n"
    "                 (mailboxes need --user). A message already learnt the same way is skipped.\n"
    "  classify FILE [--user U]\n"
    "                 the score of a message (\"-\": standard input), the test it earns and the tokens\n"
    "                 that weighed most; for a folder, one line per message and the time per message\n"
    "  stats [--user U]   what the site-wide database (and the user's) learnt\n"
    "  forget --user U    forget what the user taught (their share of the site-wide counts too);\n"
    "                     --site empties the site-wide database (users keep their own)\n";

constexpr std::size_t max_file_bytes = 64u << 20;
constexpr std::size_t batch = 500;

// A file's content, without the mbox "From " line a one-message file may start with.
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s;
  char buf[65536];
  while (in && s.size() < max_file_bytes) {
    in.read(buf, sizeof buf);
    s.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  return s;
}

std::string read_message_file(const fs::path& p) {
  auto s = read_file(p);
  if (s.starts_with("From ")) {
    auto nl = s.find('\n');
    s.erase(0, nl == std::string::npos ? s.size() : nl + 1);
  }
  return s;
}

// The messages of an mbox (mboxrd/mboxo: "From " lines start messages; ">From " unquoted).
std::vector<std::string> split_mbox(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_msg = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("From ")) {
      if (in_msg) out.push_back(std::move(cur));
      cur.clear();
      in_msg = true;
      continue;
    }
    if (!in_msg) continue;
    std::size_t q = 0;
    while (q < line.size() && line[q] == '>') ++q;
    if (q > 0 && line.compare(q, 5, "From ") == 0) line.erase(0, 1);
    cur += line;
    cur += "\r\n";
  }
  if (in_msg) out.push_back(std::move(cur));
  return out;
}

// The messages at PATH: an mbox file, a Maildir (cur/ and new/), or a folder of files.
std::vector<std::string> read_messages(const fs::path& p, std::string& err) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    std::vector<fs::path> files;
    std::vector<fs::path> dirs{p};
    if (fs::is_directory(p / "cur", ec) || fs::is_directory(p / "new", ec)) dirs = {p / "cur", p / "new"};
    for (const auto& d : dirs)
      for (const auto& e : fs::directory_iterator(d, ec))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.push_back(read_message_file(f));
    return out;
  }
  if (!fs::exists(p, ec)) {
    err = p.string() + ": no such file or folder";
    return out;
  }
  auto text = read_file(p);
  if (text.starts_with("From ")) return split_mbox(text);
  out.push_back(std::move(text));  // one message
  return out;
}

struct tally {
  std::uint64_t fresh = 0, flipped = 0, already = 0;
};

bool learn_all(mf::bayes::engine& e, const std::string& owner, bool also_site, const std::vector<std::string>& msgs,
               bool spam, tally& t) {
  std::vector<mf::bayes::learn_item> items;
  auto flush = [&]() -> bool {
    if (items.empty()) return true;
    auto r = e.learn_batch(items);
    if (!r) {
      fail_with(1, r.error().message);
      return false;
    }
    for (auto o : *r) (o == mf::bayes::learn_outcome::learnt ? t.fresh : o == mf::bayes::learn_outcome::flipped ? t.flipped : t.already)++;
    items.clear();
    return true;
  };
  for (const auto& m : msgs) {
    items.push_back(e.lesson(owner, blob::id_of(m), m, spam, also_site));
    if (items.size() >= batch && !flush()) return false;
  }
  return flush();
}

std::vector<std::string> mailbox_messages(mail::store& st, blob::store& blobs, const std::string& user,
                                          const std::string& box, std::string& err) {
  std::vector<std::string> out;
  auto msgs = st.fetch(user, box, {{1, mail::uid_max}});
  if (!msgs) {
    err = user + " " + box + ": " + msgs.error().message;
    return out;
  }
  for (const auto& m : *msgs) {
    auto b = blobs.get(m.blob_id, max_file_bytes);
    if (b) out.push_back(std::move(*b));
  }
  return out;
}

int train(const config::config& cfg, const parsed_args& p) {
  auto e = open_spam_engine(cfg);
  if (!e) return 1;
  const std::string user = p.option("--user").value_or("");
  struct source {
    bool spam;
    bool mailbox;
    std::string what;
  };
  std::vector<source> sources;
  if (auto v = p.option("--spam")) sources.push_back({true, true, *v});
  if (auto v = p.option("--ham")) sources.push_back({false, true, *v});
  if (auto v = p.option("--spam-mbox")) sources.push_back({true, false, *v});
  if (auto v = p.option("--ham-mbox")) sources.push_back({false, false, *v});
  if (sources.empty()) return usage_error("train needs --spam, --ham, --spam-mbox or --ham-mbox", usage);
  std::unique_ptr<directory::directory> dir;
  std::unique_ptr<blob::store> blobs;
  std::unique_ptr<mail::store> st;
  std::string owner;
  if (!user.empty()) {
    dir = open_directory(cfg);
    if (!dir) return 1;
    auto acc = dir->find_account(user);
    if (!acc) return fail_with(1, "no such account: " + user);
    owner = acc->address;
  }
  for (const auto& s : sources) {
    std::string err;
    std::vector<std::string> msgs;
    auto t0 = std::chrono::steady_clock::now();
    if (s.mailbox) {
      if (owner.empty()) return usage_error("--spam/--ham MAILBOX need --user", usage);
      if (!st) {
        blobs = std::make_unique<blob::store>(blob_dir(cfg));
        auto o = open_mail_store(cfg, *blobs, dir.get());
        if (!o) return fail_with(1, o.error().message);
        st = std::move(*o);
      }
      msgs = mailbox_messages(*st, *blobs, owner, s.what, err);
    } else {
      msgs = read_messages(s.what, err);
    }
    if (!err.empty()) return fail_with(1, err);
    tally t;
    if (!learn_all(*e, owner, !owner.empty() && cfg.filter_bayes_learn_site_wide, msgs, s.spam, t)) return 1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s %s: %zu messages as %s (%llu new, %llu flipped, %llu already learnt) in %lld ms\n",
                owner.empty() ? "site" : owner.c_str(), s.what.c_str(), msgs.size(), s.spam ? "spam" : "ham",
                static_cast<unsigned long long>(t.fresh), static_cast<unsigned long long>(t.flipped),
                static_cast<unsigned long long>(t.already), static_cast<long long>(ms));
  }
  return 0;
}

// One line per message of a folder ("SCORE VERDICT FILE"), then the time per message: for
// corpus evaluations (bench/bench_spam.py) without a process per message.
int classify_folder(mf::bayes::engine& e, const fs::path& dir, const std::string& owner) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec))
    if (f.is_regular_file()) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  std::chrono::steady_clock::duration spent{};
  for (const auto& f : files) {
    auto msg = read_message_file(f);
    auto t0 = std::chrono::steady_clock::now();
    auto c = e.classify(msg, owner);
    spent += std::chrono::steady_clock::now() - t0;
    if (!c) return fail_with(1, c.error().message);
    std::printf("%.4f %s %s\n", c->score, mf::bayes::class_name(c->verdict), f.filename().c_str());
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(spent).count();
  std::printf("classified %zu messages in %lld ms (%lld us each)\n", files.size(), static_cast<long long>(us / 1000),
              static_cast<long long>(files.empty() ? 0 : us / static_cast<long long>(files.size())));
  return 0;
}

int classify(const config::config& cfg, const parsed_args& p) {
  if (p.positional.size() != 2) return usage_error("classify needs one FILE", usage);
  auto e = open_spam_engine(cfg);
  if (!e) return 1;
  std::string msg;
  if (p.positional[1] == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    msg = ss.str();
  } else {
    std::error_code ec;
    if (fs::is_directory(p.positional[1], ec)) return classify_folder(*e, p.positional[1], p.option("--user").value_or(""));
    if (!fs::is_regular_file(p.positional[1], ec)) return fail_with(1, p.positional[1] + ": no such file");
    msg = read_message_file(p.positional[1]);
  }
  std::string owner = p.option("--user").value_or("");
  auto t0 = std::chrono::steady_clock::now();
  auto c = e->classify(msg, owner);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  if (!c) return fail_with(1, c.error().message);
  mf::bayes_scorer_options so;
  if (!spam_scorer_options(cfg, so)) return 1;
  auto test = mf::bayes_test(*c, e->model(), so);
  std::printf("score: %.4f\nverdict: %s\n", c->score, mf::bayes::class_name(c->verdict));
  if (!test.symbol.empty()) std::printf("test: %s (%g)\n", test.symbol.c_str(), test.score);
  std::printf("trained: %llu spam, %llu ham (%s%s)\n", static_cast<unsigned long long>(c->trained.spam),
              static_cast<unsigned long long>(c->trained.ham), owner.empty() ? "site" : "site + ", owner.c_str());
  if (c->verdict == mf::bayes::bayes_class::untrained)
    std::printf("note: the filter votes from %llu spam and %llu ham\n", static_cast<unsigned long long>(e->model().min_spam),
                static_cast<unsigned long long>(e->model().min_ham));
  std::printf("time: %lld us\nclues (%zu used; strongest first):\n", static_cast<long long>(us), c->clues.size());
  std::size_t n = 0;
  for (const auto& cl : c->clues) {
    if (n++ >= 20) break;
    std::printf("  %.3f  spam=%-6llu ham=%-6llu %s\n", cl.prob, static_cast<unsigned long long>(cl.seen.spam),
                static_cast<unsigned long long>(cl.seen.ham), cl.token.c_str());
  }
  return 0;
}

void print_stats(const mf::bayes::owner_stats& s) {
  std::printf("%s: %llu spam, %llu ham, %llu tokens\n", s.owner.empty() ? "site" : s.owner.c_str(),
              static_cast<unsigned long long>(s.messages.spam), static_cast<unsigned long long>(s.messages.ham),
              static_cast<unsigned long long>(s.tokens));
}

int stats(const config::config& cfg, const parsed_args& p) {
  auto e = open_spam_engine(cfg);
  if (!e) return 1;
  std::vector<std::string> owners;
  if (auto u = p.option("--user")) {
    owners = {"", *u};
  } else {
    auto o = e->store().owners();
    if (!o) return fail_with(1, o.error().message);
    owners = *o;
  }
  for (const auto& o : owners) {
    auto s = e->store().stats(o);
    if (!s) return fail_with(1, s.error().message);
    print_stats(*s);
  }
  std::printf("votes from: %llu spam and %llu ham\n", static_cast<unsigned long long>(e->model().min_spam),
              static_cast<unsigned long long>(e->model().min_ham));
  return 0;
}

int forget(const config::config& cfg, const parsed_args& p) {
  auto user = p.option("--user");
  if (!user && !p.has("--site")) return usage_error("forget needs --user U or --site", usage);
  auto e = open_spam_engine(cfg);
  if (!e) return 1;
  std::string owner = user.value_or("");
  auto n = e->store().forget(owner);
  if (!n) return fail_with(1, n.error().message);
  std::printf("%s: forgot %llu messages\n", owner.empty() ? "site" : owner.c_str(), static_cast<unsigned long long>(*n));
  return 0;
}

}  // namespace

int cmd_spam(const globals& g, const args& a) {
  auto p = parse_args(a, {"--user", "--spam", "--ham", "--spam-mbox", "--ham-mbox"}, {"--site"});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string& sub = p.positional[0];
  if (sub != "train" && sub != "classify" && sub != "stats" && sub != "forget") return usage_error("bad spam command", usage);
  if (sub != "classify" && p.positional.size() != 1) return usage_error("unexpected argument", usage);
  auto cfg = load_config(g);
  if (!cfg) return 1;
  if (sub == "train") return train(*cfg, p);
  if (sub == "classify") return classify(*cfg, p);
  if (sub == "stats") return stats(*cfg, p);
  return forget(*cfg, p);
}

}  // namespace hearth::app
