#!/usr/bin/env python3
"""Inbound SMTP benchmark: Postfix's smtp-source against hearth's MX port, 10 KB
messages to one local recipient at 1, 20 and 100 concurrent connections, then the same load
against a private Postfix instance delivering to a Maildir on the same machine.

Prints, per concurrency: messages/s (smtp-source wall time), p50/p99 of the DATA-end -> 250
step (own client), and the server's peak RSS. hearth answers 250 once the message is in the
INBOX (blob + row fsync'd); Postfix answers 250 once its queue file is fsync'd and delivers
to the Maildir after, so for Postfix the time until the Maildir holds every message is
printed too ("delivered/s"). Needs root for Postfix (it drops to its own users).

usage: bench_smtp.py [HEARTH_BIN]   (make bench passes build/hearth)
  BENCH_SMTP_DECISIONS=compare: hearth only, alternately without and with the decisions about
  incoming mail kept (filter.decisions.days 0 and 30), twice each, to show what keeping them
  costs the acceptance rate; prints each run, the decisions written, and the ratio.
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# The e2e harness's config editor (one copy of it: tests/e2e/lib/hearth_test.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from hearth_test import set_key, wait_port  # noqa: E402

HEARTH = sys.argv[1] if len(sys.argv) > 1 else "build/hearth"
ADDR_H = "127.0.250.1"
ADDR_P = "127.0.250.2"
OFFSET = 30000
SIZE = 10 * 1024
LOADS = [(1, 300), (20, 2000), (100, 3000)]
LAT_MSGS = 20  # per connection, for the latency sample


def smtp_source(host, port, sessions, messages, rcpt):
    t0 = time.monotonic()
    r = subprocess.run(["smtp-source", "-m", str(messages), "-s", str(sessions), "-l", str(SIZE),
                        "-f", "load@remote.test", "-t", rcpt, f"{host}:{port}"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(f"smtp-source {host}:{port} -s {sessions}: rc {r.returncode}: {(r.stderr or r.stdout).strip()[:300]}")
    return time.monotonic() - t0, r.returncode


def latency_sample(host, port, sessions, rcpt):
    """DATA-end -> 250 latencies from `sessions` parallel connections."""
    body = b"Subject: latency\r\n\r\n" + (b"x" * 98 + b"\r\n") * (SIZE // 100) + b".\r\n"
    lat = []
    lock = threading.Lock()

    def reply(f):
        while True:
            line = f.readline()
            if not line or line[3:4] != b"-":
                return line

    def worker():
        s = socket.create_connection((host, port), timeout=60)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rb")
        reply(f)
        s.sendall(b"EHLO bench.remote.test\r\n")
        reply(f)
        mine = []
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
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    if not lat:
        return float("nan"), float("nan")
    return lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bench_hearth(work, keys=()):
    r = subprocess.run([HEARTH, "quickstart", "--dev", "bench@bench.test", "--dir", work, "--listen", ADDR_H,
                        "--port-offset", str(OFFSET)], capture_output=True, text=True)
    if r.returncode != 0:
        print("hearth quickstart failed:", r.stderr)
        return None
    # The load comes from one address: lift the per-IP connection limit for the benchmark.
    cfg = os.path.join(work, "hearth.toml")
    for table in ("server", "smtp"):
        set_key(cfg, table, "max_connections_per_ip", "0")
    # Greylisting would answer the load's first try with 451: off for the benchmark.
    set_key(cfg, "filter.greylist", "enabled", "false")
    for table, key, value in keys:
        set_key(cfg, table, key, value)
    log = open(os.path.join(work, "serve.log"), "ab")
    p = subprocess.Popen([HEARTH, "--config", os.path.join(work, "hearth.toml"), "serve"], stdout=log,
                         stderr=subprocess.STDOUT)
    port = 25 + OFFSET
    try:
        if not wait_port(ADDR_H, port, timeout=20):
            print("hearth did not start")
            return None
        out = {}
        for sessions, n in LOADS:
            secs, rc = smtp_source(ADDR_H, port, sessions, n, "bench@bench.test")
            p50, p99 = latency_sample(ADDR_H, port, sessions, "bench@bench.test")
            out[sessions] = (n / secs if rc == 0 else float("nan"), p50, p99)
        out["rss"] = peak_rss_kib(p.pid)
        return out
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)


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
            secs, rc = smtp_source(ADDR_P, 2525, sessions, n, "u@bench.test")
            t0 = time.monotonic() - secs
            total += n
            while maildir_count(work) < total and time.monotonic() - t0 < 300:
                time.sleep(0.05)
            delivered = time.monotonic() - t0
            p50, p99 = latency_sample(ADDR_P, 2525, sessions, "u@bench.test")
            total += sessions * LAT_MSGS
            out[sessions] = (n / secs if rc == 0 else float("nan"), p50, p99, n / delivered)
            while maildir_count(work) < total and time.monotonic() - t0 < 300:
                time.sleep(0.05)
        rss = 0
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if work.encode() in f.read() or False:
                            rss += peak_rss_kib(pid)
                except OSError:
                    pass
        out["rss"] = rss
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


def main():
    if os.environ.get("BENCH_SMTP_DECISIONS") == "compare":
        compare_decisions()
        return
    root = tempfile.mkdtemp(prefix="hearth-bench-smtp-")
    os.chmod(root, 0o755)  # Postfix's users must reach their folders
    try:
        h = bench_hearth(os.path.join(root, "hearth"))
        p = bench_postfix(os.path.join(root, "postfix"))
        print(f"SMTP inbound, {SIZE // 1024} KB messages, one local recipient (smtp-source; latency = DATA end -> 250)")
        for sessions, n in LOADS:
            line = f"  {sessions:3d} conn  {n:5d} msgs"
            if h:
                mps, p50, p99 = h[sessions]
                line += f" | hearth {mps:7.1f} msg/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            if p:
                pmps, pp50, pp99, pdel = p[sessions]
                line += f" | postfix {pmps:7.1f} msg/s (delivered {pdel:7.1f}/s)  p50 {pp50:6.1f} ms  p99 {pp99:6.1f} ms"
                if h:
                    line += f" | ratio hearth/postfix(delivered) {h[sessions][0] / pdel:4.2f}"
            print(line)
        if h:
            print(f"  hearth peak RSS {h['rss'] / 1024:.1f} MiB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
