// The queue end to end inside one process: a real knotd serving MX records on 127.0.119.1:5353
// and Postfix's smtp-sink as the remote MTAs (Debian: knot, postfix), both child processes
// stopped by PID. NET 119 of the queue's range (e2e tests use 110-118).
#include "mail/queue/queue.hpp"

#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/dns/resolver.hpp"
#include "mail/queue/reply.hpp"
#include "mail/queue/store.hpp"
#include "tests/unit/test_database.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace hearth::mail::queue;
using namespace std::chrono_literals;

namespace {

constexpr const char* dns_addr = "127.0.119.1";
constexpr int dns_port = 5353;
constexpr int smtp_port = 2525;

const char* zone_text(const std::string& origin, const std::string& records) {
  static std::string s;
  s = "$ORIGIN " + origin + ".\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n" + records;
  return s.c_str();
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

void stop_pid(pid_t& pid) {
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
}

bool port_open(const std::string& ip, int port) {
  std::string probe = "timeout 1 bash -c '</dev/tcp/" + ip + "/" + std::to_string(port) + "' 2>/dev/null";
  return std::system(probe.c_str()) == 0;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// knotd + three smtp-sinks: b.test accepts, c.test rejects RCPT with 550, d.test has an MX
// where nothing listens, nomx.test has a null MX (RFC 7505).
struct remote_world {
  fs::path dir;
  pid_t knot = -1, sink_ok = -1, sink_reject = -1;

  remote_world() {
    dir = fs::temp_directory_path() / ("hearth-queue-test-" + std::to_string(::getpid()));
    fs::create_directories(dir / "zones");
    fs::create_directories(dir / "run");
    fs::create_directories(dir / "db");
    fs::create_directories(dir / "dump");
    ::chmod((dir / "dump").c_str(), 0777);
    std::ofstream(dir / "zones" / "b.test.zone") << zone_text("b.test", "@ MX 10 mx\n@ MX 20 backup\nmx A 127.0.119.2\nbackup A 127.0.119.9\n");
    std::ofstream(dir / "zones" / "c.test.zone") << zone_text("c.test", "@ MX 10 mx\nmx A 127.0.119.3\n");
    std::ofstream(dir / "zones" / "d.test.zone") << zone_text("d.test", "@ MX 10 mx\nmx A 127.0.119.4\n");
    std::ofstream(dir / "zones" / "nomx.test.zone") << zone_text("nomx.test", "@ MX 0 .\n");
    // e.test: the preferred MX refuses connections, the second one takes the mail.
    std::ofstream(dir / "zones" / "e.test.zone") << zone_text("e.test", "@ MX 20 mx2\n@ MX 10 mx1\nmx1 A 127.0.119.4\nmx2 A 127.0.119.2\n");
    // g.test: we (mail.a.test) are its MX 10, the sink its MX 20: never delivered there (RFC
    // 5321 §5.1: a backup MX only relays to more preferred hosts).
    std::ofstream(dir / "zones" / "g.test.zone") << zone_text("g.test", "@ MX 10 mail.a.test.\n@ MX 20 mx2\nmx2 A 127.0.119.2\n");
    // f.test: no MX at all, an A record: the implicit MX (RFC 5321 §5.1).
    std::ofstream(dir / "zones" / "f.test.zone") << zone_text("f.test", "@ A 127.0.119.2\n");
    std::ofstream conf(dir / "knot.conf");
    conf << "server:\n    rundir: \"" << (dir / "run").string() << "\"\n";
    if (::geteuid() == 0) conf << "    user: root:root\n";
    conf << "    listen: [ " << dns_addr << "@" << dns_port << " ]\n"
         << "database:\n    storage: \"" << (dir / "db").string() << "\"\n"
         << "log:\n  - target: " << (dir / "knot.log").string() << "\n    any: info\n"
         << "template:\n  - id: default\n    storage: \"" << (dir / "zones").string() << "\"\n"
         << "    zonefile-sync: -1\n    journal-content: none\n"
         << "zone:\n";
    for (const char* z : {"b.test", "c.test", "d.test", "nomx.test", "e.test", "f.test", "g.test"}) conf << "  - domain: " << z << "\n    file: " << z << ".zone\n";
    conf.close();
    // A stale server on our addresses would take the mail: refuse to run rather than pass wrongly.
    REQUIRE_FALSE(port_open("127.0.119.2", smtp_port));
    knot = spawn({"/usr/sbin/knotd", "-c", (dir / "knot.conf").string()}, dir / "knotd.out");
    std::string user = ::geteuid() == 0 ? "nobody" : "";
    auto sink = [&](const std::string& ip, std::vector<std::string> extra) {
      std::vector<std::string> args{"/usr/sbin/smtp-sink"};
      if (!user.empty()) args.insert(args.end(), {"-u", user});
      args.insert(args.end(), extra.begin(), extra.end());
      args.push_back(ip + ":" + std::to_string(smtp_port));
      args.push_back("100");
      return spawn(args, dir / ("sink-" + ip + ".out"));
    };
    sink_ok = sink("127.0.119.2", {"-d", (dir / "dump" / "%Y%m%d%H%M%S.").string()});
    sink_reject = sink("127.0.119.3", {"-f", "RCPT", "-B", "550 5.1.1 No such user here"});
    std::string probe = "dig @" + std::string(dns_addr) + " -p " + std::to_string(dns_port) +
                        " +time=1 +tries=1 +short SOA b.test 2>/dev/null | grep -q hostmaster";
    for (int i = 0; i < 100; ++i) {
      if (std::system(probe.c_str()) == 0 && port_open("127.0.119.2", smtp_port) && port_open("127.0.119.3", smtp_port)) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  ~remote_world() {
    stop_pid(sink_ok);
    stop_pid(sink_reject);
    stop_pid(knot);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dumped() {
    std::string all;
    for (const auto& e : fs::directory_iterator(dir / "dump")) all += slurp(e.path());
    return all;
  }
};

remote_world& world() {
  static remote_world w;
  return w;
}

struct local_mail {
  std::string from, rcpt, message;
  bool streamed = false;  // handed over as a start and a reader of the spool
};

// A queue with a short schedule, its io_context on a thread, local deliveries collected.
struct harness {
  fs::path data;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<hearth::dns::resolver> res;
  std::shared_ptr<queue> q;
  std::thread th;
  std::mutex mu;
  std::vector<local_mail> local;
  std::vector<tls_outcome> tls;  // what the queue hands over for TLS-RPT

  std::string target;  // the database: DATA_DIR/hearth.db unless a test gives one

  explicit harness(fs::path dir, std::chrono::seconds give_up = 3600s, std::chrono::seconds warn = 3600s,
                   std::function<std::optional<std::chrono::seconds>(std::string_view)> give_up_for = {},
                   std::string db = {})
      : data(std::move(dir)), target(db.empty() ? (data / "hearth.db").string() : std::move(db)) {
    fs::create_directories(data);
    hearth::dns::options dopt;
    dopt.servers = {std::string(dns_addr) + ":" + std::to_string(dns_port)};
    dopt.timeout = 3000ms;
    res = std::make_unique<hearth::dns::resolver>(io.get_executor(), dopt);
    options o;
    o.data_dir = data;
    o.db_target = target;
    o.hostname = "mail.a.test";
    o.remote_port = smtp_port;
    o.first_retry = 1s;
    o.max_retry = 1s;
    o.give_up = give_up;
    o.delay_warning = warn;
    o.give_up_for = std::move(give_up_for);
    o.connect_timeout = 2s;
    o.command_timeout = 10s;
    o.resolver = res.get();
    o.is_local_domain = [](std::string_view d) { return d == "a.test"; };
    o.deliver_local = [this](const std::string& from, const std::string& rcpt, std::string_view m,
                             const piece_source* whole) -> hearth::result<void> {
      if (rcpt == "nobody@a.test") return hearth::fail("smtp.unknown_user", "no such user");
      std::string bytes(m);
      if (whole) {
        // A large message: its start, then all of it from the spool in pieces.
        bytes.clear();
        if (auto r = (*whole)([&](std::string_view p) -> hearth::result<void> {
              bytes += p;
              return {};
            });
            !r)
          return r.error();
        if (!bytes.starts_with(m)) return hearth::fail("test.start", "the start is not the message's");
      }
      std::lock_guard lk(mu);
      local.push_back({from, rcpt, std::move(bytes), whole != nullptr});
      return {};
    };
    o.on_tls = [this](std::vector<tls_outcome> v) {
      std::lock_guard lk(mu);
      for (auto& t : v) tls.push_back(std::move(t));
    };
    q = queue::open(o).value();
  }
  std::vector<tls_outcome> tls_outcomes() {
    std::lock_guard lk(mu);
    return tls;
  }
  void start() {
    q->start(io);
    th = std::thread([this] { io.run(); });
  }
  ~harness() {
    q->stop();
    // Let in-flight attempts (and their blocking-pool tasks) finish on the running io_context.
    for (int i = 0; i < 300 && !q->idle(); ++i) std::this_thread::sleep_for(50ms);
    work.reset();
    io.stop();
    if (th.joinable()) th.join();
  }
  std::vector<local_mail> locals() {
    std::lock_guard lk(mu);
    return local;
  }
  bool empty() { return store::open(data, target).value()->list().value().empty(); }
  // Waits (bounded) for a condition; never asserts a duration.
  template <class F>
  bool wait_for(F f, std::chrono::seconds limit = 30s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (f()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return f();
  }
};

fs::path tmpdir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("hearth-queue-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

envelope env_to(std::vector<std::string> rcpts, std::string from = "alice@a.test") {
  envelope e;
  e.from = std::move(from);
  for (auto& r : rcpts) e.rcpts.push_back({r, "", ""});
  e.client = "test";
  return e;
}

}  // namespace

TEST_CASE("store: enqueue is durable and resumes, admin operations", "[queue][store]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  auto dir = tmpdir("store");
  {
    auto s = store::open(dir, t.target).value();
    CHECK_FALSE(s->add(env_to({}), "x", 100).has_value());
    auto id = s->add(env_to({"bob@B.test", "carol@b.test"}), "Subject: x\r\n\r\nbody\r\n", 100).value();
    // On PostgreSQL the bytes are in the database (another node may deliver them), not a file.
    CHECK(fs::exists(s->spool_path(id)) == (t.engine == hearth::sql::engine::sqlite));
    CHECK(s->read_message(id).value() == "Subject: x\r\n\r\nbody\r\n");
    auto due = s->due(100, 10).value();
    REQUIRE(due.size() == 1);
    CHECK(due[0].rcpts.size() == 2);
    CHECK(due[0].rcpts[0].domain == "b.test");
    // Defer one recipient to t=200: only the other is due at t=150.
    outcome o;
    o.rowid = due[0].rcpts[0].rowid;
    o.k = outcome::kind::deferred;
    o.attempts = 1;
    o.next_attempt = 200;
    o.last_reply = "451 4.3.0 later";
    REQUIRE(s->record(id, {o}).has_value());
    CHECK(s->due(150, 10).value().at(0).rcpts.size() == 1);
    CHECK(s->next_due().value().value() == 100);
  }
  {
    // Reopened (as after a restart): the entry is still there.
    auto s = store::open(dir, t.target).value();
    auto all = s->list().value();
    REQUIRE(all.size() == 1);
    auto id = all[0].id;
    CHECK(all[0].rcpts[0].last_reply == "451 4.3.0 later");
    CHECK(s->flush(std::string_view(id), 0).value() == 2);
    CHECK(s->request_bounce(id, 0).value() == 2);
    CHECK(s->get(id).value().rcpts[0].status == "bounce");
    CHECK_FALSE(s->get("nope").has_value());
    CHECK(s->remove(id).value() == 2);
    CHECK_FALSE(fs::exists(s->spool_path(id)));
    CHECK(s->list().value().empty());
    // A spool file without a row is kept while young: add() renames it into place before it
    // commits the row, so it may be about to get one.
    const auto orphan = dir / "queue" / "0123ABCD.eml";
    std::ofstream(orphan) << "x";
    CHECK(s->remove_orphans(3600s).value() == 0);
    CHECK(fs::exists(orphan));
    // Older than any write in flight, it is an orphan (a crash between rename and commit).
    fs::last_write_time(orphan, fs::file_time_type::clock::now() - 2h);
    CHECK(s->remove_orphans(3600s).value() == 1);
    CHECK_FALSE(fs::exists(orphan));

    // A row whose spool file is gone: read_message says so in its own code (the agent bounces
    // it) and postpone moves only the earlier recipients.
    auto lost = s->add(env_to({"bob@b.test"}), "Subject: lost\r\n\r\n", 100).value();
    fs::remove(s->spool_path(lost));
    if (t.engine == hearth::sql::engine::sqlite) CHECK(s->read_message(lost).error().code == "queue.missing");
    else CHECK(s->read_message(lost).value() == "Subject: lost\r\n\r\n");
    REQUIRE(s->postpone(lost, 500).has_value());
    CHECK(s->get(lost).value().rcpts.at(0).next_attempt == 500);
    REQUIRE(s->postpone(lost, 300).has_value());
    CHECK(s->get(lost).value().rcpts.at(0).next_attempt == 500);
    CHECK(s->remove(lost).value() == 1);
  }
  fs::remove_all(dir);
}

TEST_CASE("store: a message added and read in pieces", "[queue][store]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  auto dir = tmpdir("pieces");
  auto s = store::open(dir, t.target).value();
  // Two and a half parts, handed over in pieces that do not line up with the parts.
  std::string body = "Subject: big\r\n\r\n";
  for (std::size_t i = 0; body.size() < queue_part_size * 5 / 2; ++i) body += "line " + std::to_string(i) + "\r\n";
  std::size_t calls = 0;
  auto id = s->add(env_to({"bob@b.test"}), [&](const piece_sink& out) -> hearth::result<void> {
    for (std::size_t at = 0; at < body.size(); at += 100000) {
      ++calls;
      if (auto r = out(std::string_view(body).substr(at, 100000)); !r) return r;
    }
    return {};
  }, 100).value();
  CHECK(calls > 2);
  CHECK(s->get(id).value().size == static_cast<std::int64_t>(body.size()));
  auto reader = s->open_message(id).value();
  std::string back;
  std::size_t pieces = 0, largest = 0;
  for (;;) {
    auto p = reader->next().value();
    if (p.empty()) break;
    ++pieces;
    largest = std::max(largest, p.size());
    back += p;
  }
  CHECK(back == body);
  CHECK(pieces == 3);
  CHECK(largest == queue_part_size);
  // A source that fails: the error comes back and nothing is queued.
  auto bad = s->add(env_to({"bob@b.test"}), [](const piece_sink& out) -> hearth::result<void> {
    if (auto r = out("Subject: half\r\n"); !r) return r;
    return hearth::fail("smtp.spill", "read failed");
  }, 100);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == "smtp.spill");
  CHECK(s->list().value().size() == 1);
  if (t.engine == hearth::sql::engine::sqlite) {
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir / "queue")) files += e.is_regular_file();
    CHECK(files == 1);
  }
  // An empty message is still a message (one empty part on PostgreSQL).
  auto empty = s->add(env_to({"bob@b.test"}), "", 100).value();
  CHECK(s->read_message(empty).value().empty());
  fs::remove_all(dir);
}

TEST_CASE("store: envelope round trip, ids in any case, outcomes, order and limit", "[queue][store]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  auto dir = tmpdir("store2");
  auto s = store::open(dir, t.target).value();
  CHECK_FALSE(s->next_due().value().has_value());
  CHECK(s->add(env_to({"no-at-sign"}), "x", 100).error().code == "queue.invalid");

  envelope e = env_to({"bob@b.test", "carol@c.test", "dave@c.test"}, "alice@a.test");
  e.ret = "HDRS";
  e.envid = "env-1";
  e.auth_user = "alice@a.test";
  e.requiretls = true;
  e.rcpts[0].notify = "SUCCESS,FAILURE";
  e.rcpts[0].orcpt = "rfc822;bob@b.test";
  auto first = s->add(e, "Subject: one\r\n\r\n", 200).value();
  auto second = s->add(env_to({"erin@e.test"}), "Subject: two\r\n\r\n", 100).value();

  auto m = s->get(first).value();
  CHECK(m.env.from == "alice@a.test");
  CHECK(m.env.ret == "HDRS");
  CHECK(m.env.envid == "env-1");
  CHECK(m.env.auth_user == "alice@a.test");
  CHECK(m.env.client == "test");
  CHECK(m.env.requiretls);
  CHECK(m.size == 16);
  CHECK(m.created == 200);
  REQUIRE(m.rcpts.size() == 3);
  CHECK(m.rcpts[0].address == "bob@b.test");
  CHECK(m.rcpts[0].notify == "SUCCESS,FAILURE");
  CHECK(m.rcpts[0].orcpt == "rfc822;bob@b.test");
  CHECK(m.rcpts[0].status == "queued");
  CHECK(m.rcpts[1].domain == "c.test");
  CHECK_FALSE(s->get(second).value().env.requiretls);

  // Ids are hex made in upper case; an administrator may type them in lower case.
  std::string lower = first;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  REQUIRE(lower != first);
  CHECK(s->get(lower).value().id == first);
  CHECK(s->flush(std::string_view(lower), 50).value() == 3);
  CHECK(s->get("not-hex").error().code == "queue.not_found");
  CHECK(s->flush(std::string_view("ABCDEF"), 50).error().code == "queue.not_found");
  CHECK(s->next_due().value().value() == 50);

  // Oldest first; the limit counts messages, not recipients.
  auto due = s->due(300, 10).value();
  REQUIRE(due.size() == 2);
  CHECK(due[0].id == second);
  CHECK(due[1].id == first);
  CHECK(due[1].rcpts.size() == 3);
  auto one = s->due(300, 1).value();
  REQUIRE(one.size() == 1);
  CHECK(one[0].id == second);
  auto all = s->list().value();
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == second);

  // One recipient delivered, one deferred, one warned: the message stays with two.
  std::vector<outcome> os(3);
  os[0].rowid = m.rcpts[0].rowid;
  os[0].k = outcome::kind::done;
  os[1].rowid = m.rcpts[1].rowid;
  os[1].k = outcome::kind::deferred;
  os[1].attempts = 2;
  os[1].next_attempt = 900;
  os[1].last_attempt = 300;
  os[1].last_reply = "451 4.7.1 greylisted";
  os[1].last_status = "4.7.1";
  os[1].relay = "mx.c.test[127.0.0.1]:25";
  os[2].rowid = m.rcpts[2].rowid;
  os[2].k = outcome::kind::warned;
  REQUIRE(s->record(first, os).has_value());
  m = s->get(first).value();
  REQUIRE(m.rcpts.size() == 2);
  CHECK(m.rcpts[0].address == "carol@c.test");
  CHECK(m.rcpts[0].attempts == 2);
  CHECK(m.rcpts[0].next_attempt == 900);
  CHECK(m.rcpts[0].last_attempt == 300);
  CHECK(m.rcpts[0].last_reply == "451 4.7.1 greylisted");
  CHECK(m.rcpts[0].last_status == "4.7.1");
  CHECK(m.rcpts[0].relay == "mx.c.test[127.0.0.1]:25");
  CHECK_FALSE(m.rcpts[0].warned);
  CHECK(m.rcpts[1].warned);
  // Only dave is due at 300 now.
  due = s->due(300, 10).value();
  REQUIRE(due.size() == 2);
  REQUIRE(due[1].rcpts.size() == 1);
  CHECK(due[1].rcpts[0].address == "dave@c.test");

  // The last recipients done: the message and its spool file go.
  REQUIRE(s->read_message(first).has_value());
  REQUIRE(fs::exists(s->spool_path(first)) == (t.engine == hearth::sql::engine::sqlite));
  os.resize(2);
  os[0] = {};
  os[0].rowid = m.rcpts[0].rowid;
  os[1] = {};
  os[1].rowid = m.rcpts[1].rowid;
  REQUIRE(s->record(first, os).has_value());
  CHECK(s->get(first).error().code == "queue.not_found");
  CHECK_FALSE(fs::exists(s->spool_path(first)));
  CHECK(s->read_message(first).error().code == "queue.missing");
  CHECK(s->list().value().size() == 1);
  CHECK(s->request_bounce(first, 0).error().code == "queue.not_found");
  fs::remove_all(dir);
}

TEST_CASE("queue delivers by MX to smtp-sink, bounces 550 with a DSN, never bounces a bounce", "[queue][integration]") {
  auto& w = world();
  auto dir = tmpdir("deliver");
  {
    harness h(dir);
    h.start();
    const std::string msg = "From: alice@a.test\r\nTo: bob@b.test\r\nSubject: queue test\r\n\r\n.leading dot\r\nbody\r\n";
    auto id = h.q->enqueue(env_to({"bob@b.test", "carol@B.TEST"}), msg);
    REQUIRE(id.has_value());
    CHECK(h.wait_for([&] { return w.dumped().find("Subject: queue test") != std::string::npos; }));
    CHECK(h.wait_for([&] { return h.empty(); }));
    auto dump = w.dumped();
    CHECK(dump.find("\n.leading dot") != std::string::npos);  // dot-stuffing undone by the server
    CHECK(dump.find("X-Rcpt-Args: <bob@b.test>") != std::string::npos);
    CHECK(dump.find("X-Rcpt-Args: <carol@B.TEST>") != std::string::npos);  // one transaction, both recipients

    // c.test answers 550 to RCPT: a DSN goes to the local sender, from the null sender.
    auto bad = h.q->enqueue(env_to({"x@c.test"}), "Subject: to be bounced\r\n\r\nhello\r\n");
    REQUIRE(bad.has_value());
    REQUIRE(h.wait_for([&] { return !h.locals().empty(); }));
    auto l = h.locals();
    REQUIRE(l.size() == 1);
    CHECK(l[0].from.empty());
    CHECK(l[0].rcpt == "alice@a.test");
    CHECK(l[0].message.find("Final-Recipient: rfc822; x@c.test") != std::string::npos);
    CHECK(l[0].message.find("Action: failed") != std::string::npos);
    CHECK(l[0].message.find("Status: 5.") != std::string::npos);
    CHECK(l[0].message.find("Diagnostic-Code: smtp; 5") != std::string::npos);
    CHECK(l[0].message.find("Remote-MTA: dns; mx.c.test") != std::string::npos);
    CHECK(l[0].message.find("Subject: to be bounced") != std::string::npos);

    // A null MX is a permanent failure (RFC 7505); a bounce (null sender) is never bounced.
    REQUIRE(h.q->enqueue(env_to({"y@nomx.test"}), "Subject: nomx\r\n\r\nx\r\n").has_value());
    REQUIRE(h.q->enqueue(env_to({"z@c.test"}, ""), "Subject: a bounce\r\n\r\nx\r\n").has_value());
    CHECK(h.wait_for([&] { return h.locals().size() >= 2 && h.empty(); }));
    l = h.locals();
    REQUIRE(l.size() == 2);
    CHECK(l[1].message.find("Status: 5.1.10") != std::string::npos);
    CHECK(l[1].message.find("Subject: a bounce") == std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("queue tries MX hosts by preference and falls back to the A record", "[queue][integration]") {
  auto& w = world();
  auto dir = tmpdir("mxorder");
  {
    harness h(dir);
    h.start();
    REQUIRE(h.q->enqueue(env_to({"erin@e.test"}), "Subject: via the backup MX\r\n\r\nx\r\n").has_value());
    REQUIRE(h.q->enqueue(env_to({"fred@f.test"}), "Subject: via the implicit MX\r\n\r\nx\r\n").has_value());
    CHECK(h.wait_for([&] { return w.dumped().find("Subject: via the backup MX") != std::string::npos; }));
    CHECK(h.wait_for([&] { return w.dumped().find("Subject: via the implicit MX") != std::string::npos; }));
    CHECK(h.wait_for([&] { return h.empty(); }));
    CHECK(h.locals().empty());  // no DSN
  }
  fs::remove_all(dir);
}

TEST_CASE("queue hands over each MX session's TLS outcome for TLS-RPT", "[queue][integration]") {
  auto& w = world();
  auto dir = tmpdir("tlsrpt");
  {
    harness h(dir);
    h.start();
    // e.test: mx1 refuses the connection (no TLS outcome: no session), mx2 is the sink, which
    // offers no STARTTLS.
    REQUIRE(h.q->enqueue(env_to({"erin@e.test"}), "Subject: tls outcome\r\n\r\nx\r\n").has_value());
    CHECK(h.wait_for([&] { return w.dumped().find("Subject: tls outcome") != std::string::npos; }));
    REQUIRE(h.wait_for([&] { return !h.tls_outcomes().empty(); }));
    auto t = h.tls_outcomes();
    REQUIRE(t.size() == 1);
    CHECK(t[0].policy_domain == "e.test");
    CHECK(t[0].policy_type == "no-policy-found");
    CHECK(t[0].result_type == "starttls-not-supported");
    CHECK(t[0].receiving_mx == "mx2.e.test");
    CHECK(t[0].receiving_ip == "127.0.119.2");
    CHECK(!t[0].sending_ip.empty());
    CHECK(t[0].policy_string.empty());
  }
  fs::remove_all(dir);
}

TEST_CASE("backup MX: never to ourselves or a less preferred MX; its own retention", "[queue][integration]") {
  auto& w = world();
  auto dir = tmpdir("backupmx");
  {
    // give_up 1 h for everything, but 3 s for g.test (backup_mx.retention).
    harness h(dir, 3600s, 3600s, [](std::string_view d) -> std::optional<std::chrono::seconds> {
      if (d == "g.test") return 3s;
      return std::nullopt;
    });
    h.start();
    REQUIRE(h.q->enqueue(env_to({"gina@g.test"}), "Subject: never to a lesser MX\r\n\r\nx\r\n").has_value());
    REQUIRE(h.wait_for([&] { return !h.locals().empty(); }));
    auto l = h.locals();
    CHECK(l[0].rcpt == "alice@a.test");
    CHECK(l[0].message.find("Action: failed") != std::string::npos);
    CHECK(l[0].message.find("Status: 4.4.7") != std::string::npos);
    CHECK(l[0].message.find("4.4.4") != std::string::npos);  // the last attempt's reason
    CHECK(w.dumped().find("Subject: never to a lesser MX") == std::string::npos);
    CHECK(h.wait_for([&] { return h.empty(); }));
  }
  fs::remove_all(dir);
}

TEST_CASE("queue on PostgreSQL: delivers by MX, and resumes after a restart", "[queue][integration]") {
  auto& w = world();
  hearth::test_database t(hearth::sql::engine::postgres);
  auto dir = tmpdir("pg");
  {
    std::string id;
    {
      harness h(dir, 3600s, 3600s, {}, t.target);  // not started: a server that died after 250
      id = h.q->enqueue(env_to({"frank@b.test"}), "Subject: pg resumed\r\n\r\nx\r\n").value();
      CHECK_FALSE(h.empty());
    }
    harness h(dir, 3600s, 3600s, {}, t.target);
    h.start();
    REQUIRE(h.q->enqueue(env_to({"gina@b.test"}), "Subject: pg direct\r\n\r\nx\r\n").has_value());
    CHECK(h.wait_for([&] { return w.dumped().find("Subject: pg resumed") != std::string::npos; }));
    CHECK(h.wait_for([&] { return w.dumped().find("Subject: pg direct") != std::string::npos; }));
    CHECK(h.wait_for([&] { return h.empty(); }));
  }
  fs::remove_all(dir);
}

TEST_CASE("two queue agents on one PostgreSQL: each message goes out once; a dead node's claims expire", "[queue][integration][nodes]") {
  auto& w = world();
  hearth::test_database t(hearth::sql::engine::postgres);
  auto dir_a = tmpdir("node-a"), dir_b = tmpdir("node-b");
  const std::string tag = "twonode-" + std::to_string(::getpid());
  auto copies = [&](const std::string& subject) {
    // No line end in the needle: the sink's dump may store lines either way. Subjects end in
    // "-end", so none is a prefix of another.
    const std::string all = w.dumped(), needle = "Subject: " + subject + "-end";
    std::size_t n = 0;
    for (auto p = all.find(needle); p != std::string::npos; p = all.find(needle, p + 1)) ++n;
    return n;
  };
  {
    // A node that claimed a message and died: its claim (a 2 s lease) is never released.
    auto dead = store::open(dir_a, t.target, {"dead-node", 2s}).value();
    REQUIRE(dead->add(env_to({"orphan@b.test"}), "Subject: " + tag + "-orphan-end\r\n\r\nx\r\n",
                      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count())
                .has_value());
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    REQUIRE(dead->due(now, 10).value().size() == 1);

    harness a(dir_a, 3600s, 3600s, {}, t.target), b(dir_b, 3600s, 3600s, {}, t.target);
    a.start();
    b.start();
    constexpr int messages = 12;
    for (int i = 0; i < messages; ++i) {
      auto& h = i % 2 ? a : b;
      REQUIRE(h.q->enqueue(env_to({"u" + std::to_string(i) + "@b.test"}),
                           "Subject: " + tag + "-" + std::to_string(i) + "-end\r\n\r\nx\r\n")
                  .has_value());
    }
    REQUIRE(a.wait_for([&] { return a.empty(); }, 60s));
    for (int i = 0; i < messages; ++i) CHECK(copies(tag + "-" + std::to_string(i)) == 1);
    // The orphan went out once too, after its lease ran out, by one of the live nodes.
    CHECK(copies(tag + "-orphan") == 1);
  }
  fs::remove_all(dir_a);
  fs::remove_all(dir_b);
}

TEST_CASE("queue defers, warns once, gives up with 4.4.7; resumes after restart", "[queue][integration]") {
  world();
  auto dir = tmpdir("defer");
  {
    // Nothing listens at d.test's MX: deferred, retried every second, a delay warning after
    // 2 s, a failure DSN after 5 s.
    harness h(dir, 5s, 2s);
    h.start();
    REQUIRE(h.q->enqueue(env_to({"y@d.test"}), "Subject: slow\r\n\r\nx\r\n").has_value());
    REQUIRE(h.wait_for([&] {
      auto l = h.locals();
      return l.size() >= 2;
    }));
    auto l = h.locals();
    CHECK(l[0].message.find("Action: delayed") != std::string::npos);
    CHECK(l[1].message.find("Action: failed") != std::string::npos);
    CHECK(l[1].message.find("Status: 4.4.7") != std::string::npos);
    CHECK(h.wait_for([&] { return h.empty(); }));
    CHECK(h.locals().size() == 2);  // the warning went out once
  }
  {
    // Enqueued while no agent runs (a server that died after 250): delivered after a restart.
    std::string id;
    {
      harness h(dir);
      id = h.q->enqueue(env_to({"dave@b.test"}), "Subject: resumed\r\n\r\nx\r\n").value();
    }
    harness h(dir);
    CHECK_FALSE(h.empty());
    h.start();
    CHECK(h.wait_for([&] { return world().dumped().find("Subject: resumed") != std::string::npos; }));
    CHECK(h.wait_for([&] { return h.empty(); }));
  }
  {
    // A local recipient goes to deliver_local; an unknown one bounces.
    harness h(dir);
    h.start();
    // NOTIFY=SUCCESS: a local delivery is reported "delivered"; a remote server that offers DSN
    // (smtp-sink does) reports itself, so nothing from us for carol.
    auto env = env_to({"bob@a.test", "nobody@a.test", "carol@b.test"});
    env.rcpts[0].notify = "SUCCESS,FAILURE";
    env.rcpts[2].notify = "SUCCESS";
    REQUIRE(h.q->enqueue(env, "Subject: local\r\n\r\nx\r\n").has_value());
    CHECK(h.wait_for([&] { return h.locals().size() >= 3 && h.empty(); }));
    auto l = h.locals();
    REQUIRE(l.size() == 3);
    CHECK(l[0].rcpt == "bob@a.test");
    CHECK(l[0].from == "alice@a.test");
    int failed = 0, delivered = 0;
    for (std::size_t i = 1; i < l.size(); ++i) {
      CHECK(l[i].rcpt == "alice@a.test");
      CHECK(l[i].from.empty());
      if (l[i].message.find("Action: failed") != std::string::npos &&
          l[i].message.find("Final-Recipient: rfc822; nobody@a.test") != std::string::npos)
        ++failed;
      if (l[i].message.find("Action: delivered") != std::string::npos &&
          l[i].message.find("Final-Recipient: rfc822; bob@a.test") != std::string::npos &&
          l[i].message.find("carol@b.test") == std::string::npos)
        ++delivered;
    }
    CHECK(failed == 1);
    CHECK(delivered == 1);
  }
  {
    // Past what the queue keeps in memory (256 KiB): the local copy and the RET=FULL DSN of a
    // refused local recipient are read from the spool in pieces, CRLF-normalised like a small one.
    harness h(dir);
    h.start();
    std::string big = "Subject: large local\r\n\r\n";
    for (int i = 0; big.size() < 600 * 1024; ++i) big += "line " + std::to_string(i) + (i % 7 ? "\r\n" : "\n");
    auto env = env_to({"bob@a.test", "nobody@a.test"});
    env.ret = "FULL";
    REQUIRE(h.q->enqueue(env, big).has_value());
    CHECK(h.wait_for([&] { return h.locals().size() >= 2 && h.empty(); }));
    auto l = h.locals();
    REQUIRE(l.size() == 2);
    CHECK(l[0].rcpt == "bob@a.test");
    CHECK(l[0].streamed);
    CHECK(l[0].message == crlf_normalise(big));
    CHECK(l[1].rcpt == "alice@a.test");
    CHECK(l[1].streamed);  // the DSN holds the whole message, so it is large too
    CHECK(l[1].message.find("Final-Recipient: rfc822; nobody@a.test") != std::string::npos);
    CHECK(l[1].message.find("Content-Type: message/rfc822\r\n") != std::string::npos);
    CHECK(l[1].message.find("\r\n\r\n" + crlf_normalise(big) + "\r\n--=_hearth_dsn_") != std::string::npos);
  }
  fs::remove_all(dir);
}
