"""Node A killed with -9 while it delivers: node B finishes its work, and only the messages A
was sending at that moment may arrive twice (README "Several nodes"; RFC 5321 §4.1.1.4: a
message whose 250 the sender never saw may be sent again).

Two nodes on one PostgreSQL database (the cluster pg_cluster.py starts, CTest label `pg`)
and one blob folder. Outbound mail for remote.test goes ([[smtp.route]]) to a Python SMTP sink
on NET.20 (tests/e2e/lib/smtp_sink.py) that stands for the remote MTA, which cannot run here;
each node sends from its own address (smtp.queue.bind_addresses), so the sink knows which node
sent each copy. The claim lease is 6 s (smtp.queue.claim_lease) so that the test does not
wait the default 120 s.

1. Three messages queued on A are delivered (A alone runs): each once.
2. Two more are queued on A; the sink holds its 250 for them, so A is in the middle of
   delivering both. B starts. A gets SIGKILL.
3. Once A's claims run out, B delivers the two; every message is at the sink at least once,
   the three of step 1 exactly once, the queue ends empty.
"""
import os
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import time

import hearth_test as ht
from hearth_test import NET, Instance, check, finish, set_key, wait_for
from pg_cluster import SKIP
from smtp_sink import Sink

if not ht.PG_URL:
    print("needs HEARTH_TEST_PG_URL: run through tests/e2e/lib/pg_cluster.py (ctest -L pg)")
    raise SystemExit(SKIP)

USER = "alice@home.test"
SINK_PORT = 2525
LEASE = 6


a = Instance(USER, host=1)
set_key(a.config, "database", "blobs", f'"{os.path.join(a.dir, "shared-blobs")}"')
set_key(a.config, "smtp.queue", "claim_lease", str(LEASE))
set_key(a.config, "smtp.queue", "first_retry", "1")
with open(a.config, "a") as f:
    f.write(f'\n[[smtp.route]]\ndomains = ["remote.test"]\nrelay = "{NET}.20:{SINK_PORT}"\n')
b_dir = os.path.join(a.dir, "node-b")
os.makedirs(os.path.join(b_dir, "data"))
shutil.copytree(os.path.join(a.dir, "data", "tls"), os.path.join(b_dir, "data", "tls"))
b_config = os.path.join(b_dir, "hearth.toml")
shutil.copy2(a.config, b_config)
set_key(a.config, "smtp.queue", "bind_addresses", f'["{NET}.1"]')
set_key(b_config, "smtp.queue", "bind_addresses", f'["{NET}.2"]')
set_key(b_config, "server", "data_dir", f'"{os.path.join(b_dir, "data")}"')
set_key(b_config, "listen", "addresses", f'["{NET}.2"]')

sink = Sink(f"{NET}.20", SINK_PORT)
b_proc = None
try:
    a.start(wait_for="submission")
    shutil.copy2(os.path.join(a.dir, "data", "auth.secret"), os.path.join(b_dir, "data", "auth.secret"))
    ctx = ssl.create_default_context(cafile=a.ca_file())
    ctx.check_hostname = False

    def queue_on_a(subjects):
        with smtplib.SMTP(a.addr, a.port("submission"), timeout=30) as s:
            s.starttls(context=ctx)
            s.login(USER, a.password)
            for i, subject in enumerate(subjects):
                s.sendmail(USER, [f"carol{subject}@remote.test"],
                           f"From: <{USER}>\r\nTo: <carol{subject}@remote.test>\r\nSubject: {subject}-end\r\n\r\nx\r\n")

    # 1. Delivered by A while it lives: once each.
    before = ["done1", "done2", "done3"]
    queue_on_a(before)
    check(wait_for(lambda: all(sink.count(f"Subject: {s}-end".encode()) >= 1 for s in before)),
          "A delivered the first three messages")

    # 2. Two more, whose 250 the sink holds: A is delivering them when it is killed.
    inflight = ["held1", "held2"]
    sink.hold(lambda data: b"Subject: held" in data)
    queue_on_a(inflight)
    check(wait_for(lambda: len(sink.held) >= len(inflight)),
          f"A is sending both held messages, waiting for the sink's 250 ({len(sink.held)} held)")
    check(all(peer == a.addr for peer, _ in sink.held), "the held copies came from A's address")

    b_log = open(os.path.join(b_dir, "serve.log"), "ab")
    b_proc = subprocess.Popen([ht.HEARTH, "--config", b_config, "serve"], stdout=b_log, stderr=subprocess.STDOUT)
    ht._procs.append(b_proc)
    check(ht.wait_port(f"{NET}.2", a.port("submission"), timeout=30), "node B listens")

    a.stop(sig=signal.SIGKILL)
    check(a.proc.poll() == -signal.SIGKILL, "A was killed with SIGKILL")
    sink.release()  # the remote side answers again; the replies to A's dead sessions are lost

    # 3. B takes A's recipients once their claims have run out and delivers them.
    check(wait_for(lambda: all(f"{NET}.2" in sink.senders(f"Subject: {s}-end".encode()) for s in inflight),
                   timeout=LEASE + 30),
          f"B delivered both messages A was sending ({[sink.senders(f'Subject: {s}-end'.encode()) for s in inflight]})")
    time.sleep(2)  # a further copy, if any, would come from B's next pass within this
    counts = {s: sink.count(f"Subject: {s}-end".encode()) for s in before + inflight}
    print(f"info copies at the sink: {counts}")
    check(all(counts[s] == 1 for s in before), "the messages A had finished arrived exactly once")
    check(all(1 <= counts[s] <= 2 for s in inflight),
          "the messages A was sending arrived at least once, at most once more (A's unanswered copy)")
    ids = ht.run(["--config", b_config, "queue", "list"]).stdout
    check(not re.search(r"^[0-9A-F]{10,}\s", ids, re.M), f"the queue is empty ({ids.strip()!r})")
    b_text = open(os.path.join(b_dir, "serve.log"), errors="replace").read()
    check(re.search(r"smtp\.out .*status=delivered", b_text) is not None, "B's log has the deliveries")

    b_proc.terminate()
    check(b_proc.wait(timeout=30) == 0, "B stops cleanly")
finally:
    sink.stop()
finish()
