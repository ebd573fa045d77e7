#!/usr/bin/python3
"""Backup benchmark: `hearth backup` of a 10 000-message account, full and incremental, while
`hearth serve` runs on the data directory.

usage: bench/bench_backup.py [HEARTH] [--messages 10000] [--keep]

Fills one account with `hearth import mbox` (messages of 2-20 KB, 8 KB on average; the import
rate is printed too), then times: a full backup into an empty folder, three backups of the
unchanged account (goal: under 1 s each), one after 100 new messages, `backup verify` and
`restore`. Prints the destination's size and what each run copied. Never part of `make test`.
"""
import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("hearth", nargs="?", default="build/hearth")
ap.add_argument("--messages", type=int, default=10000)
ap.add_argument("--keep", action="store_true", help="keep the temp folder")
args = ap.parse_args()
HEARTH = os.path.abspath(args.hearth)
ADDR = "127.0.209.1"

work = tempfile.mkdtemp(prefix="hearth-bench-backup-")
proc = None


def cleanup():
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    if not args.keep:
        shutil.rmtree(work, True)


def run(*a, **kw):
    return subprocess.run([HEARTH, "--config", os.path.join(work, "hearth.toml"), *a],
                          capture_output=True, text=True, check=True, **kw)


def timed(*a):
    t0 = time.monotonic()
    cp = run(*a)
    return time.monotonic() - t0, cp.stdout.strip()


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(root, f)).st_size
    return total


def mbox(path, n, seed):
    rnd = random.Random(seed)
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
    with open(path, "w") as f:
        for i in range(n):
            size = rnd.randint(2000, 20000) if rnd.random() < 0.9 else rnd.randint(20000, 40000)
            line = " ".join(rnd.choice(words) for _ in range(12))
            body = "\n".join(line for _ in range(size // (len(line) + 1)))
            f.write(f"From bench@example.org Thu Jun 04 18:39:50 +0000 2020\nFrom: bench@example.org\n"
                    f"To: demo@example.test\nSubject: bench {seed}-{i}\nMessage-ID: <b{seed}-{i}@example.org>\n\n"
                    f"{body}\n\n")


try:
    subprocess.run([HEARTH, "quickstart", "--dev", "demo@example.test", "--dir", work, "--hostname", "mail.example.test",
                    "--listen", ADDR, "--port-offset", "31000"], capture_output=True, check=True)
    log = open(os.path.join(work, "serve.log"), "ab")
    proc = subprocess.Popen([HEARTH, "--config", os.path.join(work, "hearth.toml"), "serve"], stdout=log, stderr=log)
    time.sleep(1.5)
    src = os.path.join(work, "bench.mbox")
    mbox(src, args.messages, 1)
    t, out = timed("import", "mbox", src, "--user", "demo@example.test")
    mb = os.path.getsize(src) / 1e6
    print(f"import mbox: {args.messages} messages ({mb:.0f} MB) in {t:.1f} s = {args.messages / t:.0f} msg/s, {mb / t:.1f} MB/s")

    dest = os.path.join(work, "dest")
    t, out = timed("backup", dest)
    size = du(dest)
    print(f"full backup: {t:.2f} s, destination {size / 1e6:.1f} MB   [{out}]")
    times = []
    for _ in range(3):
        t, out = timed("backup", dest)
        times.append(t)
        assert " 0 new blobs copied" in out, out
    print(f"incremental backup, unchanged account: median {statistics.median(times):.3f} s "
          f"(runs {', '.join(f'{x:.3f}' for x in times)}), +{(du(dest) - size) / 3e6:.2f} MB per snapshot   [{out}]")
    src2 = os.path.join(work, "more.mbox")
    mbox(src2, 100, 2)
    run("import", "mbox", src2, "--user", "demo@example.test")
    t, out = timed("backup", dest)
    print(f"incremental backup after 100 new messages: {t:.3f} s   [{out}]")
    t, out = timed("backup", "verify", dest)
    print(f"backup verify (every snapshot, every blob): {t:.2f} s   [{out}]")
    t0 = time.monotonic()
    subprocess.run([HEARTH, "restore", dest, "--dir", os.path.join(work, "restored")], capture_output=True, check=True)
    print(f"restore: {time.monotonic() - t0:.2f} s")
finally:
    cleanup()
