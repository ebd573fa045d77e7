#!/usr/bin/python3
"""`hearth db copy` benchmark: a data directory whose chat archive (xmpp.db) holds N rows,
copied from SQLite into a private PostgreSQL cluster (tests/e2e/lib/pg_cluster.py), verified.

usage: bench/bench_db_copy.py [HEARTH] [--rows 200000]

The data directory gets every store's files by a first copy to PostgreSQL and back (that is
how `db copy` makes a schema), the archive is filled with sqlite3, and the timed run is the
whole command: schema, copy and the per-table checksums on both sides. Prints rows/s.
Never part of `make test`.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "e2e", "lib"))
from pg_cluster import PgCluster  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("hearth", nargs="?", default="build/hearth")
ap.add_argument("--rows", type=int, default=200000)
args = ap.parse_args()
HEARTH = os.path.abspath(args.hearth)
if not PgCluster.available():
    print("skipped: PostgreSQL server binaries not installed (Debian package postgresql)")
    sys.exit(0)


def hearth(*a):
    cp = subprocess.run([HEARTH, *a], capture_output=True, text=True)
    if cp.returncode != 0:
        sys.exit(f"hearth {' '.join(a)} failed:\n{cp.stdout}\n{cp.stderr}")
    return cp.stdout


def new_database(pg, name):
    """Creates an empty database in the cluster; returns its conninfo."""
    subprocess.run(["psql", pg.url, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return pg.url.replace("dbname=postgres", f"dbname={name}")


work = tempfile.mkdtemp(prefix="hearth-bench-dbcopy-")
try:
    hearth("quickstart", "--dev", "demo@example.test", "--dir", os.path.join(work, "a"),
           "--hostname", "mail.example.test", "--listen", "127.0.235.1", "--port-offset", "20000")
    src = os.path.join(work, "src")
    with PgCluster(fsync=True) as pg:
        first = new_database(pg, "seed")
        hearth("--config", os.path.join(work, "a", "hearth.toml"), "db", "copy", "--to", first)
        hearth("db", "copy", "--from", first, "--to", src)
        con = sqlite3.connect(os.path.join(src, "xmpp.db"))
        con.executemany(
            "INSERT INTO archive(owner, stanza_id, with_jid, stamp, stanza) VALUES(?,?,?,?,?)",
            ((f"user{i % 50}@example.test", f"s{i}", "peer@example.test", 1700000000000000 + i,
              f"<message to='peer@example.test'><body>message number {i} of the benchmark</body></message>")
             for i in range(args.rows)))
        con.commit()
        con.close()
        target = new_database(pg, "bench")
        t0 = time.monotonic()
        out = hearth("db", "copy", "--from", src, "--to", target)
        dt = time.monotonic() - t0
    line = next(l for l in out.splitlines() if l.startswith("archive "))
    print(line)
    print(f"db copy SQLite -> PostgreSQL, {args.rows} archive rows: {dt:.1f} s, {args.rows / dt:.0f} rows/s "
          "(schema, copy and checksums of both sides)")
finally:
    shutil.rmtree(work, True)
