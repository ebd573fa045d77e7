"""Two sessions on one mailbox: one IDLEs, the other APPENDs, STOREs and EXPUNGEs; each change
reaches the idling client as untagged EXISTS / FETCH / EXPUNGE within a second."""
import queue
import threading
import time

from hearth_test import check, finish
from imap_common import corpus, login, start

inst = start()
watcher = login(inst)
actor = login(inst, starttls=True)
typ, data = watcher.select("INBOX")
actor.select("INBOX")

# Raw IDLE on the watcher (imaplib's idle() is 3.14+); a thread reads the untagged lines.
tag = watcher._new_tag()
watcher.send(tag + b" IDLE\r\n")
line = watcher._get_line()
check(line.startswith(b"+"), f"IDLE continuation: {line!r}")
lines = queue.Queue()


def reader():
    while True:
        try:
            l = watcher._get_line()
        except Exception:
            return
        lines.put(l)
        if l.startswith(tag):
            return


threading.Thread(target=reader, daemon=True).start()


def wait_for(pred, what, timeout=1.0):
    """Waits up to `timeout` for an untagged line matching pred; returns (found, lines seen)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            l = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(l)
        if pred(l):
            return True, seen
    return False, seen


t0 = time.monotonic()
actor.append("INBOX", None, None, corpus("group.eml"))
ok, seen = wait_for(lambda l: l == b"* 1 EXISTS", "EXISTS")
check(ok, f"IDLE shows the APPEND of another session within a second: {seen}")
actor.store("1", "+FLAGS", "(\\Flagged)")
ok, seen = wait_for(lambda l: l.startswith(b"* 1 FETCH") and b"\\Flagged" in l, "FETCH")
check(ok, f"IDLE shows another session's STORE: {seen}")
actor.store("1", "+FLAGS", "(\\Deleted)")
actor.expunge()
ok, seen = wait_for(lambda l: l == b"* 1 EXPUNGE", "EXPUNGE")
check(ok, f"IDLE shows another session's EXPUNGE: {seen}")
watcher.send(b"DONE\r\n")
line = lines.get(timeout=5)
while line.startswith(b"*"):
    line = lines.get(timeout=5)
check(line == tag + b" OK IDLE terminated", f"DONE ends IDLE: {line!r}")

# Without IDLE: a NOOP reports what happened meanwhile.
actor.append("INBOX", None, None, corpus("latin1.eml"))
typ, data = watcher.noop()
check(watcher.untagged_responses.get("EXISTS", [b""])[-1] == b"1", f"NOOP reports EXISTS: {watcher.untagged_responses}")
watcher.logout()
actor.logout()
finish()
