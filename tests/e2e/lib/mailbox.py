"""Reads a Hearth mailbox straight from the data directory (rows, blob files and the blob table), so
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
    return [blob_bytes(inst, blob_id) for (blob_id,) in rows]


def blob_bytes(inst, blob_id, root=None):
    """A stored body by its id: its file in the blob folder (`root`, default DATA/blobs), or else
    its parts in the database's blob table, where bodies up to [database] inline_max live."""
    path = os.path.join(root or os.path.join(inst.dir, "data", "blobs"), blob_id[:2], blob_id[2:])
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    if getattr(inst, "database_url", ""):
        hexparts = pg_query(inst.database_url, "SELECT encode(data, 'hex') FROM blob_parts "
                            f"WHERE id = '{blob_id}' ORDER BY part")
        if not hexparts:
            raise FileNotFoundError(f"blob {blob_id} is neither a file nor in the database")
        return bytes.fromhex("".join(hexparts))
    db = sqlite3.connect(f"file:{os.path.join(inst.dir, 'data', 'hearth.db')}?mode=ro", uri=True, timeout=10)
    try:
        parts = db.execute("SELECT data FROM blob_parts WHERE id = ? ORDER BY part", (blob_id,)).fetchall()
    finally:
        db.close()
    if not parts:
        raise FileNotFoundError(f"blob {blob_id} is neither a file nor in the database")
    return b"".join(bytes(p) for (p,) in parts)


def stored_blob_ids(inst, root=None):
    """The ids of every stored body: files in the blob folder and rows of the blob table."""
    root = root or os.path.join(inst.dir, "data", "blobs")
    ids = set()
    for d, _, files in os.walk(root):
        if os.path.basename(d) != "tmp":
            ids.update(os.path.basename(d) + f for f in files)
    if getattr(inst, "database_url", ""):
        ids.update(pg_query(inst.database_url, "SELECT id FROM blob_parts WHERE part = 0"))
    else:
        db = sqlite3.connect(f"file:{os.path.join(inst.dir, 'data', 'hearth.db')}?mode=ro", uri=True, timeout=10)
        try:
            ids.update(r[0] for r in db.execute("SELECT id FROM blob_parts WHERE part = 0"))
        except sqlite3.OperationalError:
            pass  # no table yet
        finally:
            db.close()
    return ids


def wait_messages(inst, account, count, mailbox="INBOX", timeout=20.0):
    """Polls until the mailbox holds at least `count` messages; returns them (maybe fewer)."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = messages(inst, account, mailbox)
        if len(msgs) >= count or time.monotonic() > deadline:
            return msgs
        time.sleep(0.2)
