"""A sharee's own \\Seen on a shared mailbox goes when their right to read it goes: demo shares
INBOX with bob, bob reads both messages (his \\Seen), then his read right is taken away and given
back in each way an owner can (`hearth share mailbox ... l`, SETACL -r, DELETEACL, removing
"anyone" when bob had read through it, and deleting bob's account): each time bob comes back to
two unseen messages, as a new sharee does. While 'r' stays (a change of other rights, or "anyone"
still reading), his state stays."""
import re

from hearth_test import check, finish
from imap_common import IMAP_TLS, deliver_subject, raw_text as raw, start, unbuffered

BOB = "bob@example.test"
BOB_PW = "bob-revoke-secret-5"
OWNER = "demo@example.test"
SHARED = f"shared/{OWNER}/INBOX"


def add_bob(inst):
    inst.cli(["user", "add", BOB, "--password-stdin"], input=BOB_PW + "\n")


def session(inst, user, pw):
    m = IMAP_TLS(inst)
    m.login(user, pw)
    return unbuffered(m)


def bob_unseen(inst):
    """Bob's STATUS UNSEEN of the shared INBOX from a fresh session (None: refused)."""
    m = session(inst, BOB, BOB_PW)
    try:
        u, t = raw(m, f'STATUS "{SHARED}" (UNSEEN)')
        f = re.search(r"UNSEEN (\d+)", " ".join(u))
        return int(f.group(1)) if t.startswith("OK") and f else None
    finally:
        m.logout()


def bob_reads(inst):
    """Bob reads both messages (FETCH BODY[] sets his \\Seen) and says how many are unseen after."""
    m = session(inst, BOB, BOB_PW)
    try:
        _, t = raw(m, f'SELECT "{SHARED}"')
        _, f = raw(m, "FETCH 1:2 (BODY[])")
        ok = t.startswith("OK") and f.startswith("OK")
    finally:
        m.logout()
    return ok and bob_unseen(inst) == 0


def share(inst, rights):
    return inst.cli(["share", "mailbox", f"{OWNER}/INBOX", BOB, rights]).stdout.strip()


inst = start(prepare=add_bob)
deliver_subject(inst, "first", OWNER)
deliver_subject(inst, "second", OWNER)
owner = session(inst, OWNER, inst.password)

# The CLI.
check("shared with" in share(inst, "lrs"), "demo shares INBOX with bob (lrs)")
check(bob_unseen(inst) == 2, "bob starts with both messages unseen")
check(bob_reads(inst), "bob reads both: none unseen for him")
share(inst, "lr")
check(bob_unseen(inst) == 0, "lrs -> lr keeps read access, and bob's \\Seen")
share(inst, "l")
check(bob_unseen(inst) is None, "with l only, bob's STATUS is refused")
share(inst, "lrs")
check(bob_unseen(inst) == 2, "`hearth share mailbox ... l` dropped bob's \\Seen: read again, both unseen")

# SETACL and DELETEACL.
check(bob_reads(inst), "bob reads both again")
_, t = raw(owner, f"SETACL INBOX {BOB} -s")
check(t.startswith("OK") and bob_unseen(inst) == 0, f"SETACL -s keeps 'r' and bob's \\Seen: {t}")
_, t = raw(owner, f"SETACL INBOX {BOB} -r")
_, t2 = raw(owner, f"SETACL INBOX {BOB} +rs")
check(t.startswith("OK") and t2.startswith("OK") and bob_unseen(inst) == 2,
      f"SETACL -r then +rs: bob's \\Seen went ({t}, {t2})")
check(bob_reads(inst), "bob reads both again")
_, t = raw(owner, f"DELETEACL INBOX {BOB}")
_, t2 = raw(owner, f"SETACL INBOX {BOB} lrs")
check(t.startswith("OK") and t2.startswith("OK") and bob_unseen(inst) == 2, f"DELETEACL drops it too ({t}, {t2})")

# "anyone": bob's own grant goes but anyone still reads; then anyone's goes.
check(bob_reads(inst), "bob reads both again")
_, t = raw(owner, "SETACL INBOX anyone lr")
_, t2 = raw(owner, f"DELETEACL INBOX {BOB}")
check(t.startswith("OK") and t2.startswith("OK") and bob_unseen(inst) == 0,
      f"bob still reads through anyone (lr): his \\Seen stays ({t}, {t2})")
_, t = raw(owner, "DELETEACL INBOX anyone")
_, t2 = raw(owner, f"SETACL INBOX {BOB} lrs")
check(t.startswith("OK") and t2.startswith("OK") and bob_unseen(inst) == 2,
      f"removing anyone's read right drops bob's \\Seen ({t}, {t2})")

# Deleting bob's account: a new bob with the same address starts from nothing.
check(bob_reads(inst), "bob reads both again")
inst.cli(["user", "del", BOB])
add_bob(inst)
share(inst, "lrs")
check(bob_unseen(inst) == 2, "a deleted and re-added bob sees both unseen")
u, t = raw(owner, "STATUS INBOX (UNSEEN)")
check(t.startswith("OK") and "UNSEEN 2" in " ".join(u), f"demo's own \\Seen was never touched: {u}")
owner.logout()
finish()
