"""Reads a Hearth mailbox straight from the data directory (SQLite rows + blob files), so
mail tests can check what was stored byte for byte without going through IMAP."""
import os
import sqlite3
import time

from hearth_test import pg_query


def messages(inst, account, mailbox="INBOX"):
    """The messages of account's mailbox, in UID order, as bytes (read from the instance's
    PostgreSQL database when the test runs under the `pg` label)."""
    data = os.path.join(inst.dir, "data")
    sql = ("SELECT m.blob_id FROM mail_messages m JOIN mail_mailboxes b ON b.id = m.mailbox_id "
           "WHERE b.account = {} AND b.name = {} ORDER BY m.uid")
    if getattr(inst, "database_url", ""):
        quote = lambda v: "'" + v.replace("'", "''") + "'"  # noqa: E731
        rows = [(b,) for b in pg_query(inst.database_url, sql.format(quote(account), quote(mailbox)))]
    else:
        db = sqlite3.connect(f"file:{os.path.join(data, 'hearth.db')}?mode=ro", uri=True, timeout=10)
        try:
            rows = db.execute(sql.format("?", "?"), (account, mailbox)).fetchall()
        except sqlite3.OperationalError:
            rows = []  # tables not made yet
        finally:
            db.close()
    out = []
    for (blob_id,) in rows:
        with open(os.path.join(data, "blobs", blob_id[:2], blob_id[2:]), "rb") as f:
            out.append(f.read())
    return out


def wait_messages(inst, account, count, mailbox="INBOX", timeout=20.0):
    """Polls until the mailbox holds at least `count` messages; returns them (maybe fewer)."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = messages(inst, account, mailbox)
        if len(msgs) >= count or time.monotonic() > deadline:
            return msgs
        time.sleep(0.2)
