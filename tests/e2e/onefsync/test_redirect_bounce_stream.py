"""A 40 MB message redirected by Sieve, returned whole in a bounce (RET=FULL) and delivered
locally from the outbound queue, without the server holding it whole; `hearth queue show` of
it without reading it whole.

A (demo@example.test, second@example.test) on NET.1, B (bob@remote.test) on NET.2 as the
remote domain's server (a route sends remote.test to B's port 25), knot on NET.3 for both.
Under the `pg` label the hosts are NET.11-13, so both variants can share the test's network.

1. demo's Sieve script redirects to bob@remote.test and to second@example.test, keeping a
   copy (:copy). A 40 MB message to demo over port 25: the redirects are queued with
   the header section as the script saw it and the body read from the spill file in pieces;
   the copy for second@example.test is a local recipient of the queue, delivered from the
   spool in pieces (written to the blob store as read). A's peak resident size (VmHWM) from
   just after start until both copies arrived grows by well under the message's size.
2. From a fresh start of A: second@example.test submits the same size with RET=FULL to
   nobody@remote.test (B refuses it with 550) and to x@down.test (a route to a closed port:
   deferred, so the message stays queued). The failure DSN carries the whole message, copied
   from the spool into the DSN's spool in pieces, and reaches second's INBOX through the
   queue's local delivery in pieces: the same bound.
3. `hearth queue show ID` of the deferred message prints its header section and reads only
   that: the CLI's own peak resident size stays far below the message's size.
Every copy read back over IMAP holds the body sent. Run on SQLite (e2e.redirect_bounce_stream)
and PostgreSQL (e2e_pg.redirect_bounce_stream).
"""
import os
import smtplib
import subprocess
import sys
import time

from big_message import inbox, mail_of, remote_pair, submit, vm_hwm_kib
from hearth_test import HEARTH, check, finish, wait_for

BODY_MB = 40
# The spill file's pieces, the queue's 1 MiB spool parts (several at once: two spools written
# while the first is read for B and for the local copy), 256 KiB blob pieces and the
# database's page caches and client buffers, held by several pool threads with their own
# malloc arenas: 25 MiB measured for the redirects on SQLite, 31 on PostgreSQL, 7 and 17 for
# the bounce. A copy held whole anywhere costs 40 MiB or more on top (the redirects read whole
# grew it by 169 MiB, the bounce by 124), which the bound catches.
LIMIT_MB = 48
# `hearth queue show`: the program itself (start-up, database) plus a spool part or two.
LIMIT_SHOW_MB = 24
SECOND = "second@example.test"
SECOND_PW = "pw-second-123456"
REMOTE = "bob@remote.test"


def sizes(inst, user, password):
    """{uid: RFC822.SIZE} of the INBOX: cheap to ask again and again."""
    imap = inbox(inst, user, password)
    try:
        typ, data = imap.uid("FETCH", "1:*", "(RFC822.SIZE)")
        out = {}
        for d in data if typ == "OK" else []:
            if isinstance(d, bytes) and b"RFC822.SIZE" in d:
                words = d.replace(b"(", b" ").replace(b")", b" ").split()
                uid = words[words.index(b"UID") + 1]
                out[uid.decode()] = int(words[words.index(b"RFC822.SIZE") + 1])
        return out
    finally:
        imap.logout()


def fetch(inst, user, password, uid):
    imap = inbox(inst, user, password)
    try:
        typ, d = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        return d[0][1] if typ == "OK" and d and isinstance(d[0], tuple) else b""
    finally:
        imap.logout()


def big_ones(inst, user, password, n):
    """The uids of the copies over 40 MB once there are n of them, else None."""
    got = [u for u, s in sizes(inst, user, password).items() if s > BODY_MB << 20]
    return got if len(got) >= n else None


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


dns, a, b = remote_pair(REMOTE)
with open(a.config, "a") as f:
    # Nothing listens on port 9: the message for x@down.test stays queued (deferred).
    f.write(f'\n[[smtp.route]]\ndomains = ["down.test"]\nrelay = "{a.addr}:9"\n')
a.cli(["config", "check"])
a.cli(["user", "add", SECOND, "--password-stdin"], input=SECOND_PW + "\n")
script = os.path.join(os.path.dirname(a.config), "redirect.sieve")
with open(script, "w") as f:
    f.write(f'require "copy";\nredirect :copy "{REMOTE}";\nredirect :copy "{SECOND}";\n')
a.cli(["sieve", "put", a.email, "redirect", script, "--activate"])
b.start(wait_for="imaps")
a.start(wait_for="imaps")

# 1. Sieve redirects of a large message: one to another server, one to a local account.
msg1 = mail_of("sender@elsewhere.test", "<demo@example.test>", "redirected", 1, BODY_MB)
body1 = msg1[msg1.index(b"\r\n\r\n") + 4:]
hwm0 = vm_hwm_kib(a.proc.pid)
with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.elsewhere.test", timeout=300) as s:
    refused = s.sendmail("sender@elsewhere.test", [a.email], msg1)
check(not refused, f"port 25 accepts the {len(msg1) >> 20} MiB message for demo ({refused})")
on_b = wait_for(lambda: big_ones(b, REMOTE, b.password, 1), timeout=240)
on_second = wait_for(lambda: big_ones(a, SECOND, SECOND_PW, 1), timeout=240)
time.sleep(1)
grew1 = (vm_hwm_kib(a.proc.pid) - hwm0) / 1024
print(f"info redirect: peak RSS {hwm0 >> 10} -> {vm_hwm_kib(a.proc.pid) >> 10} MiB "
      f"(+{grew1:.1f} MiB for {len(msg1) >> 20} MiB redirected twice and kept; {load()})", flush=True)
check(grew1 < LIMIT_MB, f"redirect: peak RSS grows by {grew1:.1f} MiB, under {LIMIT_MB}")
got_b = fetch(b, REMOTE, b.password, on_b[0]) if on_b else b""
check(got_b.endswith(b"\r\n\r\n" + body1), f"B's redirected copy has the body sent ({len(got_b)} octets)")
check(b"X-Hearth-Redirected-By: " in got_b[:65536], "marked as redirected by A")
got_second = fetch(a, SECOND, SECOND_PW, on_second[0]) if on_second else b""
check(got_second.endswith(b"\r\n\r\n" + body1),
      f"second's copy, delivered from A's queue, has the body sent ({len(got_second)} octets)")
kept = big_ones(a, a.email, a.password, 1)
check(bool(kept) and fetch(a, a.email, a.password, kept[0]).endswith(msg1), "demo kept its copy (:copy)")

# 2. A bounce with RET=FULL of a large message, delivered to a local sender.
a.stop(timeout=30)
a.start(wait_for="imaps")
msg2 = mail_of(SECOND, "<nobody@remote.test>, <x@down.test>", "returned", 2, BODY_MB)
body2 = msg2[msg2.index(b"\r\n\r\n") + 4:]
before = set(sizes(a, SECOND, SECOND_PW))
hwm1 = vm_hwm_kib(a.proc.pid)
refused = submit(a, SECOND, SECOND_PW, ["nobody@remote.test", "x@down.test"], msg2, mail_options=["RET=FULL"])
check(not refused, f"submission accepts the {len(msg2) >> 20} MiB message with RET=FULL ({refused})")
dsn_uids = wait_for(lambda: [u for u in big_ones(a, SECOND, SECOND_PW, 1) or [] if u not in before], timeout=240)
time.sleep(1)
grew2 = (vm_hwm_kib(a.proc.pid) - hwm1) / 1024
print(f"info bounce: peak RSS {hwm1 >> 10} -> {vm_hwm_kib(a.proc.pid) >> 10} MiB "
      f"(+{grew2:.1f} MiB for {len(msg2) >> 20} MiB sent, returned in full and delivered locally; {load()})",
      flush=True)
check(grew2 < LIMIT_MB, f"bounce: peak RSS grows by {grew2:.1f} MiB, under {LIMIT_MB}")
dsn = fetch(a, SECOND, SECOND_PW, dsn_uids[0]) if dsn_uids else b""
check(b"Return-Path: <>" in dsn[:4096] and b"Final-Recipient: rfc822; nobody@remote.test" in dsn,
      "second's INBOX has the failure DSN for nobody@remote.test")
check(b"Content-Type: message/rfc822" in dsn and (body2 + b"\r\n--") in dsn,
      f"returning the whole message (RET=FULL, {len(dsn)} octets)")

# 3. `hearth queue show` of the deferred 40 MB message.
listed = a.cli(["queue", "list"]).stdout
ids = [line.split()[0] for line in listed.splitlines() if " bytes " in line]
check(len(ids) == 1, f"the message for x@down.test is still queued ({listed.strip()})")
probe = ("import resource, subprocess, sys\n"
         "cp = subprocess.run(sys.argv[1:], capture_output=True)\n"
         "sys.stdout.buffer.write(cp.stdout)\n"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n")
if ids:
    rss = {}
    for what in (["queue", "list"], ["queue", "show", ids[0]]):
        cp = subprocess.run([sys.executable, "-c", probe, HEARTH, "--config", a.config] + what,
                            capture_output=True, timeout=120)
        rss[what[1]] = int(cp.stderr.split()[-1]) / 1024
        out = cp.stdout
    print(f"info queue show: peak RSS {rss['show']:.1f} MiB (queue list {rss['list']:.1f} MiB; {load()})",
          flush=True)
    check(b"Subject: returned\r\n" in out and b"x@down.test" in out,
          "hearth queue show prints the envelope and the header section")
    check(body2[:200] not in out, "and not the body")
    check(rss["show"] < LIMIT_SHOW_MB, f"hearth queue show: peak RSS {rss['show']:.1f} MiB, under {LIMIT_SHOW_MB}")
finish()
