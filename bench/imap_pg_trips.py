#!/usr/bin/env python3
"""PostgreSQL statements and round trips per IMAP command, from one session.

Each statement a command makes is a round trip on PostgreSQL unless it is queued
(core/sql/pipeline.hpp), so these two counts per command are what HACKING's "What an IMAP
command costs" table shows. A private cluster (tests/e2e/lib/pg_cluster.py) logs every
statement (log_statement = all); `strace -e trace=sendto` on the server counts libpq's sends,
one per round trip (Asio writes with sendmsg, so the clients' traffic is not counted). Each
command runs COUNT times, one at a time, with a pause around it so that the log is written;
the server's own timers (queue, XMPP node liveness) add a few tenths to every figure.

    HEARTH_TEST_NET=127.0.212 python3 bench/imap_pg_trips.py build/hearth [--count 10] [--show]

--show prints the statements of each command's last run.
"""
import argparse
import imaplib
import os
import re
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from pg_cluster import PgCluster  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("hearth")
ap.add_argument("--count", type=int, default=10)
ap.add_argument("--show", action="store_true")
args = ap.parse_args()

MESSAGE = (b"From: a@example.test\r\nTo: b@example.test\r\nSubject: hello\r\n"
           b"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nbody line\r\n")

with PgCluster() as pg:
    os.environ["HEARTH_TEST_PG_URL"] = pg.url
    import hearth_test as ht  # reads HEARTH_TEST_PG_URL when imported
    ht.HEARTH = args.hearth
    subprocess.run(["psql", "-X", "-q", pg.url, "-c", "ALTER SYSTEM SET log_statement = 'all'",
                    "-c", "SELECT pg_reload_conf()"], check=True, capture_output=True, timeout=60)
    inst = ht.Instance().start(wait_for="imaps")
    log_path = os.path.join(pg.dir, "server.log")
    trace_path = os.path.join(inst.dir, "sendto.trace")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=20)
    c.login(inst.email, inst.password)
    c.create("Box2")
    for _ in range(args.count + 20):
        c.append("INBOX", None, None, MESSAGE)
    c.select("INBOX")
    tracer = subprocess.Popen(["strace", "-f", "-e", "trace=sendto", "-o", trace_path, "-p", str(inst.proc.pid)],
                              stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        commands = [
            ("NOOP", lambda i: c.noop()),
            ("LIST", lambda i: c.list('""', '"*"')),
            ("STATUS", lambda i: c.status("Box2", "(MESSAGES UIDNEXT UNSEEN)")),
            ("SELECT", lambda i: c.select("INBOX")),
            ("FETCH flags", lambda i: c.uid("FETCH", "1:*", "(UID FLAGS)")),
            ("FETCH headers", lambda i: c.uid("FETCH", "5", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From Subject Date)])")),
            ("STORE +Seen", lambda i: c.uid("STORE", "6", "+FLAGS", "(\\Seen)")),
            ("STORE -Seen", lambda i: c.uid("STORE", "6", "-FLAGS", "(\\Seen)")),
            ("STORE Deleted", lambda i: c.uid("STORE", str(10 + i), "+FLAGS", "(\\Deleted)")),
            ("EXPUNGE", lambda i: c.expunge()),
            ("APPEND", lambda i: c.append("INBOX", None, None, MESSAGE)),
        ]

        def statements():
            with open(log_path, errors="replace") as f:
                return [m.group(0) for m in re.finditer(r"LOG:  (statement|execute [^:]*):[^\n]*", f.read())]

        def sends():
            try:
                with open(trace_path) as f:
                    return sum(1 for line in f if "sendto(" in line)
            except OSError:
                return 0

        totals = {name: [0, 0] for name, _ in commands}
        for name, run in commands[:8]:
            run(0)
        for i in range(args.count):
            for name, run in commands:
                time.sleep(0.05)
                s0, r0 = len(statements()), sends()
                typ, _ = run(i)
                if typ != "OK":
                    raise SystemExit(f"{name}: {typ}")
                time.sleep(0.15)
                now = statements()
                totals[name][0] += len(now) - s0
                totals[name][1] += sends() - r0
                if args.show and i == args.count - 1:
                    print(f"== {name}")
                    for s in now[s0:]:
                        print("   ", s[:300])
        print(f"{args.hearth}, {args.count} of each command, one session")
        for name, (s, r) in totals.items():
            print(f"{name:14s} statements {s / args.count:5.1f}  round trips {r / args.count:5.1f}")
        c.logout()
    finally:
        tracer.terminate()
        tracer.wait()
        inst.stop()
print("load average: " + " ".join(open("/proc/loadavg").read().split()[:3]))
