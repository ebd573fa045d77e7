"""Sieve under abuse, end to end: a 1 MB script and 10 000 nested blocks get clean ManageSieve
errors and the session goes on; scripts that include each other in a loop, and two accounts
that redirect to each other, keep every message exactly once; a flood of 100 messages from one
sender to an account with a vacation reply gets one reply and all 100 messages land."""
import imaplib
import os
import smtplib
import ssl
import tempfile
import time

from hearth_test import Instance, check, finish, set_key
from ms_common import Raw

inst = Instance()
users = {"demo": (inst.email, inst.password)}
for n in ("bob", "carol"):
    addr, pw = f"{n}@{inst.domain}", f"pw-{n}-secret"
    inst.cli(["user", "add", addr, "--password-stdin"], input=pw + "\n")
    users[n] = (addr, pw)
# Room for 10 000 nested blocks (about 120 KB), so that the nesting limit, not the size, answers.
set_key(inst.config, "managesieve", "max_script_size", "262144")
inst.start(wait_for="managesieve")
demo, demo_pw = users["demo"]
bob, bob_pw = users["bob"]
carol, carol_pw = users["carol"]
ctx = ssl.create_default_context(cafile=inst.ca_file())
work = tempfile.mkdtemp(prefix="sieve-robust-")


def put(user, name, text, activate=True):
    path = os.path.join(work, f"{user}-{name}.sieve")
    with open(path, "w") as f:
        f.write(text)
    args = ["sieve", "put", user, name, path] + (["--activate"] if activate else [])
    return inst.cli(args, check_rc=False)


def send(rcpt, subject, sender="alice@remote.test", count=1):
    s = smtplib.SMTP(inst.addr, inst.port("smtp"), local_hostname="client.remote.test", timeout=30)
    s.starttls(context=ctx)
    try:
        for i in range(count):
            body = (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject} {i}\r\n"
                    f"Message-ID: <{time.time_ns()}.{i}@remote.test>\r\n\r\nhello\r\n")
            s.sendmail(sender, [rcpt], body)
    finally:
        s.quit()


def count(user, pw, mailbox="INBOX", search=None):
    m = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx)
    m.login(user, pw)
    typ, data = m.select(f'"{mailbox}"', readonly=True)
    n = int(data[0]) if typ == "OK" else -1
    if search and n > 0:
        typ, hits = m.search(None, *search)
        n = len(hits[0].split())
    m.logout()
    return n


def wait_count(user, pw, n, mailbox="INBOX", search=None, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        c = count(user, pw, mailbox, search)
        if c >= n or time.monotonic() > deadline:
            return c
        time.sleep(0.3)


def queue_empty(timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = inst.cli(["queue", "list"], check_rc=False).stdout
        if not any(l.strip() and "@" in l for l in out.splitlines()):
            return True
        time.sleep(0.3)
    return False


# --- ManageSieve: a 1 MB script, 10 000 nested blocks; the session stays usable.
ms = Raw(inst)
ms.response()
ms.starttls()
check(ms.plain(demo, demo_pw)[-1].startswith("OK"), "ManageSieve login")
big = ('require "fileinto";\n' + 'if header :contains "subject" "x" { fileinto "INBOX"; }\n' * 20000)
big = big[: 1024 * 1024]
big = big[: big.rindex("\n") + 1]
r = ms.cmd(f'PUTSCRIPT "big" {{{len(big.encode())}+}}\r\n{big}')
check(r and r[-1].startswith("NO") and "QUOTA" in r[-1], f"a 1 MB script is refused with a QUOTA code ({r[-1:]})")
r = ms.cmd(f'CHECKSCRIPT {{{len(big.encode())}+}}\r\n{big}')
check(r and r[-1].startswith("NO"), f"CHECKSCRIPT of a 1 MB script answers NO ({r[-1][:120] if r else r})")
nested = "if true {\n" * 10000 + "keep;\n" + "}\n" * 10000
r = ms.cmd(f'CHECKSCRIPT {{{len(nested)}+}}\r\n{nested}')
check(r and r[-1].startswith("NO") and "nested" in r[-1] and "line" in r[-1],
      f"10 000 nested blocks: NO with the line ({r[-1][:160] if r else r})")
r = ms.cmd(f'PUTSCRIPT "nested" {{{len(nested)}+}}\r\n{nested}')
check(r and r[-1].startswith("NO"), "a script nested 10 000 deep is not stored")
r = ms.cmd("LISTSCRIPTS")
check(r and r[-1].startswith("OK") and not any('"big"' in l or '"nested"' in l for l in r),
      "the session goes on and neither script was stored")
ms.cmd("LOGOUT")
ms.close()
path = os.path.join(work, "nested.sieve")
with open(path, "w") as f:
    f.write(nested)
cp = inst.cli(["sieve", "check", path], check_rc=False)
check(cp.returncode == 1 and "nested" in (cp.stdout + cp.stderr), "hearth sieve check reports the nesting, exit 1")

# --- include loop at delivery: the mail is kept in INBOX, once.
check(put(demo, "loopb", 'require "include";\ninclude "loopa";\n', activate=False).returncode == 0, "loopb stored")
check(put(demo, "loopa", 'require "include";\ninclude "loopb";\ndiscard;\n').returncode == 0, "loopa stored, active")
before = count(demo, demo_pw)
send(demo, "include loop")
got = wait_count(demo, demo_pw, before + 2)
time.sleep(0.5)
check(count(demo, demo_pw, search=("SUBJECT", '"include loop"')) == 1,
      "an include loop keeps the message in INBOX exactly once")
check(count(demo, demo_pw) == before + 2, f"with one notice of the error ({got - before} new)")
inst.cli(["sieve", "deactivate", demo], check_rc=False)

# --- two accounts redirecting to each other: one copy, at the second account, nothing bounced.
check(put(bob, "fwd", f'redirect "{carol}";\n').returncode == 0, "bob redirects to carol")
check(put(carol, "fwd", f'redirect "{bob}";\n').returncode == 0, "carol redirects to bob")
send(bob, "ping pong")
check(wait_count(carol, carol_pw, 1, search=("SUBJECT", '"ping pong"')) == 1, "the redirect reached carol")
check(queue_empty(), "the queue drains: no redirect loop")
time.sleep(1)
check(count(carol, carol_pw, search=("SUBJECT", '"ping pong"')) == 1
      and count(bob, bob_pw, search=("SUBJECT", '"ping pong"')) == 0,
      "carol keeps the one copy instead of sending it back to bob")
check(count(bob, bob_pw) == 0 and count(carol, carol_pw) == 1, "no bounce, no duplicate anywhere")
inst.cli(["sieve", "deactivate", carol], check_rc=False)

# --- a vacation flood: 100 messages from carol to bob, one reply, 100 delivered.
check(put(bob, "away", 'require "vacation";\nvacation :days 1 "Away until Monday.";\n').returncode == 0,
      "bob's vacation script stored")
send(bob, "flood", sender=carol, count=100)
check(wait_count(bob, bob_pw, 100, search=("SUBJECT", '"flood"')) == 100, "all 100 messages reached bob")
check(queue_empty(), "the queue drains")
check(wait_count(carol, carol_pw, 2) == 2, "carol has a reply")
time.sleep(1)
replies = count(carol, carol_pw, search=("HEADER", "Auto-Submitted", "auto-replied"))
check(replies == 1, f"exactly one vacation reply for 100 messages ({replies})")

finish()
