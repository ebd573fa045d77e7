"""Write commands that run on the session's I/O thread when the write lock is free.

STORE, UID STORE, EXPUNGE, UID EXPUNGE and the \\Recent claim of SELECT/NOOP/FETCH write a
few rows without an fsync. They run inline when this process's writer gate is free at that
instant; when it is held (an APPEND's transaction on the store pool) the command is thrown
away before anything of it committed and runs again on the pool. A command must take effect
exactly once either way. What is checked here, with real imaplib clients over TLS, while an
extra session APPENDs all the time so that both paths are taken:

- CONDSTORE races (RFC 7162 section 3.1.3): in each round, SESSIONS sessions read a message's
  MODSEQ, then all send `UID STORE n (UNCHANGEDSINCE m) +FLAGS (...)` at once: exactly one
  is OK without MODIFIED (a STORE applied twice, inline then on the pool, would report its
  own change as a conflict and leave no winner), and the winner's MODSEQ is above m;
- \\Recent (RFC 3501 section 2.3.2): every message APPENDed while the sessions have the
  mailbox selected and keep sending commands is \\Recent in exactly one of them;
- EXPUNGE: sessions mark different messages \\Deleted and EXPUNGE at once; every session then
  agrees on the message count, and each marked message is gone, each unmarked one still there;
- the log holds no internal error.
"""
import re
import threading

from hearth_test import check, finish
from imap_common import login, raw_text, start

SESSIONS = 4
ROUNDS = 12
MARKED = 3  # messages each session deletes


def message(subject):
    return (f"From: a@example.test\r\nTo: demo@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@example.test>\r\n\r\nbody of {subject}\r\n").encode()


def modseq_of(untagged, seq):
    """The highest MODSEQ the lines report for message `seq`, or None."""
    found = [re.search(r"MODSEQ \((\d+)\)", l) for l in untagged if l.startswith(f"* {seq} FETCH ")]
    found = [int(x.group(1)) for x in found if x]
    return max(found) if found else None


inst = start(offset=20000)
setup = login(inst)
check(setup.create("W")[0] == "OK", "CREATE W")
for k in range(ROUNDS + SESSIONS * MARKED + 4):
    setup.append("W", None, None, message(f"seed-{k}"))

sessions = [login(inst) for _ in range(SESSIONS)]
for s in sessions:
    _, tagged = raw_text(s, "SELECT W (CONDSTORE)")
    check(tagged.startswith("OK"), "a session selects W with CONDSTORE")

# An extra session APPENDs throughout, so that the writer gate is often held on the pool.
stop_appending = threading.Event()
appended, append_errors = [], []


started_appending = threading.Event()
feed = login(inst)


def appender():
    m = feed
    k = 0
    # At least 20 APPENDs, so that some arrive while the sessions race; at most 400.
    while (k < 20 or not stop_appending.is_set()) and k < 400:
        if k == 1:
            started_appending.set()
        typ, data = m.append("W", None, None, message(f"live-{k}"))
        code = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"") if typ == "OK" else None
        if code:
            appended.append(int(code.group(1)))
        else:
            append_errors.append((typ, data))
        k += 1
    started_appending.set()
    m.logout()


feeder = threading.Thread(target=appender)
feeder.start()
check(started_appending.wait(60), "the live APPENDs have begun")

# ---- CONDSTORE races: exactly one winner per round ------------------------------------------
barrier = threading.Barrier(SESSIONS, timeout=30)
outcomes = {}  # (round, session) -> (won, modseq or None, tagged)
errors = []


def racer(i, m):
    try:
        for r in range(ROUNDS):
            uid = r + 1
            # Nothing is expunged yet: the message's sequence number is its uid.
            untagged, _ = raw_text(m, f"UID FETCH {uid} (MODSEQ)")
            base = modseq_of(untagged, uid)
            # Every session reads before any of them stores: they all hold the same base.
            barrier.wait()
            untagged, tagged = raw_text(m, f"UID STORE {uid} (UNCHANGEDSINCE {base or 0}) +FLAGS ($r{i})")
            won = tagged.startswith("OK") and "MODIFIED" not in tagged
            after = modseq_of(untagged, uid)
            outcomes[(r, i)] = (won, base or 0, after, tagged)
    except Exception as e:
        errors.append((i, repr(e)))
        barrier.abort()


threads = [threading.Thread(target=racer, args=(i, m)) for i, m in enumerate(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
check(not errors, f"no session failed during the races ({errors[:2]})")
winners = [sum(1 for i in range(SESSIONS) if outcomes.get((r, i), (False,))[0]) for r in range(ROUNDS)]
check(winners == [1] * ROUNDS, f"exactly one STORE UNCHANGEDSINCE wins each round ({winners})")
bad_modseq = [(k, o) for k, o in outcomes.items() if o[0] and not (o[1] and o[2] and o[2] > o[1])]
check(not bad_modseq, f"each winner reports a MODSEQ above the one it read ({bad_modseq[:2]})")
losers_ok = all(o[3].startswith("OK [MODIFIED") for o in outcomes.values() if not o[0])
check(losers_ok, "every other STORE answers OK [MODIFIED ...]")

# ---- EXPUNGE from several sessions at once --------------------------------------------------
first_marked = ROUNDS + 1
marked = {i: list(range(first_marked + i * MARKED, first_marked + (i + 1) * MARKED)) for i in range(SESSIONS)}


def expunger(i, m):
    try:
        uids = ",".join(str(u) for u in marked[i])
        _, tagged = raw_text(m, f"UID STORE {uids} +FLAGS.SILENT (\\Deleted)")
        barrier.wait()
        # UID EXPUNGE of this session's own marks only: the sessions race on the write lock.
        _, tagged2 = raw_text(m, f"UID EXPUNGE {uids}")
        outcomes[("x", i)] = (tagged, tagged2)
    except Exception as e:
        errors.append((i, repr(e)))
        barrier.abort()


barrier.reset()
threads = [threading.Thread(target=expunger, args=(i, m)) for i, m in enumerate(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
check(all(outcomes.get(("x", i), ("", ""))[0].startswith("OK") and outcomes[("x", i)][1].startswith("OK")
          for i in range(SESSIONS)), "every STORE \\Deleted and UID EXPUNGE is OK")
stop_appending.set()
feeder.join(120)
check(not append_errors and appended, f"the live APPENDs are OK ({len(appended)} of them, errors {append_errors[:2]})")

gone = {u for us in marked.values() for u in us}
views = []
for m in sessions:
    raw_text(m, "NOOP")
    untagged, tagged = raw_text(m, "UID FETCH 1:* (UID FLAGS)")
    uids = set()
    recent = set()
    for l in untagged:
        u = re.search(r"UID (\d+)", l)
        if " FETCH " in l and u:
            uids.add(int(u.group(1)))
            if "\\Recent" in l:
                recent.add(int(u.group(1)))
    views.append((uids, recent))
check(all(v[0] == views[0][0] for v in views), "every session sees the same messages after the expunges")
check(not (views[0][0] & gone), "each message marked and expunged is gone")
seeded = set(range(1, ROUNDS + SESSIONS * MARKED + 5))
check(seeded - gone <= views[0][0], "each message not marked is still there")
check(set(appended) <= views[0][0], "every live APPEND is there")

# ---- \Recent: each live APPEND is recent in exactly one session -----------------------------
counts = {u: sum(1 for v in views if u in v[1]) for u in appended}
twice = sorted(u for u, c in counts.items() if c > 1)
never = sorted(u for u, c in counts.items() if c == 0)
check(not twice, f"no live message is \\Recent in two sessions ({twice[:5]})")
check(not never, f"every live message is \\Recent in one session ({never[:5]})")

for m in sessions + [setup]:
    try:
        m.logout()
    except Exception:
        pass
check("imap.error" not in inst.log(), "no internal error in the log")
finish()
