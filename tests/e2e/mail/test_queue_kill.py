"""Durability: kill -9 of A right after the client got 250 for a queued message loses nothing;
the restarted A still lists it and delivers it once B is up.
"""
import signal

from hearth_test import check, finish
from queue_lib import find, queue_ids, setup, submit, wait_for

dns, a, b = setup(schedule=(1, 1, 600, 3600))
a.start(wait_for="submission")
check(submit(a, "bob@b.test", "survives kill") == {}, "250 for the queued message")
a.stop(sig=signal.SIGKILL)
ids = queue_ids(a)
check(len(ids) == 1, "after kill -9 the message is in the queue (hearth queue list)")
b.start(wait_for="smtp")
a.start(wait_for="submission")
check(wait_for(lambda: find(b, "bob@b.test", "Subject: survives kill"), timeout=40) is not None,
      "the restarted A delivered it to B")
check(wait_for(lambda: queue_ids(a) == []), "and the queue is empty")
finish()
