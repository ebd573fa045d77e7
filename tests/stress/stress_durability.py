#!/usr/bin/python3
"""Crash durability under repeated kill -9 (`make stress`; never part of `make test`).

usage: tests/stress/stress_durability.py [--hearth build/hearth] [--count 300] [--kill-min 0.2]
                                         [--kill-max 2.0] [--max-seconds 900] [--net 127.0.240]

Two instances and knot on loopback, as in the queue's e2e tests: A (alice@a.test) and B
(bob@b.test). While four clients load A, A is killed with SIGKILL every kill-min..kill-max
seconds (random) and restarted at once:
  smtp        port 25, mail to alice@a.test (local delivery: 250 = in the INBOX, fsynced)
  submission  port 587 (STARTTLS + AUTH), mail to alice@a.test herself (250 = in the INBOX)
  relay       port 587, mail to bob@b.test (250 = in A's queue; A must deliver it to B, which
              is never killed)
  append      IMAP APPEND (implicit TLS) into alice's mailbox "Stress"
  put         CalDAV PUT (If-None-Match: *) into alice's default calendar
Every attempt carries a token of its own; an attempt counts as acknowledged when the client
got 250 / OK / 201. After the last kill A is started cleanly, its queue drains to B, and each
token is looked for through IMAP (INBOX, Stress, B's INBOX) and a Depth 1 PROPFIND. Prints per
kind: attempts, acknowledged, found, lost (acknowledged, not found), duplicated (found more
than once). Exits 1 if anything was lost, or duplicated where exactly once is possible: a relayed
message is delivered at least once (RFC 5321 §6.1): a kill between B's 250 and A's commit of
that outcome sends it again after the restart, so its duplicates are counted, not failed.
"""
import argparse
import os
import random
import re
import secrets
import signal
import smtplib
import ssl
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("hearth_pos", nargs="?")
ap.add_argument("--hearth", default="build/hearth")
ap.add_argument("--count", type=int, default=300, help="acknowledged operations wanted per kind")
ap.add_argument("--kill-min", type=float, default=0.2)
ap.add_argument("--kill-max", type=float, default=2.0)
ap.add_argument("--max-seconds", type=float, default=900, help="stop loading after this long")
ap.add_argument("--net", default="127.0.240", help="loopback /24 to use (not one of the e2e tests')")
args = ap.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
e2e = os.path.join(here, "..", "e2e")
os.environ["HEARTH_BIN"] = os.path.abspath(args.hearth_pos or args.hearth)
os.environ["HEARTH_TEST_NET"] = args.net
for sub in ("lib", "mail", "imap", "dav"):
    sys.path.insert(0, os.path.join(e2e, sub))

from davlib import Client  # noqa: E402
from imap_common import IMAP_TLS  # noqa: E402
from queue_lib import queue_ids, setup, wait_for  # noqa: E402

KINDS = ("smtp", "submission", "relay", "append", "put")
AT_LEAST_ONCE = ("relay",)
TOKEN = re.compile(rb"stress-(smtp|submission|relay|append|put)-[0-9]+-[0-9a-f]{8}")

dns, a, b = setup(schedule=(1, 2, 3600, 7200))
b.start(wait_for="smtp")
a.start(wait_for="submission")
CAL = f"/dav/calendars/{a.email}/personal/"

stats = {k: {"attempts": 0, "acked": set()} for k in KINDS}
lock = threading.Lock()
done = threading.Event()
deadline = time.monotonic() + args.max_seconds
server_ok = threading.Event()  # A is (believed to be) up
server_ok.set()


def token(kind, n):
    return f"stress-{kind}-{n}-{secrets.token_hex(4)}"


def tls_ctx(inst):
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    return ctx


def smtp_session(kind):
    if kind == "smtp":
        s = smtplib.SMTP(a.addr, a.port("smtp"), timeout=10)
        s.ehlo("client.remote.test")
        return s
    s = smtplib.SMTP(a.addr, a.port("submission"), timeout=10)
    s.ehlo("client.test")
    s.starttls(context=tls_ctx(a))
    s.ehlo("client.test")
    s.login(a.email, a.password)
    return s


def message(tok, sender, to):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {tok}\r\nMessage-ID: <{tok}@stress.test>\r\n\r\n"
            + f"Body of {tok}.\r\n" * 20).encode()


class Worker:
    def __init__(self, kind):
        self.kind, self.conn = kind, None

    def connect(self):
        if self.kind in ("smtp", "submission", "relay"):
            self.conn = smtp_session(self.kind)
        elif self.kind == "append":
            m = IMAP_TLS(a)
            m.login(a.email, a.password)
            m.create("Stress")  # NO once it exists
            self.conn = m
        else:
            self.conn = Client(a.addr, a.port("https"), a.hostname, a.ca_file(), a.email, a.password)

    def close(self):
        c, self.conn = self.conn, None
        try:
            if isinstance(c, smtplib.SMTP):
                c.close()
            elif isinstance(c, IMAP_TLS):
                c.shutdown()
            elif c is not None and c.conn is not None:
                c.conn.close()
        except Exception:  # noqa: BLE001
            pass

    def once(self, tok):
        """True when the server acknowledged the operation."""
        if self.kind == "smtp":
            return self.conn.sendmail("sender@remote.test", ["alice@a.test"],
                                      message(tok, "sender@remote.test", "alice@a.test")) == {}
        if self.kind in ("submission", "relay"):
            to = a.email if self.kind == "submission" else "bob@b.test"
            return self.conn.sendmail(a.email, [to], message(tok, a.email, to)) == {}
        if self.kind == "append":
            typ, _ = self.conn.append("Stress", None, None, message(tok, "x@remote.test", a.email))
            return typ == "OK"
        ev = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//stress//EN\r\nBEGIN:VEVENT\r\nUID:{tok}\r\n"
              f"DTSTAMP:20300101T000000Z\r\nDTSTART:20300101T100000Z\r\nDTEND:20300101T110000Z\r\n"
              f"SUMMARY:{tok}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        r = self.conn.request("PUT", f"{CAL}{tok}.ics", ev,
                              {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
        return r.status == 201

    def run(self):
        n = 0
        st = stats[self.kind]
        while len(st["acked"]) < args.count and time.monotonic() < deadline and n < args.count * 20:
            n += 1
            tok = token(self.kind, n)
            try:
                if self.conn is None:
                    self.connect()
                with lock:
                    st["attempts"] += 1
                if self.once(tok):
                    with lock:
                        st["acked"].add(tok)
                else:
                    self.close()
            except Exception:  # noqa: BLE001 (the server was killed under us: not acknowledged)
                self.close()
                time.sleep(0.05)
        self.close()


kills = 0
restart_failures = 0


def killer():
    global kills, restart_failures
    while not done.is_set():
        if done.wait(random.uniform(args.kill_min, args.kill_max)):
            break
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        kills += 1
        for _ in range(5):
            try:
                a.start(wait_for="submission")
                break
            except RuntimeError:
                restart_failures += 1
                if a.proc.poll() is None:
                    a.proc.kill()
                    a.proc.wait()


t0 = time.monotonic()
workers = [threading.Thread(target=Worker(k).run) for k in KINDS]
kt = threading.Thread(target=killer)
for t in workers:
    t.start()
kt.start()
for t in workers:
    t.join()
done.set()
kt.join()
load_seconds = time.monotonic() - t0

# A clean start, its queue drained to B, then count through the protocols.
if a.proc.poll() is None:
    a.stop()
a.start(wait_for="submission")
drained = wait_for(lambda: queue_ids(a) == [], timeout=300)


def imap_tokens(inst, mailbox):
    m = IMAP_TLS(inst)
    try:
        m.login(inst.email, inst.password)
        typ, _ = m.select(mailbox, readonly=True)
        if typ != "OK":
            return []
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        blob = b"".join(p[1] if isinstance(p, tuple) else b"" for p in data or [] if p)
        return [t.decode() for t in (x.group(0) for x in TOKEN.finditer(blob))]
    finally:
        m.logout()


def dav_tokens():
    c = Client(a.addr, a.port("https"), a.hostname, a.ca_file(), a.email, a.password)
    r = c.propfind(CAL, ["<d:getetag/>"], depth="1")
    return [t.decode() for t in (x.group(0) for x in TOKEN.finditer(r.body))]


inbox_a = imap_tokens(a, "INBOX")
found = {
    "smtp": inbox_a,
    "submission": inbox_a,
    "relay": imap_tokens(b, "INBOX"),
    "append": imap_tokens(a, "Stress"),
    "put": dav_tokens(),
}
a.stop()
b.stop()

print(f"load {load_seconds:.0f} s, {kills} kill -9 of A (every {args.kill_min}-{args.kill_max} s), "
      f"{restart_failures} slow restarts, queue drained: {'yes' if drained else 'NO'}")
print(f"{'kind':<11} {'attempts':>8} {'acknowledged':>12} {'found':>6} {'lost':>5} {'duplicated':>10} {'unacked found':>13}")
bad = not drained
for k in KINDS:
    acked = stats[k]["acked"]
    counts = {}
    for t in found[k]:
        if t.startswith(f"stress-{k}-"):
            counts[t] = counts.get(t, 0) + 1
    lost = [t for t in acked if t not in counts]
    dup = [t for t, n in counts.items() if n > 1]
    extra = [t for t in counts if t not in acked]
    bad |= bool(lost or (dup and k not in AT_LEAST_ONCE))
    print(f"{k:<11} {stats[k]['attempts']:>8} {len(acked):>12} {sum(1 for t in acked if t in counts):>6} "
          f"{len(lost):>5} {len(dup):>10} {len(extra):>13}")
    if lost:
        print(f"  lost: {lost[:10]}")
    if dup:
        print(f"  duplicated{' (at least once: not a failure)' if k in AT_LEAST_ONCE else ''}: {dup[:10]}")
sys.exit(1 if bad else 0)
