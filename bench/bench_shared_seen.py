#!/usr/bin/python3
"""Per-user \\Seen benchmark: what a sharee's own \\Seen costs on a shared mailbox. The owner's
INBOX holds N messages (`hearth import mbox`), shared with bob (`hearth share mailbox`,
lrswipte); the owner has read a third of them, bob another half. Over one IMAPS session each,
the same commands on the same mailbox: the owner's (flags from the messages alone) against bob's
(his own \\Seen laid over them from the seen store).

usage: bench/bench_shared_seen.py [--hearth build/hearth] [--messages 2000] [--rounds 30]

Prints p50/p99 in ms per command and user. Never part of `make test`.
"""
import argparse
import imaplib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--hearth", default="build/hearth")
ap.add_argument("--messages", type=int, default=2000)
ap.add_argument("--rounds", type=int, default=30)
a = ap.parse_args()
work = tempfile.mkdtemp(prefix="bench-shared-seen-")
procs = []
OFFSET = 33000


def measure(m, cmd, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        typ, _ = m._simple_command(*cmd) if isinstance(cmd, tuple) else m.uid(*cmd)
        times.append((time.perf_counter() - t) * 1000)
        if typ != "OK":
            raise RuntimeError(f"{cmd}: {typ}")
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


try:
    d = os.path.join(work, "h")
    owner, bob, bob_pw = "bench@example.test", "bob@example.test", "bob-bench-password-1"
    cp = subprocess.run([a.hearth, "quickstart", "--dev", owner, "--dir", d, "--listen", "127.0.0.1", "--port-offset",
                         str(OFFSET)], capture_output=True, text=True, check=True)
    pw = next(l.split(":", 1)[1].strip() for l in cp.stdout.splitlines() if l.strip().lower().startswith("password:"))
    cfg = os.path.join(d, "hearth.toml")

    def cli(*args, stdin=None):
        subprocess.run([a.hearth, "--config", cfg, *args], input=stdin, capture_output=True, text=True, check=True)

    cli("user", "add", bob, "--password-stdin", stdin=bob_pw + "\n")
    mbox = os.path.join(work, "in.mbox")
    with open(mbox, "w") as f:
        for i in range(a.messages):
            f.write(f"From sender@remote.test Mon Dec  7 00:00:00 2026\nFrom: sender@remote.test\nTo: {owner}\n"
                    f"Subject: message {i}\nMessage-ID: <m{i}@remote.test>\n\nbody {i}\n\n")
    cli("import", "mbox", mbox, "--user", owner)
    cli("share", "mailbox", f"{owner}/INBOX", bob, "lrswipte")
    hp = subprocess.Popen([a.hearth, "--config", cfg, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(hp)
    ctx = ssl.create_default_context(cafile=os.path.join(d, "data", "tls", "ca.crt"))
    ctx.check_hostname = False
    port = OFFSET + 993
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)

    def session(user, password, mailbox):
        m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=60)
        m.login(user, password)
        m.select(mailbox)
        return m

    mo = session(owner, pw, "INBOX")
    mb = session(bob, bob_pw, f'"shared/{owner}/INBOX"')
    n = a.messages
    mo.store(f"1:{n // 3}", "+FLAGS.SILENT", "(\\Seen)")
    mb.store(f"{n // 4}:{n // 4 + n // 2}", "+FLAGS.SILENT", "(\\Seen)")
    unseen = {}
    for who, m in (("owner", mo), ("bob", mb)):
        typ, data = m.search(None, "UNSEEN")
        unseen[who] = len(data[0].split())
    print(f"{n} messages; unseen for the owner {unseen['owner']}, for bob {unseen['bob']}", flush=True)
    commands = [("FETCH 1:* (FLAGS)", ("FETCH", "1:*", "(FLAGS)")), ("FETCH 1 (FLAGS)", ("FETCH", "1", "(FLAGS)")),
                ("SEARCH UNSEEN", ("SEARCH", "UNSEEN")), ("STORE 5 +FLAGS (\\Seen)", ("STORE", "5", "+FLAGS", "(\\Seen)"))]
    print(f"\n{a.rounds} rounds each, p50 / p99 in ms:")
    for name, cmd in commands:
        own = measure(mo, cmd, a.rounds)
        shared = measure(mb, cmd, a.rounds)
        print(f"  {name:26s} owner {own[0]:7.2f} / {own[1]:7.2f}   sharee {shared[0]:7.2f} / {shared[1]:7.2f}")
    for name, m, box in (("owner", mo, "INBOX"), ("sharee", mb, f'"shared/{owner}/INBOX"')):
        t = time.perf_counter()
        for _ in range(a.rounds):
            m.status(box, "(UNSEEN)")
        print(f"  STATUS (UNSEEN) {name:10s} mean {(time.perf_counter() - t) * 1000 / a.rounds:7.2f}")
    mo.logout()
    mb.logout()
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(work, True)
