"""Bounces: B answers 550 5.1.1 for an unknown user, so A returns a DSN (RFC 3464
multipart/report with the remote's reply) to alice's INBOX at A, from the null sender. A
message to a domain that does not answer is deferred, then `hearth queue bounce` returns it at
once; `hearth queue delete` drops one without a DSN.
"""
import re

from hearth_test import check, finish
from queue_lib import find, inbox, log_lines, queue_ids, setup, submit, wait_for

dns, a, b = setup(schedule=(30, 60, 600, 3600))
b.start(wait_for="smtp")
a.start(wait_for="submission")

check(submit(a, "nosuchuser@b.test", "to an unknown user") == {}, "A accepted the message")
dsn = wait_for(lambda: find(a, "alice@a.test", "nosuchuser@b.test"))
check(dsn is not None, "a DSN reached alice's INBOX at A")
if dsn:
    check(b"Return-Path: <>" in dsn, "from the null sender")
    check(b"multipart/report; report-type=delivery-status" in dsn, "a multipart/report")
    check(b"Content-Type: message/delivery-status" in dsn, "with a message/delivery-status part")
    check(b"Final-Recipient: rfc822; nosuchuser@b.test" in dsn, "naming the recipient")
    check(b"Action: failed" in dsn, "Action: failed")
    check(re.search(rb"Status: 5\.\d+\.\d+", dsn) is not None, "a 5.x.x status")
    check(re.search(rb"Diagnostic-Code: smtp; 55\d", dsn) is not None, "B's reply as Diagnostic-Code")
    check(b"Remote-MTA: dns; mail.b.test" in dsn, "B's host as Remote-MTA")
    check(b"Subject: to an unknown user" in dsn, "the original headers are included")
check(bool([l for l in log_lines(a, "smtp.out") if "status=bounced" in l and "nosuchuser@b.test" in l]),
      "A logged smtp.out status=bounced")
check(bool(log_lines(a, "queue.dsn")), "A logged queue.dsn")

# A deferred message, returned by the administrator.
check(submit(a, "x@down.b.test", "to a dead host") == {}, "A accepted mail for a host that refuses connections")
check(bool(wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l and "x@down.b.test" in l])),
      "deferred")
ids = queue_ids(a)
check(len(ids) == 1, "one message in the queue")
if ids:
    a.cli(["queue", "bounce", ids[0]])
    check(wait_for(lambda: find(a, "alice@a.test", "Final-Recipient: rfc822; x@down.b.test")) is not None,
          "hearth queue bounce returned it to alice with a DSN")
check(wait_for(lambda: queue_ids(a) == []), "the queue is empty")

check(submit(a, "y@down.b.test", "to be deleted") == {}, "another message for the dead host")
ids = wait_for(lambda: queue_ids(a))
before = len(inbox(a, "alice@a.test"))
if ids:
    check(a.cli(["queue", "delete", ids[0]]).returncode == 0, "hearth queue delete")
check(queue_ids(a) == [], "the queue is empty after delete")
import time  # noqa: E402
time.sleep(2)
check(len(inbox(a, "alice@a.test")) == before, "delete sends no DSN")
# A DSN is never bounced: mail from <> to an unknown user at B is dropped, not returned.
finish()
