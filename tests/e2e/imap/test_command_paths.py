"""Read commands that run on the session's I/O thread, and APPENDs that share a database fsync.

Short reads (SELECT, STATUS, LIST, FETCH of stored items, NOOP) run inline with writes refused;
one that turns out to need a write (a \\Recent claim when new mail shows up, a first-use
message summary) is thrown away and run again on the blocking pool. Durable commits (APPEND)
from several sessions at once share fsyncs of the write-ahead log, each OK still following its
own durable commit. What is checked here, with real imaplib clients over TLS:

- 8 sessions APPEND 10 messages each at once: every APPEND is OK with a distinct APPENDUID,
  and a session that selects the mailbox afterwards sees exactly those 80 messages (their
  Subjects read from the summaries the first FETCH computes, a write inside a read);
- two IMAP4rev1 sessions with the mailbox selected both hear a new message's EXISTS from a
  NOOP sent at once, and exactly one of them gets it as \\Recent (RFC 3501 section 2.3.2);
  another session's STATUS then counts no recent message;
- a flag set in one session reaches the other's NOOP and FETCH (inline reads are not stale);
- after a restart the messages are all still there, and the log holds no internal error.
"""
import re
import threading

from hearth_test import check, finish
from imap_common import login, raw_text, start

WRITERS = 8
EACH = 10


def message(subject):
    return (f"From: a@example.test\r\nTo: demo@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@example.test>\r\n\r\nbody of {subject}\r\n").encode()


def subjects(m, box):
    untagged, tagged = raw_text(m, f"EXAMINE {box}")
    if not tagged.startswith("OK"):
        return None
    untagged, tagged = raw_text(m, "UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    found = set()
    for line in untagged:
        s = re.search(r"Subject: (\S+)", line)
        if s:
            found.add(s.group(1))
    return found


def fetch_lines(untagged):
    return [l for l in untagged if " FETCH " in l]


inst = start(offset=20000)
setup = login(inst)
check(setup.create("Perf")[0] == "OK", "CREATE Perf")

# ---- concurrent APPENDs, each acknowledged after its own durable commit --------------------
acked, uids, errors = [], [], []
lock = threading.Lock()


def writer(n):
    try:
        m = login(inst)
        for k in range(EACH):
            subject = f"w{n}-m{k}"
            typ, data = m.append("Perf", None, None, message(subject))
            code = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"") if typ == "OK" else None
            with lock:
                if typ == "OK" and code:
                    acked.append(subject)
                    uids.append(int(code.group(1)))
                else:
                    errors.append((subject, typ, data))
        m.logout()
    except Exception as e:  # counted below: a thread must not end the test silently
        with lock:
            errors.append((n, "exception", repr(e)))


threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
check(not errors, f"every concurrent APPEND answered OK with APPENDUID (errors: {errors[:3]})")
check(len(acked) == WRITERS * EACH, f"{WRITERS * EACH} APPENDs acknowledged (got {len(acked)})")
check(len(set(uids)) == len(uids), "each APPEND got its own uid")

reader = login(inst)
seen = subjects(reader, "Perf")
check(seen == set(acked), f"a new session sees exactly the acknowledged messages ({len(seen or ())} found)")

# ---- \Recent through the inline path ---------------------------------------------------------
a = login(inst)
b = login(inst)
ua, ta = raw_text(a, "SELECT Perf")
ub, tb = raw_text(b, "SELECT Perf")
check(ta.startswith("OK") and tb.startswith("OK"), "both sessions select Perf")
check(f"* {len(acked)} EXISTS" in ua, "SELECT shows every message")
recent_a = [int(l.split()[1]) for l in ua if l.endswith(" RECENT")]
recent_b = [int(l.split()[1]) for l in ub if l.endswith(" RECENT")]
# The earlier sessions only APPENDed and EXAMINEd: the first SELECT takes them all.
check(recent_a == [len(acked)] and recent_b == [0], f"first SELECT takes the recent messages ({recent_a}, {recent_b})")

typ, _ = setup.append("Perf", None, None, message("late-one"))
check(typ == "OK", "APPEND of one more message")
results = {}


def noop(name, m):
    results[name] = raw_text(m, "NOOP")


pair = [threading.Thread(target=noop, args=("a", a)), threading.Thread(target=noop, args=("b", b))]
for t in pair:
    t.start()
for t in pair:
    t.join(30)
total = len(acked) + 1
for name in ("a", "b"):
    untagged, tagged = results.get(name, ([], ""))
    check(tagged.startswith("OK") and f"* {total} EXISTS" in untagged,
          f"session {name} hears the new message's EXISTS from its NOOP")
ra = [int(l.split()[1]) for l in results.get("a", ([], ""))[0] if l.endswith(" RECENT")]
rb = [int(l.split()[1]) for l in results.get("b", ([], ""))[0] if l.endswith(" RECENT")]
# a keeps its 80; the new one goes to exactly one of the two.
check(len(ra) == 1 and len(rb) == 1 and (ra[0] - len(acked)) + rb[0] == 1,
      f"exactly one session gets the new message as recent (a: {ra}, b: {rb})")
fa = fetch_lines(raw_text(a, f"FETCH {total} (FLAGS)")[0])
fb = fetch_lines(raw_text(b, f"FETCH {total} (FLAGS)")[0])
check(len(fa) == 1 and len(fb) == 1 and ("\\Recent" in fa[0]) != ("\\Recent" in fb[0]),
      f"FETCH FLAGS shows \\Recent in one session only ({fa}, {fb})")
other = login(inst)
typ, data = other.status("Perf", "(MESSAGES RECENT)")
check(typ == "OK" and f"MESSAGES {total} RECENT 0" in data[0].decode(),
      f"STATUS from a third session counts no recent message ({data})")

# ---- a write in one session, read inline in the other ------------------------------------
_, tagged = raw_text(a, "STORE 1 +FLAGS (\\Flagged)")
check(tagged.startswith("OK"), "STORE +FLAGS in session a")
untagged, tagged = raw_text(b, "NOOP")
check(any(l.startswith("* 1 FETCH") and "\\Flagged" in l for l in untagged),
      f"session b's NOOP reports the flag ({untagged})")
untagged, _ = raw_text(b, "FETCH 1 (FLAGS)")
check(any("\\Flagged" in l for l in fetch_lines(untagged)), "session b's FETCH shows the flag")
for m in (setup, reader, a, b, other):
    try:
        m.logout()
    except Exception:
        pass

# ---- after a restart ---------------------------------------------------------------------
rc, _ = inst.stop()
check(rc == 0, "the server stops cleanly")
inst.start(wait_for="imaps")
again = login(inst)
check(subjects(again, "Perf") == set(acked) | {"late-one"}, "every acknowledged message is there after a restart")
again.logout()
check("imap.error" not in inst.log(), "no internal error in the log")
finish()
