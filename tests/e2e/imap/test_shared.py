"""Shared mailboxes (RFC 4314 ACL, RFC 2342 NAMESPACE, RFC 8440 LIST-MYRIGHTS) over the wire:
demo shares INBOX with bob through `hearth share mailbox`, first with lrs, then lrswipte. Bob
finds it in the other users' namespace, reads it, is refused (NO [NOPERM]) where a right is
missing, cannot reach a mailbox that was never shared, hears of demo's deliveries in IDLE, sees
demo's flag changes through CONDSTORE, and what he appends counts against demo's quota. Then
ImapFlow, a client that reads NAMESPACE, does the same reading."""
import json
import os
import re
import shutil
import subprocess

from hearth_test import check, finish
from imap_common import IMAP_TLS, deliver_subject, heard as read_until, raw_text as raw, start, unbuffered

HERE = os.path.dirname(os.path.abspath(__file__))
BOB = "bob@example.test"
BOB_PW = "bob-shared-secret-1"
OWNER = "demo@example.test"
SHARED = f"shared/{OWNER}/INBOX"


BOB_QUOTA = 200  # bytes: less than the message bob appends to demo's INBOX


def add_bob(inst):
    inst.cli(["user", "add", BOB, "--quota", str(BOB_QUOTA), "--password-stdin"], input=BOB_PW + "\n")


def deliver(inst, subject):
    deliver_subject(inst, subject, OWNER)


def share(inst, rights):
    return inst.cli(["share", "mailbox", f"{OWNER}/INBOX", BOB, rights]).stdout


inst = start(prepare=add_bob)
owner = IMAP_TLS(inst)
owner.login(OWNER, inst.password)
unbuffered(owner)
raw(owner, "CREATE Private")
deliver(inst, "first")

bob = IMAP_TLS(inst)
bob.login(BOB, BOB_PW)
unbuffered(bob)
u, _ = raw(bob, "CAPABILITY")
check(any(" ACL " in l and "RIGHTS=texk" in l and "LIST-MYRIGHTS" in l for l in u), f"ACL, RIGHTS=texk and LIST-MYRIGHTS announced: {u}")

# Nothing shared yet: the owner's mailboxes cannot be reached or seen.
for cmd in (f"SELECT {SHARED}", f"EXAMINE \"shared/{OWNER}/Private\"", f"STATUS {SHARED} (MESSAGES)",
            f"GETACL {SHARED}", f"MYRIGHTS {SHARED}"):
    _, t = raw(bob, cmd)
    check(t.startswith("NO [NONEXISTENT]"), f"without a grant: {cmd} -> {t}")
u, _ = raw(bob, 'LIST "" "*"')
check(not any("shared/" in l for l in u), f"LIST shows nothing shared before a grant: {u}")

out = share(inst, "lrs")
check(f"shared with {BOB} (lrs)" in out, f"hearth share mailbox grants lrs: {out.strip()}")

u, t = raw(bob, "NAMESPACE")
check(u == ['* NAMESPACE (("" "/")) (("shared/" "/")) NIL'], f"NAMESPACE names the other users' namespace: {u}")
u, t = raw(bob, 'LIST "" "*" RETURN (MYRIGHTS)')
check(f'* LIST (\\HasNoChildren) "/" "{SHARED}"' in u, f"LIST shows the shared INBOX: {u}")
check(f'* MYRIGHTS "{SHARED}" lrs' in u, "LIST-MYRIGHTS gives bob's rights")
check(not any("Private" in l for l in u), "the unshared mailbox stays hidden")
_, t = raw(bob, f'EXAMINE "shared/{OWNER}/Private"')
check(t.startswith("NO [NONEXISTENT]"), f"a mailbox not shared stays unreachable while another is: {t}")
u, t = raw(bob, f"SELECT {SHARED}")
check(t.startswith("OK [READ-WRITE]") and "* 1 EXISTS" in u, f"bob selects the shared INBOX: {t} {u}")
u, t = raw(bob, "FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])")
check(any("Subject: first" in l for l in u) or "first" in " ".join(u), f"bob reads the message: {u}")
for cmd in ("STORE 1 +FLAGS (\\Flagged)", "STORE 1 +FLAGS (\\Deleted)", "EXPUNGE", "MOVE 1 INBOX"):
    _, t = raw(bob, cmd)
    check(t.startswith("NO [NOPERM]"), f"with lrs: {cmd} -> {t}")
tag = bob._new_tag()
bob.send(tag + f" APPEND {SHARED} {{4+}}\r\nhi\r\n\r\n".encode())
t = read_until(bob, lambda l: l.startswith(tag.decode()), 10)
check(t and "NO [NOPERM]" in t[-1], f"with lrs: APPEND is NOPERM: {t}")
_, t = raw(bob, f"SETACL {SHARED} {BOB} lrswipkxtea")
check(t.startswith("NO [NOPERM]"), f"bob cannot raise his own rights: {t}")
u, t = raw(bob, "FETCH 1 (FLAGS)")
check(any("\\Seen" in l for l in u), f"the read set \\Seen (right s): {u}")

out = inst.cli(["share", "list", OWNER]).stdout
check(f"mailbox {OWNER}/INBOX {BOB} lrs as {SHARED}" in out, f"hearth share list shows the grant: {out.strip()}")
out = share(inst, "lrswipte")
check(f"shared with {BOB} (lrswipte)" in out, f"hearth share mailbox grants lrswipte: {out.strip()}")
u, t = raw(bob, f"MYRIGHTS {SHARED}")
check(u == [f'* MYRIGHTS "{SHARED}" lrswipte'], f"MYRIGHTS after the change: {u}")
_, t = raw(bob, f"SELECT {SHARED}")
u, t = raw(bob, "STORE 1 +FLAGS (\\Flagged)")
check(t.startswith("OK"), f"with lrswipte: STORE \\Flagged: {t}")
tag = bob._new_tag()
msg = b"Subject: from bob\r\n\r\n" + b"hello " * 60 + b"\r\n"
assert len(msg) > BOB_QUOTA
bob.send(tag + f" APPEND {SHARED} {{{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
t = read_until(bob, lambda l: l.startswith(tag.decode()), 10)
check(t and "OK [APPENDUID" in t[-1], f"with lrswipte: APPEND: {t}")
u, _ = raw(owner, "STATUS INBOX (MESSAGES)")
check(u == ['* STATUS INBOX (MESSAGES 2)'], f"bob's message is in demo's INBOX: {u}")
# Charged to demo (no quota), not to bob, whose quota is smaller than the message: the same
# APPEND into bob's own INBOX is over quota.
bu, _ = raw(bob, 'GETQUOTA ""')
check(bu == [f'* QUOTA "" (STORAGE 0 {BOB_QUOTA // 1024})'], f"bob's own usage is still 0: {bu}")
tag = bob._new_tag()
bob.send(tag + f" APPEND INBOX {{{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
t = read_until(bob, lambda l: l.startswith(tag.decode()), 10)
check(t and "NO [OVERQUOTA]" in t[-1], f"the same message in bob's own INBOX is over his quota: {t}")

# CONDSTORE across users: the owner's flag change reaches bob with its MODSEQ.
u, _ = raw(bob, f"SELECT {SHARED} (CONDSTORE)")
hms = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(u)).group(1))
raw(owner, "SELECT INBOX")
raw(owner, "STORE 2 +FLAGS ($owner-mark)")
u, t = raw(bob, f"FETCH 1:* (FLAGS) (CHANGEDSINCE {hms})")
check(any("$owner-mark" in l and "MODSEQ" in l for l in u), f"CONDSTORE: bob sees the owner's change: {u}")

# IDLE across users: demo's delivery reaches bob's idling session on demo's INBOX.
tag = bob._new_tag()
bob.send(tag + b" IDLE\r\n")
first = bob.readline()
check(first.startswith(b"+"), "bob idles on the shared INBOX")
deliver(inst, "while bob idles")
seen = read_until(bob, lambda l: l == "* 3 EXISTS", 10)
check(seen and seen[-1] == "* 3 EXISTS", f"the owner's delivery reaches bob's IDLE: {seen}")
bob.send(b"DONE\r\n")
end = read_until(bob, lambda l: l.startswith(tag.decode()), 10)
check(end and end[-1].startswith(tag.decode() + " OK"), f"IDLE ends: {end}")

# ImapFlow: a client that takes the other users' namespace from NAMESPACE.
npm = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
have_flow = shutil.which("node") and os.path.isdir(os.path.join(npm, "node_modules", "imapflow"))
check(have_flow, "node and imapflow are installed (scripts/setup.sh, scripts/packages/imap.npm)")
if have_flow:
    p = subprocess.run(["node", os.path.join(HERE, "imapflow_shared.mjs"), inst.addr, str(inst.port("imaps")),
                        inst.hostname, inst.ca_file(), BOB, BOB_PW, SHARED],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, HEARTH_NPM_DIR=npm))
    try:
        flow = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        flow = {"error": p.stdout + p.stderr}
    check("error" not in flow, f"ImapFlow ran: {flow.get('error')}")
    other = (flow.get("namespaces") or {}).get("other") or []
    check(any(n.get("prefix") == "shared/" for n in other), f"ImapFlow finds the other users' namespace: {other}")
    paths = [m["path"] for m in flow.get("list", [])]
    check(SHARED in paths, f"ImapFlow lists the shared INBOX: {paths}")
    check(flow.get("subjects") == ["first", "from bob", "while bob idles"], f"ImapFlow reads it: {flow.get('subjects')}")

# Revoked: gone again.
out = share(inst, "none")
check("no longer shared" in out, f"hearth share mailbox ... none revokes: {out.strip()}")
_, t = raw(bob, f"STATUS {SHARED} (MESSAGES)")
check(t.startswith("NO [NONEXISTENT]"), f"after the revocation the mailbox is gone: {t}")
bob.logout()
owner.logout()
finish()
