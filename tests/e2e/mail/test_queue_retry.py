"""B is down: A defers the message (logged with the reason), keeps it in the queue with its last
reply, retries on the short schedule, and delivers once B is back. `hearth queue flush` makes a
deferred message due at once.
"""
import re
import time

from hearth_test import check, finish
from queue_lib import find, log_lines, queue_ids, setup, submit, wait_for

dns, a, b = setup(schedule=(1, 2, 600, 3600))
a.start(wait_for="submission")

check(submit(a, "bob@b.test", "while b is down") == {}, "A accepted the message while B is down")
deferred = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l])
check(bool(deferred), "A logged smtp.out status=deferred")
if deferred:
    check("dsn=4." in deferred[0] and "reply=" in deferred[0], "with a 4.x.x status and the reason")
ids = queue_ids(a)
check(len(ids) == 1, "hearth queue list shows the message")
if ids:
    show = a.cli(["queue", "show", ids[0]]).stdout
    check("bob@b.test" in show and "attempts=" in show, "hearth queue show gives the recipient and its attempts")
    check("Subject: while b is down" in show, "and the message headers")
# Retried on schedule: several attempts while B stays down.
check(wait_for(lambda: len([l for l in log_lines(a, "smtp.out") if "status=deferred" in l]) >= 2),
      "A retried (a second deferred attempt)")

b.start(wait_for="smtp")
if ids:
    a.cli(["queue", "flush", ids[0]])
msg = wait_for(lambda: find(b, "bob@b.test", "Subject: while b is down"), timeout=40)
check(msg is not None, "delivered to bob's INBOX once B is back")
check(bool(wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=delivered" in l])), "A logged the delivery")
check(wait_for(lambda: queue_ids(a) == []), "the queue is empty afterwards")
check(a.cli(["queue", "flush"]).returncode == 0, "flush of an empty queue is fine")
check(a.cli(["queue", "show", "0123456789ABCDEF"], check_rc=False).returncode == 1, "show of an unknown id fails")

# SIGTERM with a deferred message in the queue: a clean exit, the entry kept for the next start.
b.stop()
check(submit(a, "bob@b.test", "kept over a restart") == {}, "a message queued while B is down again")
check(bool(wait_for(lambda: queue_ids(a))), "it waits in the queue")
rc, _ = a.stop()
check(rc == 0, "SIGTERM stops A cleanly with a queued message")
check(len(queue_ids(a)) == 1, "the entry survives the restart")
finish()
