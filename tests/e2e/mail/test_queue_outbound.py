"""Outbound delivery between two real hearth instances: mail submitted at A for bob@b.test is
queued, A finds B through the MX record served by knot, delivers over opportunistic STARTTLS,
and the message lands in bob's INBOX at B. Logs carry the queue id; the queue ends empty.
"""
import re

from hearth_test import check, finish
from queue_lib import find, inbox, log_lines, queue_ids, setup, submit, wait_for

dns, a, b = setup()
b.start(wait_for="smtp")
a.start(wait_for="submission")

refused = submit(a, "bob@b.test", "outbound one")
check(refused == {}, "submission accepted the remote recipient")
msg = wait_for(lambda: find(b, "bob@b.test", "Subject: outbound one"))
check(msg is not None, "the message reached bob's INBOX at B")
if msg:
    check(b"Hello from the queue test." in msg, "with its body")
    check(b"Return-Path: <alice@a.test>" in msg, "B added the Return-Path of A's envelope sender")
    check(re.search(rb"Received: from [^\r\n]*mail\.a\.test", msg) is not None or b"a.test" in msg,
          "B's Received line names A")
    check(re.search(rb"with ESMTPS", msg) is not None, "A delivered over STARTTLS (ESMTPS in B's Received)")

accepted = log_lines(a, "queue.accepted")
check(len(accepted) == 1, "A logged queue.accepted once")
qid = re.search(r"\bid=(\S+)", accepted[0]).group(1) if accepted else "?"
out = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if f"id={qid}" in l and "status=delivered" in l])
check(bool(out), "A logged smtp.out status=delivered with the queue id")
if out:
    check("relay=mail.b.test[" in out[0], "relay names B's MX host and address")
    check("to=<bob@b.test>" in out[0], "and the recipient")
check(wait_for(lambda: queue_ids(a) == []), "A's queue is empty afterwards (hearth queue list)")

# Two recipients of the same domain in one message: one connection, one transaction.
import smtplib, ssl  # noqa: E402
ctx = ssl.create_default_context(cafile=a.ca_file())
ctx.check_hostname = False
with smtplib.SMTP(a.addr, a.port("submission"), timeout=30) as s:
    s.starttls(context=ctx)
    s.login(a.email, a.password)
    s.sendmail("alice@a.test", ["bob@b.test", "postmaster@b.test"],
               b"From: <alice@a.test>\r\nTo: <bob@b.test>\r\nSubject: two rcpts\r\n\r\nx\r\n")
check(wait_for(lambda: len([m for m in inbox(b, "bob@b.test") if b"Subject: two rcpts" in m]) == 2),
      "both recipients at B got the message (postmaster@ is an alias of bob)")
finish()
