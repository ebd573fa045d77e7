"""A node's PostgreSQL connections are bounded by `[database] pool` (README "[database]").

The node runs on the PostgreSQL cluster pg_cluster.py starts (CTest label `pg`) with
`pool = 3`. While it takes 24 messages on the MX port over 6 connections at once and an IMAP
client reads them, a sampler counts the node's backends in pg_stat_activity: at most the pool
plus the event bus's two (one LISTENing, one NOTIFYing), and every message arrives. Without a
pool the same load held one connection per store and thread (35 on 2 cores).
"""
import imaplib
import smtplib
import ssl
import threading
import time

import hearth_test as ht
from hearth_test import Instance, check, finish, pg_query, set_key
from pg_cluster import SKIP

if not ht.PG_URL:
    print("needs HEARTH_TEST_PG_URL: run through tests/e2e/lib/pg_cluster.py (ctest -L pg)")
    raise SystemExit(SKIP)

USER = "pool@home.test"
POOL = 3
BUS = 2
MESSAGES, SENDERS = 24, 6

a = Instance(USER, host=1)
set_key(a.config, "database", "pool", str(POOL))
a.start(wait_for="imaps")
ctx = ssl.create_default_context(cafile=a.ca_file())

count_sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
             "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
samples = []
stop = threading.Event()


def sample():
    while not stop.is_set() and len(samples) < 5000:
        rows = pg_query(a.database_url, count_sql)
        if rows:
            samples.append(int(rows[0]))
        time.sleep(0.05)


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()

errors = []


def send(n):
    try:
        with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=60) as s:
            s.starttls(context=ctx)
            for i in range(MESSAGES // SENDERS):
                s.sendmail("alice@remote.test", [USER],
                           f"From: <alice@remote.test>\r\nTo: <{USER}>\r\nSubject: pool {n}-{i}\r\n\r\nbody\r\n")
    except Exception as e:  # noqa: BLE001 - reported as a check below
        errors.append(f"{n}: {e!r}")


imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx, timeout=30)
imap.login(USER, a.password)
senders = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
for t in senders:
    t.start()
exists = 0
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    typ, data = imap.select("INBOX")
    exists = int(data[0]) if typ == "OK" else 0
    typ, _ = imap.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])") if exists else ("OK", None)
    if exists >= MESSAGES:
        break
    time.sleep(0.2)
for t in senders:
    t.join(timeout=60)
imap.logout()
time.sleep(0.5)
stop.set()
sampler.join(timeout=10)

check(errors == [], f"every SMTP session got 250s ({errors})")
check(exists == MESSAGES, f"IMAP sees all {MESSAGES} messages ({exists})")
peak = max(samples) if samples else -1
print(f"info backends of the node: peak {peak}, last {samples[-1] if samples else -1} "
      f"over {len(samples)} samples (pool {POOL} + bus {BUS})")
check(f"serve.db_pool connections={POOL} plus_event_bus={BUS}" in a.log(), "the node logs its pool size at start")
check(len(samples) >= 5, f"pg_stat_activity was sampled during the load ({len(samples)} samples)")
check(peak > BUS, f"the node's stores used pooled connections ({peak} backends at the peak)")
check(peak <= POOL + BUS, f"never more than pool + bus = {POOL + BUS} backends ({peak})")

rc, _ = a.stop(timeout=30)
check(rc == 0, "the node stops cleanly")
finish()
