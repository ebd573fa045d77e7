"""`hearth db copy` without a server: the edges of a copy (each against its own empty database in
one private PostgreSQL cluster).

- A table in hearth.db that no store makes (left by an older version, or a tool) is made on
  PostgreSQL from its SQLite definition and copied, with its rows and checksum.
- Copying back, a table with rows that no store makes in the SQLite layout is refused, naming
  app/db_stores.cpp, rather than dropped.
- Usage errors: no --to, both sides on the same engine.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

from hearth_test import Instance, check, finish, run
from pg_cluster import SKIP, PgCluster

if not PgCluster.available():
    print("PostgreSQL server binaries not installed (Debian package postgresql)")
    sys.exit(SKIP)

a = Instance("demo@example.test", host=1)   # quickstart only: hearth.db with the account
hearth_db = os.path.join(a.dir, "data", "hearth.db")
con = sqlite3.connect(hearth_db)
con.executescript("CREATE TABLE legacy_notes(id INTEGER PRIMARY KEY, note TEXT NOT NULL, data BLOB);"
                  "CREATE INDEX legacy_notes_note ON legacy_notes(note);")
con.executemany("INSERT INTO legacy_notes(id, note, data) VALUES(?, ?, ?)",
                [(1, "first", b"\x00\x01"), (7, "back\\slash 'quoted'", None), (9, "é", b"")])
con.commit()
con.close()

cp = a.cli(["db", "copy"], check_rc=False)
check(cp.returncode == 2 and "--to" in cp.stderr, f"--to is required ({cp.stderr.strip()[:80]})")
cp = a.cli(["db", "copy", "--to", os.path.join(a.dir, "other")], check_rc=False)
check(cp.returncode == 2 and "SQLite" in cp.stderr, "SQLite to SQLite is refused")


def new_database(pg, name):
    subprocess.run(["psql", pg.url, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return pg.url.replace("dbname=postgres", f"dbname={name}")


def psql(url, sql):
    return subprocess.run(["psql", url, "-At", "-c", sql], capture_output=True, text=True, timeout=30).stdout.strip()


with PgCluster() as pg:
    one = new_database(pg, "one")
    cp = a.cli(["db", "copy", "--to", one], check_rc=False, timeout=120)
    print(cp.stdout, cp.stderr)
    check(cp.returncode == 0, "the copy with a table no store makes succeeds")
    check("legacy_notes" in cp.stdout and "created from the source's definition" in cp.stdout,
          "it says the table was made from the source's definition")
    line = [l for l in cp.stdout.splitlines() if l.startswith("legacy_notes ")]
    check(len(line) == 1 and line[0].split()[1:3] == ["3", "3"] and line[0].endswith("same"),
          f"its 3 rows copied, checksum the same ({line})")
    check(psql(one, "SELECT note FROM legacy_notes WHERE id = 7") == "back\\slash 'quoted'",
          "a value with a backslash and quotes arrives unchanged")
    check(psql(one, "SELECT count(*) FROM pg_indexes WHERE indexname = 'legacy_notes_note'") == "1",
          "its index was made too")

    # The way back: legacy_notes has rows and no store makes it in a SQLite data directory.
    back = tempfile.mkdtemp(prefix="hearth-dbcopy-edges-", dir=a.dir)
    cp = run(["db", "copy", "--from", one, "--to", os.path.join(back, "data")], check_rc=False, timeout=120)
    check(cp.returncode == 1 and "legacy_notes" in cp.stderr and "db_stores.cpp" in cp.stderr,
          f"copying back a table no store makes is refused ({cp.stderr.strip()[:120]})")
    # Empty, it is skipped instead.
    two = new_database(pg, "two")
    psql(one, "DELETE FROM legacy_notes")
    back2 = tempfile.mkdtemp(prefix="hearth-dbcopy-edges-", dir=a.dir)
    cp = run(["db", "copy", "--from", one, "--to", os.path.join(back2, "data")], check_rc=False, timeout=120)
    check(cp.returncode == 0 and "1 empty tables no store uses skipped" in cp.stdout,
          f"an empty one is skipped and said so ({cp.stderr.strip()[:120]})")
    cp = run(["db", "copy", "--from", one, "--to", two], check_rc=False)
    check(cp.returncode == 2, "PostgreSQL to PostgreSQL is refused")
finish()
