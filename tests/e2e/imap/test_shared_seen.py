"""Per-user \\Seen on a shared mailbox (as Dovecot's INDEXPVT): demo shares INBOX with bob
(`hearth share mailbox`, lrswipte). What each reads is marked \\Seen for them alone: FETCH FLAGS,
SEARCH SEEN/UNSEEN, STATUS UNSEEN and CONDSTORE's CHANGEDSINCE show the reading user's own
state, another session of bob's hears of his change in IDLE, and demo's \\Seen changes leave
bob's alone. Then `hearth db copy` carries bob's state into PostgreSQL (tests/e2e/lib/pg_cluster.py)
with the rest of the mail store."""
import re

from hearth_test import check, finish
from imap_common import IMAP_TLS, deliver_subject, heard as read_until, raw_text as raw, start, unbuffered
from pg_cluster import PgCluster

BOB = "bob@example.test"
BOB_PW = "bob-shared-secret-3"
OWNER = "demo@example.test"
SHARED = f"shared/{OWNER}/INBOX"


def add_bob(inst):
    inst.cli(["user", "add", BOB, "--password-stdin"], input=BOB_PW + "\n")


def flags(m, seqs):
    """{seq: set of flags} from FETCH seqs (FLAGS)."""
    u, _ = raw(m, f"FETCH {seqs} (FLAGS)")
    out = {}
    for l in u:
        f = re.match(r"\* (\d+) FETCH \(.*FLAGS \(([^)]*)\)", l)
        if f:
            out[int(f.group(1))] = set(f.group(2).split()) - {"\\Recent"}  # demo is IMAP4rev1
    return out


def search(m, what):
    u, _ = raw(m, f"SEARCH {what}")
    line = next((l for l in u if l.startswith("* SEARCH")), "* SEARCH")
    return [int(x) for x in line.split()[2:]]


def status_unseen(m, name):
    u, _ = raw(m, f'STATUS "{name}" (UNSEEN)')
    f = re.search(r"UNSEEN (\d+)", " ".join(u))
    return int(f.group(1)) if f else None


inst = start(prepare=add_bob)
deliver_subject(inst, "first", OWNER)
deliver_subject(inst, "second", OWNER)
out = inst.cli(["share", "mailbox", f"{OWNER}/INBOX", BOB, "lrswipte"]).stdout
check(f"shared with {BOB} (lrswipte)" in out, f"INBOX shared: {out.strip()}")

owner = IMAP_TLS(inst)
owner.login(OWNER, inst.password)
unbuffered(owner)
raw(owner, "SELECT INBOX")
raw(owner, "FETCH 1 (BODY[TEXT])")  # demo reads the first message
check(flags(owner, "1:2") == {1: {"\\Seen"}, 2: set()}, "demo's read marks the first message seen for demo")

bob = IMAP_TLS(inst)
bob.login(BOB, BOB_PW)
unbuffered(bob)
u, t = raw(bob, f'SELECT "{SHARED}" (CONDSTORE)')
check(t.startswith("OK [READ-WRITE]"), f"bob selects the shared INBOX: {t}")
hms = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(u)).group(1))
check(flags(bob, "1:2") == {1: set(), 2: set()}, "demo's \\Seen is not bob's")
check(status_unseen(bob, SHARED) == 2, "bob's STATUS UNSEEN counts both messages")

bob2 = IMAP_TLS(inst)
bob2.login(BOB, BOB_PW)
unbuffered(bob2)
raw(bob2, f'SELECT "{SHARED}"')

raw(bob, "FETCH 2 (BODY[TEXT])")  # bob reads the second
check(flags(bob, "1:2") == {1: set(), 2: {"\\Seen"}}, "bob's read marks the second message seen for bob")
check(flags(owner, "1:2") == {1: {"\\Seen"}, 2: set()}, "and not for demo")
check(search(bob, "UNSEEN") == [1] and search(bob, "SEEN") == [2], "bob's SEARCH UNSEEN/SEEN")
check(search(owner, "UNSEEN") == [2] and search(owner, "SEEN") == [1], "demo's SEARCH UNSEEN/SEEN")
check(status_unseen(owner, "INBOX") == 1 and status_unseen(bob, SHARED) == 1, "each one's STATUS UNSEEN")
u, _ = raw(bob, f"FETCH 1:* (FLAGS) (CHANGEDSINCE {hms})")
changed = [l for l in u if " FETCH " in l]
check(len(changed) == 1 and changed[0].startswith("* 2 FETCH") and "MODSEQ" in changed[0],
      f"CONDSTORE: bob's own change since his SELECT, with its MODSEQ: {u}")

# Bob's other session, idling, hears of his \Seen change.
tag = bob2._new_tag()
bob2.send(tag + b" IDLE\r\n")
# Before the continuation it may announce bob's earlier read of message 2.
started = read_until(bob2, lambda l: l.startswith("+"), 10)
check(started and started[-1].startswith("+"), f"bob's second session idles: {started}")
raw(bob, "STORE 1 +FLAGS.SILENT (\\Seen)")
heard = read_until(bob2, lambda l: l.startswith("* 1 FETCH"), 10)
check(heard and "\\Seen" in heard[-1], f"the idling session hears bob's \\Seen on message 1: {heard}")
bob2.send(b"DONE\r\n")
end = read_until(bob2, lambda l: l.startswith(tag.decode()), 10)
check(end and end[-1].startswith(tag.decode() + " OK"), f"IDLE ends: {end}")

# Demo's \Seen changes leave bob's alone, and the other way round.
raw(owner, "STORE 1 -FLAGS.SILENT (\\Seen)")
raw(owner, "STORE 2 +FLAGS.SILENT (\\Seen)")
check(flags(bob, "1:2") == {1: {"\\Seen"}, 2: {"\\Seen"}}, "demo's changes do not reach bob's \\Seen")
raw(bob, "STORE 1:2 -FLAGS.SILENT (\\Seen)")
check(flags(owner, "1:2") == {1: set(), 2: {"\\Seen"}}, "bob's changes do not reach demo's")
check(flags(bob, "1:2") == {1: set(), 2: set()}, "bob's unmark is his")
raw(bob, "STORE 2 +FLAGS.SILENT (\\Seen)")
bob2.logout()
bob.logout()
owner.logout()

# `hearth db copy` knows the table (app/db_stores.cpp): bob's entries reach PostgreSQL.
if PgCluster.available():
    rc, _ = inst.stop()
    check(rc == 0, "the instance stops for the copy")
    pg = PgCluster()
    pg.start()
    try:
        cp = inst.cli(["db", "copy", "--to", pg.url], check_rc=False, timeout=120)
        row = next((l.split() for l in cp.stdout.splitlines() if l.startswith("mail_seen ")), [])
        check(cp.returncode == 0 and row[1:3] == ["2", "2"] and row[-1] == "same",
              f"db copy carries bob's \\Seen entries (uids 1 and 2): {row or cp.stdout + cp.stderr}")
    finally:
        pg.stop()
else:
    print("PostgreSQL server binaries not installed: the db copy check is left out")
finish()
