#!/usr/bin/env python3
"""Inbound SMTP benchmark: Postfix's smtp-source against hearth's MX port, 10 KB messages to
one local recipient at 1, 20 and 100 concurrent connections, side by side in one run:

  sqlite   hearth on its default stores (SQLite files + blob folder)
  pg1      hearth on PostgreSQL, one node (a private cluster, tests/e2e/lib/pg_cluster.py)
  pg2      two `hearth serve` nodes on that PostgreSQL, on two loopback addresses, with the same
           [database] url and blob folder; the load is split across both. Both nodes and the
           database share this machine's cores and disk, so the column shows the overhead of a
           second node, not what a second machine would add.
  postfix  a private Postfix delivering to a Maildir on the same machine

Prints, per concurrency: messages/s (smtp-source wall time), p50/p99 of the DATA-end -> 250
step (own client), the load average, and each rate as a share of the disk's fsync-bound limit:
a loop writing 4 KiB and calling fdatasync, in files in the same folder as the data, at the
same number of threads as connections (parallel fsyncs of different files can share the
disk's flushes, so the limit grows with concurrency). hearth answers 250 once the message is
in the INBOX (committed, fsync'd); Postfix answers 250 once its queue file is fsync'd and
delivers to the Maildir after, so for Postfix the time until the Maildir holds every message
is printed too ("delivered/s"). PostgreSQL runs with fsync on and synchronous_commit on (its
defaults): the same promise. Also printed: hearth's CPU time per message during smtp-source
(all its nodes; PostgreSQL's own CPU is not counted), each server's peak RSS, the RSS an idle SMTP
connection adds (1000 connections held open), the fsync and fdatasync calls hearth's process
makes per message accepted over one connection (strace), and the PostgreSQL connections a node
holds.
Needs root for Postfix (it drops to its own users).

usage: bench_smtp.py [HEARTH_BIN] [--only sqlite,pg1,pg2,postfix] [--smoke]
  (make bench passes build/hearth). Addresses: 127.0.158.x (HEARTH_TEST_NET overrides).
  --smoke: 20 messages over 2 connections on each hearth column, short fsync loop, no Postfix:
  the ctest e2e.bench_smtp_smoke runs it so that the benchmark keeps working.
  --fsync-delay-ms N (or =N): every fsync/fdatasync/syncfs of hearth, PostgreSQL, Postfix (its
  main.cf imports the variables) and of the fsync-bound loop takes N ms longer, through the
  LD_PRELOAD shim bench/fsync_delay.c (build/bench/libfsync_delay.so, HEARTH_FSYNC_SHIM
  overrides): the disk becomes the bound, as with a spinning or networked disk, and the
  percentages show how close each server comes to it. Hearth's group commit shares one flush
  among the commits that wait on it, so it may pass 100 % of the one-flush-per-op limit.
  BENCH_SMTP_DECISIONS=compare: hearth only, alternately without and with the decisions about
  incoming mail kept (filter.decisions.days 0 and 30), twice each, to show what keeping them
  costs the acceptance rate; prints each run, the decisions written, and the ratio.
"""
import imaplib
import math
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# The e2e harness's helpers (one copy of them: tests/e2e/lib/).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from hearth_test import pg_query, set_key, wait_port  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402

def _fsync_delay_ms():
    """--fsync-delay-ms N or --fsync-delay-ms=N; removes a separate value from sys.argv."""
    for i, a in enumerate(sys.argv):
        if a.startswith("--fsync-delay-ms="):
            return float(a.split("=", 1)[1])
        if a == "--fsync-delay-ms" and i + 1 < len(sys.argv):
            return float(sys.argv.pop(i + 1))
    return 0.0


FSYNC_DELAY_MS = _fsync_delay_ms()
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SMOKE = "--smoke" in sys.argv
ONLY = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), "sqlite,pg1,pg2,postfix").split(",")
HEARTH = ARGS[0] if ARGS else os.environ.get("HEARTH_BIN", "build/hearth")
NET = os.environ.get("HEARTH_TEST_NET", "127.0.158")
ADDR_H = f"{NET}.1"    # hearth (node A)
ADDR_B = f"{NET}.2"    # hearth node B
ADDR_P = f"{NET}.3"    # Postfix
ADDR_PG = f"{NET}.10"  # PostgreSQL
OFFSET = 30000
SIZE = 10 * 1024
LOADS = [(2, 20)] if SMOKE else [(1, 300), (20, 2000), (100, 3000)]
LAT_MSGS = 2 if SMOKE else 20  # per connection, for the latency sample
FSYNC_SECONDS = 0.3 if SMOKE else 2.0
IDLE_CONNECTIONS = 20 if SMOKE else 1000
FSYNC_COUNT_MESSAGES = 10 if SMOKE else 50


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fsync_rate(folder, threads, seconds=FSYNC_SECONDS, max_ops=100000):
    """fdatasync'd 4 KiB appends per second, `threads` threads each on its own file in `folder`,
    bounded by `seconds` and `max_ops` in all. Python releases the GIL in write and fdatasync,
    so the threads do wait for the disk in parallel."""
    block = os.urandom(4096)
    counts = [0] * threads
    deadline = time.monotonic() + seconds
    per_thread = max(1, max_ops // threads)

    def worker(i):
        path = os.path.join(folder, f"fsync-probe-{i}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            n = 0
            while n < per_thread and time.monotonic() < deadline:
                os.write(fd, block)
                os.fdatasync(fd)
                n += 1
            counts[i] = n
        finally:
            os.close(fd)
            os.unlink(path)

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / (time.monotonic() - t0)


def fsync_shim():
    """The LD_PRELOAD shim that slows every flush (bench/fsync_delay.c), built beside the
    hearth binary."""
    return os.environ.get("HEARTH_FSYNC_SHIM") or os.path.join(
        os.path.dirname(os.path.abspath(HEARTH)), "bench", "libfsync_delay.so")


def shim_env(base=None):
    """The environment for a process whose flushes take FSYNC_DELAY_MS longer (or `base`
    unchanged without --fsync-delay-ms)."""
    env = dict(os.environ if base is None else base)
    if FSYNC_DELAY_MS > 0:
        env["LD_PRELOAD"] = fsync_shim()
        env["HEARTH_FSYNC_DELAY_US"] = str(int(FSYNC_DELAY_MS * 1000))
    return env


class preloaded:
    """os.environ with the shim while `with` lasts, for helpers that start processes with the
    inherited environment (PgCluster's pg_ctl); a no-op without --fsync-delay-ms."""

    def __enter__(self):
        self.saved = dict(os.environ)
        if FSYNC_DELAY_MS > 0:
            os.environ.update(shim_env())

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)


def fsync_rate_preloaded(folder, threads, seconds):
    """fsync_rate in a child Python under the shim (a preload cannot enter this process)."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), f"--fsync-probe={folder},{threads},{seconds}"],
                         env=shim_env(), capture_output=True, text=True, timeout=120 + 10 * seconds)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"fsync probe failed: {out.stderr.strip()[-300:]}")
        return float("nan")


def fsync_limit(folder, threads, rounds=3):
    """The disk's rate: the best of a few short rounds, since other work on a shared machine
    only ever lowers what one round sees."""
    if FSYNC_DELAY_MS > 0:
        return max(fsync_rate_preloaded(folder, threads, FSYNC_SECONDS / rounds) for _ in range(rounds))
    return max(fsync_rate(folder, threads, FSYNC_SECONDS / rounds) for _ in range(rounds))


def split(total, parts):
    """`total` spread over `parts` as evenly as whole numbers allow."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def smtp_source(hosts, port, sessions, messages, rcpt):
    """smtp-source against each host at once, the sessions and messages split across them (a
    host that would get no session gets no load); returns (seconds, messages sent, ok)."""
    use = hosts[:max(1, min(len(hosts), sessions))]
    procs = []
    t0 = time.monotonic()
    for host, s, m in zip(use, split(sessions, len(use)), split(messages, len(use))):
        procs.append((host, s, m, subprocess.Popen(
            ["smtp-source", "-m", str(m), "-s", str(s), "-l", str(SIZE), "-f", "load@remote.test", "-t", rcpt,
             f"{host}:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    ok = True
    for host, s, m, p in procs:
        try:
            out, _ = p.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        if p.returncode != 0:
            ok = False
            print(f"smtp-source {host}:{port} -s {s}: rc {p.returncode}: {(out or '').strip()[:300]}")
    return time.monotonic() - t0, messages, ok


def latency_sample(hosts, port, sessions, rcpt):
    """DATA-end -> 250 latencies from `sessions` parallel connections spread over hosts;
    returns (p50 ms, p99 ms, messages answered 250)."""
    body = b"Subject: latency\r\n\r\n" + (b"x" * 98 + b"\r\n") * (SIZE // 100) + b".\r\n"
    lat = []
    lock = threading.Lock()

    def reply(f):
        for _ in range(100):
            line = f.readline(1024)
            if not line or line[3:4] != b"-":
                return line
        return b""

    def worker(host):
        mine = []
        try:
            s = socket.create_connection((host, port), timeout=60)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = s.makefile("rb")
            reply(f)
            s.sendall(b"EHLO bench.remote.test\r\n")
            reply(f)
            for _ in range(LAT_MSGS):
                s.sendall(b"MAIL FROM:<load@remote.test>\r\nRCPT TO:<" + rcpt.encode() + b">\r\nDATA\r\n")
                reply(f), reply(f), reply(f)
                t0 = time.perf_counter()
                s.sendall(body)
                if reply(f)[:3] == b"250":
                    mine.append(time.perf_counter() - t0)
            s.sendall(b"QUIT\r\n")
            f.close()
            s.close()
        except OSError as e:
            print(f"latency sample {host}:{port}: {e}")
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(hosts[i % len(hosts)],)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    if not lat:
        return float("nan"), float("nan"), 0
    return lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, len(lat)


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids):
    """User plus system CPU time of the processes, in seconds (proc(5) fields 14 and 15, counted
    after the command name's closing parenthesis, which may hold spaces)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid):
    return status_kib(pid, "VmHWM")


def idle_connection_kib(pid, host, port, tls, count=IDLE_CONNECTIONS):
    """RSS (KiB) that `count` idle SMTP connections add to the server, per connection: each
    reads the banner and says EHLO (then, with tls, STARTTLS, the handshake and EHLO again, as
    a sending MTA does), then waits; RSS is read before and with them all open."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def reply(f):
        for _ in range(100):
            line = f.readline(1024)
            if not line or line[3:4] != b"-":
                return line
        return b""

    before = status_kib(pid, "VmRSS")
    socks = []
    try:
        for _ in range(count):
            s = socket.create_connection((host, port), timeout=30)
            socks.append(s)
            f = s.makefile("rb")
            reply(f)
            s.sendall(b"EHLO idle.remote.test\r\n")
            reply(f)
            if tls:
                s.sendall(b"STARTTLS\r\n")
                if reply(f)[:3] != b"220":
                    raise OSError("STARTTLS refused")
                f.close()
                t = ctx.wrap_socket(s, server_hostname="mail.bench.test")
                socks[-1] = t
                t.sendall(b"EHLO idle.remote.test\r\n")
                reply(t.makefile("rb"))
        time.sleep(1)
        during = status_kib(pid, "VmRSS")
    except OSError as e:
        print(f"idle connections: {e} after {len(socks)}")
        return float("nan")
    finally:
        for s in socks:
            s.close()
    return (during - before) / count


def fsyncs_per_message(pid, host, port, count=FSYNC_COUNT_MESSAGES):
    """fsync + fdatasync calls made by the server process (all its threads, counted by strace)
    per message accepted over one connection, `count` messages; None without strace. Only the
    server's own calls: with PostgreSQL the database's flushes happen in its processes."""
    if not shutil.which("strace"):
        return None
    out = os.path.join(tempfile.gettempdir(), f"bench-smtp-strace-{os.getpid()}")
    tr = subprocess.Popen(["strace", "-f", "-c", "-o", out, "-e", "trace=fsync,fdatasync", "-p", str(pid)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # strace attaches to every thread before the messages go
    body = b"Subject: fsyncs\r\n\r\n" + (b"x" * 98 + b"\r\n") * (SIZE // 100) + b".\r\n"
    accepted = 0
    try:
        with socket.create_connection((host, port), timeout=60) as s:
            f = s.makefile("rb")

            def reply():
                for _ in range(100):
                    line = f.readline(1024)
                    if not line or line[3:4] != b"-":
                        return line
                return b""

            reply()
            s.sendall(b"EHLO bench.remote.test\r\n")
            reply()
            for _ in range(count):
                s.sendall(b"MAIL FROM:<load@remote.test>\r\nRCPT TO:<bench@bench.test>\r\nDATA\r\n")
                reply(), reply(), reply()
                s.sendall(body)
                accepted += reply()[:3] == b"250"
            s.sendall(b"QUIT\r\n")
    except OSError as e:
        print(f"fsync count: {e}")
    time.sleep(0.5)
    tr.send_signal(signal.SIGINT)
    try:
        tr.wait(timeout=30)
    except subprocess.TimeoutExpired:
        tr.kill()
        tr.wait()
    calls = 0
    try:
        with open(out) as f:
            for line in f:
                cols = line.split()
                if cols and cols[-1] in ("fsync", "fdatasync") and cols[3].isdigit():
                    calls += int(cols[3])
        os.unlink(out)
    except (OSError, IndexError):
        return None
    return calls / accepted if accepted else None


def inbox_count(addr, password):
    """Messages in bench@bench.test's INBOX, read over IMAPS (the dev certificate is not
    checked: this only counts); -1 when it cannot be read."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with imaplib.IMAP4_SSL(addr, 993 + OFFSET, ssl_context=ctx, timeout=30) as imap:
            imap.login("bench@bench.test", password)
            typ, data = imap.status("INBOX", "(MESSAGES)")
            m = re.search(rb"MESSAGES (\d+)", data[0] or b"")
            return int(m.group(1)) if typ == "OK" and m else -1
    except (OSError, imaplib.IMAP4.error) as e:
        print(f"IMAP count on {addr}: {e}")
        return -1


def quickstart(work, addr, db_url="", keys=()):
    args = [HEARTH, "quickstart", "--dev", "bench@bench.test", "--dir", work, "--listen", addr,
            "--port-offset", str(OFFSET)]
    if db_url:
        args += ["--database-url", db_url]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        print("hearth quickstart failed:", r.stderr)
        return None, None
    m = re.search(r"^\s*password:\s*(\S+)", r.stdout, re.I | re.M)
    # The load comes from one address: lift the per-IP connection limit for the benchmark.
    cfg = os.path.join(work, "hearth.toml")
    for table in ("server", "smtp"):
        set_key(cfg, table, "max_connections_per_ip", "0")
    # Greylisting would answer the load's first try with 451: off for the benchmark.
    set_key(cfg, "filter.greylist", "enabled", "false")
    for table, key, value in keys:
        set_key(cfg, table, key, value)
    return cfg, m.group(1) if m else ""


def second_node(a_work, b_work, addr):
    """Node B's configuration: node A's, with its own data directory (A's TLS files) and
    address, as README "Several nodes" describes; returns its path."""
    os.makedirs(os.path.join(b_work, "data"))
    shutil.copytree(os.path.join(a_work, "data", "tls"), os.path.join(b_work, "data", "tls"))
    cfg = os.path.join(b_work, "hearth.toml")
    shutil.copy2(os.path.join(a_work, "hearth.toml"), cfg)
    set_key(cfg, "server", "data_dir", f'"{os.path.join(b_work, "data")}"')
    set_key(cfg, "listen", "addresses", f'["{addr}"]')
    return cfg


def serve(cfg, work, addr, port):
    log = open(os.path.join(work, "serve.log"), "ab")
    p = subprocess.Popen([HEARTH, "--config", cfg, "serve"], stdout=log, stderr=subprocess.STDOUT,
                         env=shim_env() if FSYNC_DELAY_MS > 0 else None)
    if not wait_port(addr, port, timeout=30):
        print(f"hearth did not start on {addr}; see {work}/serve.log")
    return p


def pg_connections(url):
    """Connections open on the database of `url`, psql's own not counted."""
    rows = pg_query(url, "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()")
    return int(rows[0]) if rows else -1


def bench_hearth(work, keys=(), db_url="", nodes=1):
    """Runs LOADS against one hearth (or `nodes` = 2 on one database); returns per concurrency
    (msg/s, p50 ms, p99 ms, load average, 250s in the latency sample), and rss/idle/pg figures."""
    port = 25 + OFFSET
    cfg, password = quickstart(work, ADDR_H, db_url, keys)
    if not cfg:
        return None
    hosts = [ADDR_H]
    works = [work]
    cfgs = [cfg]
    if nodes == 2:
        set_key(cfg, "database", "blobs", f'"{os.path.join(work, "shared-blobs")}"')
        works.append(os.path.join(work, "node-b"))
        cfgs.append(second_node(work, works[1], ADDR_B))
        hosts.append(ADDR_B)
    procs = []
    try:
        procs.append(serve(cfgs[0], works[0], hosts[0], port))
        if nodes == 2:
            # A makes its secret at its first start; every node must have the same one.
            shutil.copy2(os.path.join(work, "data", "auth.secret"), os.path.join(works[1], "data", "auth.secret"))
            procs.append(serve(cfgs[1], works[1], hosts[1], port))
        if not all(wait_port(h, port, timeout=1) for h in hosts):
            return None
        out = {}
        accepted = 0
        for sessions, n in LOADS:
            cpu0 = cpu_seconds(p.pid for p in procs)
            secs, sent, ok = smtp_source(hosts, port, sessions, n, "bench@bench.test")
            cpu_ms = 1000 * (cpu_seconds(p.pid for p in procs) - cpu0) / sent
            p50, p99, answered = latency_sample(hosts, port, sessions, "bench@bench.test")
            out[sessions] = (sent / secs if ok else float("nan"), p50, p99, load_average(), answered, cpu_ms)
            accepted += sent + answered
        out["fsyncs"] = fsyncs_per_message(procs[0].pid, ADDR_H, port)
        accepted += FSYNC_COUNT_MESSAGES
        # Each node's 250 means "in the INBOX": node B's too, read here through node A.
        out["delivered"] = (inbox_count(ADDR_H, password), accepted)
        out["rss"] = [peak_rss_kib(p.pid) for p in procs]
        out["idle"] = idle_connection_kib(procs[0].pid, ADDR_H, port, tls=False)
        out["idle_tls"] = idle_connection_kib(procs[0].pid, ADDR_H, port, tls=True)
        out["pg"] = pg_connections(db_url) if db_url else None
        return out
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


POSTFIX_MAIN = """compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = pf.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
virtual_mailbox_domains = bench.test
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = static:bench/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_mailbox_limit = 0
message_size_limit = 52428800
smtpd_client_connection_count_limit = 0
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination
default_process_limit = 200
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
"""


def maildir_count(d):
    n = 0
    for sub in ("new", "cur"):
        try:
            n += len(os.listdir(os.path.join(d, "mail", "bench", sub)))
        except OSError:
            pass
    return n


def postfix_pss_kib(work):
    """Proportional set size (shared pages split between the processes that map them) of
    Postfix's master (its pid file) and of every process it started, now: summing each
    process's RSS would count the libraries of its ~200 processes 200 times."""
    try:
        with open(os.path.join(work, "queue", "pid", "master.pid")) as f:
            master = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in [master] + kids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


def postfix_shim_loaded(work):
    """How many of Postfix's processes (master and its children, now) have the shim mapped."""
    try:
        with open(os.path.join(work, "queue", "pid", "master.pid")) as f:
            master = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return (0, 0)
    kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout.split()
    loaded = 0
    pids = [master] + [int(k) for k in kids]
    shim = os.path.realpath(fsync_shim())
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps") as f:
                loaded += any(line.rstrip().endswith(shim) for line in f)
        except OSError:
            pass
    return (loaded, len(pids))


def bench_postfix(work):
    if not shutil.which("postfix") or os.geteuid() != 0:
        print("postfix: skipped (needs the postfix package and root)")
        return None
    etc = os.path.join(work, "etc")
    for sub in ("etc", "queue", "data", "mail"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)
    os.chmod(work, 0o755)
    shutil.chown(os.path.join(work, "data"), "postfix")
    shutil.chown(os.path.join(work, "mail"), 65534)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(POSTFIX_MAIN.format(d=work))
        if FSYNC_DELAY_MS > 0:
            # Postfix's programs drop their environment but for import_environment: the shim
            # must be named there to reach the master and the smtpd/cleanup/virtual it starts.
            default = subprocess.run(["postconf", "-dh", "import_environment"], capture_output=True,
                                     text=True).stdout.strip()
            f.write(f"import_environment = {default} LD_PRELOAD={fsync_shim()} "
                    f"HEARTH_FSYNC_DELAY_US={int(FSYNC_DELAY_MS * 1000)}\n")
    with open("/etc/postfix/master.cf") as f:
        master = f.read()
    master = master.replace("\nsmtp      inet", f"\n{ADDR_P}:2525 inet", 1)
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write(master)
    pf = ["postfix", "-c", etc]
    subprocess.run(pf + ["set-permissions"], capture_output=True)
    if subprocess.run(pf + ["start"], capture_output=True).returncode != 0 or not wait_port(ADDR_P, 2525, timeout=20):
        print("postfix: did not start; see", os.path.join(work, "maillog"))
        return None
    try:
        out = {}
        total = 0
        for sessions, n in LOADS:
            secs, sent, ok = smtp_source([ADDR_P], 2525, sessions, n, "u@bench.test")
            t0 = time.monotonic() - secs
            total += n
            while maildir_count(work) < total and time.monotonic() - t0 < 300:
                time.sleep(0.05)
            delivered = time.monotonic() - t0
            p50, p99, answered = latency_sample([ADDR_P], 2525, sessions, "u@bench.test")
            total += answered
            out[sessions] = (n / secs if ok else float("nan"), p50, p99, load_average(), answered, n / delivered)
            while maildir_count(work) < total and time.monotonic() - t0 < 300:
                time.sleep(0.05)
        out["pss"] = postfix_pss_kib(work)
        if FSYNC_DELAY_MS > 0:
            out["shim"] = postfix_shim_loaded(work)
        return out
    finally:
        subprocess.run(pf + ["stop"], capture_output=True)


def decisions_written(work):
    import sqlite3
    path = os.path.join(work, "data", "decisions.db")
    if not os.path.exists(path):
        return 0
    with sqlite3.connect(path) as c:
        return c.execute("SELECT count(*) FROM decisions").fetchone()[0]


def compare_decisions():
    root = tempfile.mkdtemp(prefix="hearth-bench-decisions-")
    rates = {"off": [], "on": []}
    try:
        print(f"SMTP inbound with and without the decisions kept, {SIZE // 1024} KB messages (smtp-source)")
        for run, mode in enumerate(["off", "on", "off", "on"]):
            work = os.path.join(root, f"{run}-{mode}")
            h = bench_hearth(work, [("filter.decisions", "days", "0" if mode == "off" else "30")])
            if not h:
                return
            rates[mode].append(h)
            line = "  ".join(f"{s} conn {h[s][0]:7.1f} msg/s" for s, _ in LOADS)
            print(f"  decisions {mode:3}: {line}  (decisions written: {decisions_written(work)})")
        for s, _ in LOADS:
            off = statistics.mean(r[s][0] for r in rates["off"])
            on = statistics.mean(r[s][0] for r in rates["on"])
            print(f"  {s:3d} conn: mean {off:7.1f} msg/s without, {on:7.1f} with: ratio {on / off:4.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def pg_database(pg, name):
    """A new database on the private cluster, reached over TCP on its loopback address as
    nodes on other machines would; returns its libpq keyword string."""
    admin = f"host={ADDR_PG} port={pg.port} user=hearth dbname=postgres"
    pg_query(admin, f"CREATE DATABASE {name}")
    return f"host={ADDR_PG} port={pg.port} user=hearth dbname={name}"


COLUMNS = [("sqlite", "SQLite, 1 node"), ("pg1", "PostgreSQL, 1 node"), ("pg2", "PostgreSQL, 2 nodes"),
           ("postfix", "Postfix")]


def report(results, limits, fsync_dir):
    print(f"\nfsync-bound limit: 4 KiB write + fdatasync per op, files in {fsync_dir} (the data's file system), "
          + ", ".join(f"{t} thread{'s' if t > 1 else ''} {r:.0f} op/s" for t, r in sorted(limits.items())))
    print(f"SMTP inbound, {SIZE // 1024} KB messages, one local recipient (smtp-source; latency = DATA end -> 250;"
          " % = msg/s as a share of the fsync-bound limit at as many threads as connections; load = 1-min average)")
    for sessions, n in LOADS:
        print(f"  {sessions:3d} conn, {n} msgs:")
        for key, name in COLUMNS:
            r = results.get(key)
            if not r:
                continue
            mps, p50, p99, load = r[sessions][:4]
            line = (f"    {name:20s} {mps:7.1f} msg/s {100 * mps / limits[sessions]:5.0f}%  p50 {p50:6.1f} ms"
                    f"  p99 {p99:6.1f} ms  load {load}")
            if key == "postfix":
                line += f"  (delivered to the Maildir {r[sessions][5]:7.1f}/s)"
            else:
                line += f"  hearth CPU {r[sessions][5]:.2f} ms/msg"
            print(line)
        ratios = []
        s, p1, p2, pf = (results.get(k) for k, _ in COLUMNS)
        if s and pf:
            ratios.append(f"SQLite/Postfix(delivered) {s[sessions][0] / pf[sessions][5]:4.2f}")
        if s and p1:
            ratios.append(f"SQLite/PG 1 node {s[sessions][0] / p1[sessions][0]:4.2f}")
        if s and p2:
            ratios.append(f"SQLite/PG per node of 2 {2 * s[sessions][0] / p2[sessions][0]:4.2f}")
        if ratios:
            print("    " + ", ".join(ratios))
    for key, name in COLUMNS:
        r = results.get(key)
        if not r:
            continue
        if "pss" in r:
            print(f"  {name}: {r['pss'] / 1024:.1f} MiB PSS (all its processes, at the end)")
            continue
        line = f"  {name}: "
        if "delivered" in r:
            line += f"delivered {r['delivered'][0]} of {r['delivered'][1]}, "
        line += "peak RSS " + " + ".join(f"{k / 1024:.1f}" for k in r["rss"]) + " MiB"
        if "idle" in r:
            line += (f", an idle SMTP connection adds {r['idle']:.1f} KiB RSS, {r['idle_tls']:.1f} KiB after STARTTLS"
                     f" ({IDLE_CONNECTIONS} held open)")
        if r.get("fsyncs") is not None:
            line += (f", {r['fsyncs']:.2f} fsync+fdatasync calls per message in hearth's process"
                     f" (strace, {FSYNC_COUNT_MESSAGES} messages over one connection)")
        if r.get("pg") is not None:
            line += f", PostgreSQL connections after the run: {r['pg']}"
        print(line)


def disk_bound_report(results, limits):
    """With --fsync-delay-ms: each server's rate as a share of the one-flush-per-op limit."""
    print(f"\nDisk-bound (every flush {FSYNC_DELAY_MS:g} ms longer): msg/s as a share of the fsync-bound limit"
          " (over 100 % = several messages per flush: group commit)")
    for sessions, _ in LOADS:
        parts = [f"limit {limits[sessions]:.0f} op/s"]
        for key, name in COLUMNS:
            r = results.get(key)
            if r:
                mps = r[sessions][0]
                part = f"{name} {mps:.1f} msg/s = {100 * mps / limits[sessions]:.0f} %"
                if key == "postfix":
                    part += f" (delivered {r[sessions][5]:.1f}/s = {100 * r[sessions][5] / limits[sessions]:.0f} %)"
                parts.append(part)
        print(f"  {sessions:3d} conn: " + ", ".join(parts))
    # The sleeps of parallel threads overlap, so the limit above grows with the threads; a disk
    # that flushes one request at a time is bound by the one-thread figure.
    one = limits[LOADS[0][0]]
    print(f"  as a share of the one-thread limit ({one:.0f} op/s, one flush after another): " + "; ".join(
        f"{sessions} conn " + ", ".join(f"{name} {100 * results[key][sessions][0] / one:.0f} %"
                                        for key, name in COLUMNS if results.get(key))
        for sessions, _ in LOADS))
    pf = results.get("postfix")
    if pf and "shim" in pf:
        loaded, total = pf["shim"]
        print(f"  Postfix: the shim is mapped in {loaded} of its {total} processes at the end"
              + ("" if loaded else " (Postfix did not take the preload: its figures are at the disk's own speed)"))


def main():
    probe = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--fsync-probe=")), None)
    if probe:
        folder, threads, seconds = probe.split(",")
        print(fsync_rate(folder, int(threads), float(seconds)))
        return 0
    if os.environ.get("BENCH_SMTP_DECISIONS") == "compare":
        compare_decisions()
        return 0
    if FSYNC_DELAY_MS > 0 and not os.path.exists(fsync_shim()):
        print(f"--fsync-delay-ms needs the shim {fsync_shim()} (ninja -C build fsync_delay)")
        return 1
    root = tempfile.mkdtemp(prefix="hearth-bench-smtp-")
    os.chmod(root, 0o755)  # Postfix's users must reach their folders
    results = {}
    pg = None
    try:
        print(f"load average at start: {load_average()}", flush=True)
        if FSYNC_DELAY_MS > 0:
            print(f"every fsync/fdatasync/syncfs of the servers and of the fsync loop takes {FSYNC_DELAY_MS:g} ms "
                  f"longer (LD_PRELOAD {fsync_shim()})", flush=True)
        limits = {s: fsync_limit(root, s) for s, _ in LOADS}
        if "sqlite" in ONLY:
            results["sqlite"] = bench_hearth(os.path.join(root, "sqlite"))
            print(f"SQLite done, load {load_average()}", flush=True)
        if "pg1" in ONLY or "pg2" in ONLY:
            if not PgCluster.available():
                print("PostgreSQL: skipped (needs the postgresql package)")
            else:
                with preloaded():
                    pg = PgCluster(listen=ADDR_PG).start()
                for key, nodes in (("pg1", 1), ("pg2", 2)):
                    if key in ONLY:
                        results[key] = bench_hearth(os.path.join(root, key), db_url=pg_database(pg, f"bench_{key}"),
                                                    nodes=nodes)
                        print(f"{key} done, load {load_average()}", flush=True)
        if "postfix" in ONLY and not SMOKE:
            results["postfix"] = bench_postfix(os.path.join(root, "postfix"))
        first = dict(limits)
        for s, _ in LOADS:
            limits[s] = max(limits[s], fsync_limit(root, s))
        report(results, limits, root)
        if FSYNC_DELAY_MS > 0:
            disk_bound_report(results, limits)
        print("  fsync-bound limit measured before and after the servers (the higher one is used above): "
              + ", ".join(f"{s} threads {first[s]:.0f} / {limits[s]:.0f} op/s" for s, _ in LOADS)
              + f"; load average {load_average()}")
        wanted = [k for k, _ in COLUMNS if k in ONLY and (k != "postfix" or not SMOKE)]
        failed = [k for k in wanted if k in results and (not results[k] or any(
            math.isnan(results[k][s][0]) or results[k][s][4] == 0 for s, _ in LOADS) or (
            "delivered" in results[k] and results[k]["delivered"][0] != results[k]["delivered"][1]))]
        if failed:
            print("failed:", " ".join(failed))
        return 1 if failed else 0
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
