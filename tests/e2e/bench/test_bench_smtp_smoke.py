"""bench/bench_smtp.py --smoke keeps working: 20 messages over 2 connections to hearth on
SQLite, on PostgreSQL with one node and with two nodes (a private cluster, pg_cluster.py), the
fsync loop, the fsyncs per message (strace), and every figure printed. No figure is compared
with a threshold (the machine is shared); the run must deliver every message and print a
positive rate and latency for each configuration, the fsync-bound limit, at least one fsync
per SQLite message and the PostgreSQL connections.
"""
import os
import re
import shutil
import subprocess
import sys

from hearth_test import HEARTH, NET, SOURCE_DIR, check, finish
from pg_cluster import SKIP, PgCluster

if not shutil.which("smtp-source"):
    print("smtp-source not installed (Debian package postfix, scripts/packages/queue.txt)")
    raise SystemExit(SKIP)
if not shutil.which("strace"):
    print("strace not installed (scripts/packages/bench.txt)")
    raise SystemExit(SKIP)
if not PgCluster.available():
    print("PostgreSQL server not installed (Debian package postgresql)")
    raise SystemExit(SKIP)

bench = os.path.join(SOURCE_DIR, "bench", "bench_smtp.py")
cp = subprocess.run([sys.executable, bench, HEARTH, "--smoke", "--only=sqlite,pg1,pg2"], capture_output=True,
                    text=True, timeout=240, env=dict(os.environ, HEARTH_TEST_NET=NET))
print(cp.stdout)
print(cp.stderr)
check(cp.returncode == 0, f"bench_smtp.py --smoke exits 0 (got {cp.returncode})")

limit = re.search(r"fsync-bound limit: .* 2 threads (\d+) op/s", cp.stdout)
check(limit is not None and int(limit.group(1)) > 0, "the fsync-bound limit is measured and printed")
for name in ("SQLite, 1 node", "PostgreSQL, 1 node", "PostgreSQL, 2 nodes"):
    m = re.search(re.escape(name) + r"\s+([\d.]+) msg/s\s+(\d+)%\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms\s+load",
                  cp.stdout)
    check(m is not None and float(m.group(1)) > 0 and float(m.group(3)) > 0,
          f"{name}: a rate, its share of the fsync limit and latencies")
    d = re.search(re.escape(name) + r": delivered (\d+) of (\d+)", cp.stdout)
    check(d is not None and d.group(1) == d.group(2) and int(d.group(2)) > 0,
          f"{name}: every message sent is in the INBOX ({d.group(0) if d else 'no count'})")
f = re.search(r"SQLite, 1 node: .* ([\d.]+) fsync\+fdatasync calls per message", cp.stdout)
check(f is not None and float(f.group(1)) >= 1, "SQLite: the fsyncs per accepted message are counted (at least one)")
pgc = re.search(r"PostgreSQL, 2 nodes: .*PostgreSQL connections after the run: (\d+)", cp.stdout)
check(pgc is not None and int(pgc.group(1)) > 0, "the PostgreSQL connections of two nodes are counted")
finish()
