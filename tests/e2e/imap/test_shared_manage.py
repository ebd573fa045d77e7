"""Shared mailboxes: a sharee manages folders in the owner's namespace (RFC 4314 §4). demo
shares "Family" with bob through `hearth share mailbox`; with "k" on it bob creates a child
(which starts with Family's grants, so he sees it), with "x" he renames and deletes it; without
those rights he gets NO [NOPERM]. What bob puts there is demo's: in demo's mailbox list, on
demo's quota (bob's own quota is smaller than the message), and the grants follow a RENAME and
go with a DELETE (`hearth share list`)."""
from hearth_test import check, finish
from imap_common import IMAP_TLS, raw_text as raw, start, unbuffered, heard as read_until

BOB = "bob@example.test"
BOB_PW = "bob-shared-secret-2"
OWNER = "demo@example.test"
HOME = f"shared/{OWNER}/"
BOB_QUOTA = 200  # bytes: less than the message bob appends to demo's folder


def add_bob(inst):
    inst.cli(["user", "add", BOB, "--quota", str(BOB_QUOTA), "--password-stdin"], input=BOB_PW + "\n")


def share(inst, mailbox, rights):
    return inst.cli(["share", "mailbox", f"{OWNER}/{mailbox}", BOB, rights]).stdout


def grants(inst):
    return inst.cli(["share", "list", OWNER]).stdout


def names(m, pattern):
    u, _ = raw(m, f'LIST "" "{pattern}"')
    return [l.rsplit(' "/" ', 1)[-1].strip('"') for l in u if l.startswith("* LIST")]


inst = start(prepare=add_bob)
owner = IMAP_TLS(inst)
owner.login(OWNER, inst.password)
unbuffered(owner)
_, t = raw(owner, "CREATE Family")
check(t.startswith("OK"), f"demo creates Family: {t}")
raw(owner, "CREATE Private")

bob = IMAP_TLS(inst)
bob.login(BOB, BOB_PW)
unbuffered(bob)

out = share(inst, "Family", "lr")
check(f"shared with {BOB} (lr)" in out, f"Family shared with lr: {out.strip()}")
# Without "k" on the parent, and at the top of demo's namespace, no CREATE; a folder bob cannot
# see stays unseen.
for cmd, code in ((f'CREATE "{HOME}Family/Trips"', "NO [NOPERM]"), (f'CREATE "{HOME}Trips"', "NO [NOPERM]"),
                  (f'CREATE "{HOME}Private/Trips"', "NO [NONEXISTENT]")):
    _, t = raw(bob, cmd)
    check(t.startswith(code), f"with lr: {cmd} -> {t}")
check("Family/Trips" not in names(owner, "*"), "nothing was created in demo's store")

out = share(inst, "Family", "lrswipk")
check(f"shared with {BOB} (lrswipk)" in out, f"Family shared with lrswipk: {out.strip()}")
_, t = raw(bob, f'CREATE "{HOME}Family/Trips/"')
check(t.startswith("OK [MAILBOXID"), f"with k on Family: CREATE -> {t}")
check("Family/Trips" in names(owner, "*"), f"the folder is demo's: {names(owner, '*')}")
check(f"{HOME}Family/Trips" in names(bob, "shared/*"), f"bob sees what he created: {names(bob, 'shared/*')}")
check(not any("Trips" in n for n in names(bob, "%")), "and not among his own mailboxes")
check(f"mailbox {OWNER}/Family/Trips {BOB} lrswipk" in grants(inst),
      f"the new folder started with Family's grants: {grants(inst)}")

# Charged to demo: the message is larger than bob's whole quota.
msg = b"Subject: trip plans\r\n\r\n" + b"the mountains " * 30 + b"\r\n"
assert len(msg) > BOB_QUOTA
tag = bob._new_tag()
bob.send(tag + f' APPEND "{HOME}Family/Trips" {{{len(msg)}+}}\r\n'.encode() + msg + b"\r\n")
t = read_until(bob, lambda l: l.startswith(tag.decode()), 10)
check(t and "OK [APPENDUID" in t[-1], f"bob appends to the folder he created: {t}")
u, _ = raw(owner, 'STATUS "Family/Trips" (MESSAGES SIZE)')
check(u == [f'* STATUS "Family/Trips" (MESSAGES 1 SIZE {len(msg)})'], f"in demo's folder: {u}")
u, _ = raw(bob, 'GETQUOTA ""')
check(u == [f'* QUOTA "" (STORAGE 0 {BOB_QUOTA // 1024})'], f"bob's own usage is still 0: {u}")

# RENAME and DELETE need "x" on the folder itself.
for cmd in (f'RENAME "{HOME}Family/Trips" "{HOME}Family/Travel"', f'DELETE "{HOME}Family/Trips"'):
    _, t = raw(bob, cmd)
    check(t.startswith("NO [NOPERM]"), f"without x: {cmd} -> {t}")
out = share(inst, "Family/Trips", "lrswipkx")
check(f"shared with {BOB} (lrswipkx)" in out, f"Family/Trips shared with x: {out.strip()}")
_, t = raw(bob, f'RENAME "{HOME}Family/Trips" "{HOME}Travel"')
check(t.startswith("NO [NOPERM]"), f"no k at the top of demo's namespace: RENAME -> {t}")
_, t = raw(bob, f'RENAME "{HOME}Family/Trips" Trips')
check(t.startswith("NO [CANNOT]"), f"a folder does not move to bob's account: {t}")
_, t = raw(bob, f'RENAME "{HOME}Family/Trips" "{HOME}Family/Travel"')
check(t.startswith("OK"), f"with x: RENAME -> {t}")
check("Family/Travel" in names(owner, "*") and "Family/Trips" not in names(owner, "*"),
      f"demo's folder is renamed: {names(owner, '*')}")
listed = grants(inst)
check(f"mailbox {OWNER}/Family/Travel {BOB} lrswipkx" in listed and "Family/Trips" not in listed,
      f"the grant followed the rename: {listed}")
u, _ = raw(bob, f'STATUS "{HOME}Family/Travel" (MESSAGES)')
check(u == [f'* STATUS "{HOME}Family/Travel" (MESSAGES 1)'], f"bob reaches it by its new name: {u}")

_, t = raw(bob, f'DELETE "{HOME}Family/Travel"')
check(t.startswith("OK"), f"with x: DELETE -> {t}")
check("Family/Travel" not in names(owner, "*"), f"demo's folder is gone: {names(owner, '*')}")
check("Family/Travel" not in grants(inst), f"its grant went with it: {grants(inst)}")
_, t = raw(owner, "CREATE Family/Travel")
listed = grants(inst)
check(f"mailbox {OWNER}/Family/Travel {BOB} lrswipk " in listed,
      f"a new folder of that name starts with Family's grants, not the deleted one's x: {listed}")
bob.logout()
owner.logout()
finish()
