"""Shared set-up for the outbound queue's e2e tests.

Two real `hearth` instances for two domains on this test's loopback network, found through MX
records served by knotd: A (alice@a.test) on NET.2, B (bob@b.test) on NET.3, knot on NET.1:5353.
Both use the same port offset, so A's smtp.outbound.port is B's MX port. The queue's retry
schedule is shortened in A's config. INBOXes are read from the mail store's SQLite rows and
blob files (the same bytes IMAP would serve).
"""
import os
import re
import smtplib
import sqlite3
import ssl

from hearth_test import NET, Instance, check, pg_query, set_key, wait_for  # noqa: F401 (set_key, wait_for re-exported)
from knot import Knot
from mailbox import blob_bytes

DNS_PORT = 5353




def zones():
    return {
        "a.test": f"@ MX 10 mail\nmail A {NET}.2\n",
        # down.b.test: an MX address where nothing listens (connection refused).
        "b.test": f"@ MX 10 mail\nmail A {NET}.3\ndown MX 10 nowhere\nnowhere A {NET}.9\n",
    }


def setup(schedule=(1, 2, 120, 3600)):
    """Starts knot and returns (dns, A, B) with A and B configured but not started."""
    dns = Knot(addr=f"{NET}.1", port=DNS_PORT, zones=zones()).start()
    a = Instance("alice@a.test", host=2)
    b = Instance("bob@b.test", host=3)
    first, max_retry, give_up, warn = schedule
    for inst in (a, b):
        set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
        set_key(inst.config, "smtp.outbound", "port", str(b.port("smtp")))
        set_key(inst.config, "smtp.queue", "first_retry", str(first))
        set_key(inst.config, "smtp.queue", "max_retry", str(max_retry))
        set_key(inst.config, "smtp.queue", "give_up", str(give_up))
        set_key(inst.config, "smtp.queue", "delay_warning", str(warn))
        inst.cli(["config", "check"])
    return dns, a, b


def submit(inst, to, subject, sender=None, body="Hello from the queue test.\r\n"):
    """Sends one message through inst's submission port (STARTTLS + AUTH). Returns the reply."""
    sender = sender or inst.email
    msg = (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.replace(' ', '.')}@{inst.domain}>\r\n\r\n{body}")
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=30) as s:
        s.ehlo("client.test")
        s.starttls(context=ctx)
        s.ehlo("client.test")
        s.login(inst.email, inst.password)
        refused = s.sendmail(sender, [to], msg.encode())
        return refused


_INBOX_BLOBS = ("SELECT m.blob_id FROM mail_messages m JOIN mail_mailboxes x ON x.id = m.mailbox_id "
                "WHERE x.account = {} AND x.name = 'INBOX' ORDER BY m.uid")


def inbox(inst, account):
    """The messages in account's INBOX (bytes, by UID), read from the store's rows and blobs
    (in the instance's PostgreSQL database when the test runs under the `pg` label)."""
    if inst.database_url:
        rows = [(b,) for b in pg_query(inst.database_url, _INBOX_BLOBS.format("'" + account.replace("'", "''") + "'"))]
    else:
        db = os.path.join(inst.dir, "data", "hearth.db")
        if not os.path.exists(db):
            return []
        con = sqlite3.connect(db, timeout=10)
        try:
            rows = con.execute(_INBOX_BLOBS.format("?"), (account,)).fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            con.close()
    return [blob_bytes(inst, blob) for (blob,) in rows]


def find(inst, account, needle):
    for m in inbox(inst, account):
        if needle.encode() in m:
            return m
    return None


def log_lines(inst, event):
    return [l for l in inst.log().splitlines() if f" {event} " in l or l.rstrip().endswith(f" {event}")]


def queue_ids(inst):
    """Ids listed by `hearth queue list`."""
    cp = inst.cli(["queue", "list"])
    return re.findall(r"^([0-9A-F]{10,})\s", cp.stdout, re.M)
