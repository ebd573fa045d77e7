#!/usr/bin/env python3
"""What an accepted SMTP copy costs in syncs: fsync/fdatasync/syncfs calls per message counted
with strace, and messages/s, at 1 and 20 parallel connections, for two layouts of the same
binary on SQLite:

  files   [database] inline_max = 0: every body is a blob file, written and fsync'd, its folder
          fsync'd, then the row commits (the WAL's fdatasync): how every copy was stored before
          bodies went into the database
  inline  inline_max = 65536 (the default): a body up to 64 KiB goes into the database in the
          row's transaction; one WAL fdatasync, shared by concurrent commits (group commit)

Load: Postfix's smtp-source, 10 KB messages to one local recipient on the MX port (as
bench_smtp.py). The rate is measured in a run without strace (strace slows every traced
call); the syncs in a second run with `strace -f -c -e trace=fsync,fdatasync,syncfs -p PID`
attached to `hearth serve` for the duration of the load. Needs smtp-source (postfix) and strace.

usage: bench_onefsync.py [HEARTH_BIN] [--messages-1 N] [--messages-20 N] [--before BIN]
  --before BIN: measure BIN (a build without the inline layout, e.g. an older main) as "before"
  instead of HEARTH_BIN with inline_max = 0; its config gets no inline_max key.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("hearth", nargs="?", default="build/hearth")
ap.add_argument("--messages-1", type=int, default=200)
ap.add_argument("--messages-20", type=int, default=1000)
ap.add_argument("--before", default="")
args = ap.parse_args()

os.environ["HEARTH_BIN"] = os.path.abspath(args.hearth)
os.environ.setdefault("HEARTH_TEST_NET", "127.0.251")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from hearth_test import Instance, set_key  # noqa: E402

SIZE = 10 * 1024
SYNCS = ("fsync", "fdatasync", "syncfs")


def smtp_source(inst, sessions, messages):
    t0 = time.monotonic()
    r = subprocess.run(["smtp-source", "-m", str(messages), "-s", str(sessions), "-l", str(SIZE),
                        "-f", "load@remote.test", "-t", inst.email, f"{inst.addr}:{inst.port('smtp')}"],
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"smtp-source: rc {r.returncode}: {(r.stderr or r.stdout).strip()[:300]}")
    return time.monotonic() - t0


def count_syncs(inst, sessions, messages):
    out = tempfile.NamedTemporaryFile(prefix="strace-", suffix=".txt", delete=False).name
    st = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=" + ",".join(SYNCS), "-o", out, "-p", str(inst.proc.pid)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached to every thread
    smtp_source(inst, sessions, messages)
    time.sleep(0.5)  # the last group commit's sync
    st.send_signal(signal.SIGINT)
    st.wait(timeout=30)
    calls = {}
    with open(out) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[-1] in SYNCS:
                calls[fields[-1]] = int(fields[3])
    os.unlink(out)
    return calls


def layout(name, inline_max, binary=None):
    import hearth_test
    hearth_test.HEARTH = os.path.abspath(binary or args.hearth)
    inst = Instance("demo@example.test", host=1 if inline_max == 0 else 2, offset=31000)
    # The load comes from one address: lift the per-IP connection limit (as bench_smtp.py).
    for table in ("server", "smtp"):
        set_key(inst.config, table, "max_connections_per_ip", "0")
    if inline_max is not None:
        set_key(inst.config, "database", "inline_max", str(inline_max))
    inst.start(wait_for="smtp")
    rows = []
    try:
        smtp_source(inst, 4, 50)  # warm-up: mailboxes created, caches filled
        for sessions, messages in ((1, args.messages_1), (20, args.messages_20)):
            secs = smtp_source(inst, sessions, messages)
            calls = count_syncs(inst, sessions, messages)
            total = sum(calls.values())
            rows.append((name, sessions, messages / secs, total / messages, calls))
    finally:
        inst.stop()
    return rows


print(f"hearth {args.hearth}; {SIZE // 1024} KB messages, one local recipient, SQLite")
before = layout("before", None, args.before) if args.before else layout("files", 0)
results = before + layout("inline", 65536)
print(f"{'layout':8} {'conns':>5} {'msg/s':>8} {'syncs/msg':>10}  calls")
for name, sessions, rate, per, calls in results:
    detail = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
    print(f"{name:8} {sessions:5d} {rate:8.1f} {per:10.2f}  {detail}")
