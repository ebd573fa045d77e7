"""A 40 MB message over SMTP without the server holding it whole: DATA past 1 MiB goes to a
spill file in the data directory, local copies are written to the blob store in pieces, queued
copies are written to the queue's spool in pieces and sent from it in pieces.

A (demo@example.test, with a second account) on NET.1, B (bob@remote.test) on NET.2 as the
remote domain's server (a route sends remote.test to B's port 25), knot on NET.3 for both.
Under the `pg` label the hosts are NET.11-13, so both variants can share the test's network.

1. Port 25: one 40 MB message (lines starting with "." so dot-stuffing crosses the spill
   pieces) to two local accounts and to fwd@example.test, an alias of bob@remote.test (SRS on
   the sender, an ARC set whose body hash reads the spill file (arc_test.cpp holds it equal to
   the one over the whole message), then the queue and the
   outbound client to B). A's peak resident size (VmHWM in /proc/PID/status) from just after
   start to B's receipt must grow by well under the message's size; holding the message (and
   a copy per recipient) grows it by several times the size.
2. Port 587 (STARTTLS, AUTH): the same size to bob@remote.test, from a fresh start of A. The
   hygiene and DKIM signing read the header and stream the body, the queue spools it and the
   outbound client sends it in pieces: the same bound.
Both local copies read back over IMAP are the bytes sent below our trace fields, and B's
copies have the body sent. Run on SQLite (e2e.smtp_stream) and PostgreSQL
(e2e_pg.smtp_stream).
"""
import smtplib
import time

from big_message import inbox, mail_of, remote_pair, submit, vm_hwm_kib
from hearth_test import check, finish, wait_for

BODY_MB = 40
# Both: the spill file's 1 MiB pieces, the bounded start the filters read, one copy's 256 KiB
# pieces on their way to the blob store, the queue's 1 MiB pieces and the outbound client's
# encoded piece (held by several pool threads in turn, each with its own malloc arena), the
# database's page caches: about 9 MiB measured over port 25 (14 on PostgreSQL), 20 over
# submission with TLS on either engine. A queued copy held whole anywhere on its way costs at
# least the message's size (40 MiB) more, which both bounds catch.
LIMIT_MX_MB = 24
LIMIT_SUBMISSION_MB = 32
SECOND = "second@example.test"
SECOND_PW = "pw-second-123456"
REMOTE = "bob@remote.test"
FWD = "fwd@example.test"


def message(sender, to, subject, seed):
    return mail_of(sender, to, subject, seed, BODY_MB)


def fetch_all(inst, user, password):
    imap = inbox(inst, user, password)
    try:
        typ, data = imap.uid("SEARCH", None, "ALL")
        out = []
        for uid in (data[0].split() if typ == "OK" else []):
            typ, d = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            if typ == "OK" and d and isinstance(d[0], tuple):
                out.append(d[0][1])
        return out
    finally:
        imap.logout()


dns, a, b = remote_pair(REMOTE)
a.cli(["config", "check"])
a.cli(["user", "add", SECOND, "--password-stdin"], input=SECOND_PW + "\n")
a.cli(["alias", "add", FWD, REMOTE])
b.start(wait_for="imaps")
a.start(wait_for="imaps")

# 1. Port 25, two local recipients and an alias forwarding to B.
mx_msg = message("sender@elsewhere.test", "<demo@example.test>, <second@example.test>", "over port 25", 1)
hwm0 = vm_hwm_kib(a.proc.pid)
with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.elsewhere.test", timeout=300) as s:
    refused = s.sendmail("sender@elsewhere.test", [a.email, SECOND, FWD], mx_msg)
check(not refused, f"port 25 accepts the {len(mx_msg) >> 20} MiB message for all three ({refused})")
got = []


def arrived(n):
    def ready():
        global got
        got = fetch_all(b, REMOTE, b.password)
        return len(got) == n
    return ready


wait_for(arrived(1), timeout=180)
time.sleep(1)
grew_mx = (vm_hwm_kib(a.proc.pid) - hwm0) / 1024
print(f"info port 25: peak RSS {hwm0 >> 10} -> {vm_hwm_kib(a.proc.pid) >> 10} MiB "
      f"(+{grew_mx:.1f} MiB for {len(mx_msg) >> 20} MiB to two accounts and forwarded)")
check(grew_mx < LIMIT_MX_MB, f"port 25: peak RSS grows by {grew_mx:.1f} MiB, under {LIMIT_MX_MB}")

for user, pw in ((a.email, a.password), (SECOND, SECOND_PW)):
    mine = fetch_all(a, user, pw)
    ok = len(mine) == 1 and mine[0].endswith(mx_msg) and len(mine[0]) - len(mx_msg) < 4096
    check(ok, f"{user}'s copy over IMAP is the bytes sent below the trace fields "
              f"({[len(g) for g in mine]} vs {len(mx_msg)})")
mx_body = mx_msg[mx_msg.index(b"\r\n\r\n") + 4:]
fwd_head = got[0][:got[0].index(b"\r\n\r\n")] if got else b""
check(len(got) == 1 and got[0].endswith(b"\r\n\r\n" + mx_body),
      f"the forwarded copy on B has the body sent ({[len(g) for g in got]})")
check(b"\r\nARC-Seal: i=1;" in b"\r\n" + fwd_head, "and an ARC set from A (its body hash read from the spill file)")
check(b"Return-Path: <SRS0=" in fwd_head, "and an SRS sender")

# 2. Submission to the remote domain, from a fresh peak.
a.stop(timeout=30)
a.start(wait_for="imaps")
sub_msg = message(a.email, f"<{REMOTE}>", "over submission", 2)
hwm1 = vm_hwm_kib(a.proc.pid)
refused = submit(a, a.email, a.password, [REMOTE], sub_msg)
check(not refused, f"submission accepts the {len(sub_msg) >> 20} MiB message for {REMOTE} ({refused})")
wait_for(arrived(2), timeout=180)
body = sub_msg[sub_msg.index(b"\r\n\r\n") + 4:]
mine = [g for g in got if g.endswith(b"\r\n\r\n" + body)]
check(len(mine) == 1, f"{REMOTE}'s copy on B has the body sent ({[len(g) for g in got]})")
check(len(mine) == 1 and b"DKIM-Signature:" in mine[0][:8192], "and A signed it (DKIM-Signature on top)")
time.sleep(1)
grew_sub = (vm_hwm_kib(a.proc.pid) - hwm1) / 1024
print(f"info submission: peak RSS {hwm1 >> 10} -> {vm_hwm_kib(a.proc.pid) >> 10} MiB "
      f"(+{grew_sub:.1f} MiB for {len(sub_msg) >> 20} MiB queued and sent)")
check(grew_sub < LIMIT_SUBMISSION_MB, f"submission: peak RSS grows by {grew_sub:.1f} MiB, under {LIMIT_SUBMISSION_MB}")
finish()
