"""A node stopped with SIGTERM hands its outbound work over: the recipient it was delivering
is released (no other node has to wait for the lease), and the message stays queued.

A (alice@a.test, NET.2) queues a message for bob@b.test, whose MX (NET.3) is a tarpit written
here: it accepts the connection and never greets, so A's attempt is in flight (its claim held)
when A gets SIGTERM. One node on SQLite: the same claim path as on PostgreSQL.
"""
import os
import re
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mail"))
from hearth_test import NET, check, finish  # noqa: E402
from queue_lib import queue_ids, setup, submit, wait_for  # noqa: E402

dns, a, b = setup(schedule=(1, 1, 600, 3600))

# The tarpit stands where B's SMTP port would be; B itself never starts.
tarpit = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tarpit.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tarpit.bind((f"{NET}.3", b.port("smtp")))
tarpit.listen(8)
tarpit.settimeout(1.0)
held = []
stop = threading.Event()


def hold():
    while not stop.is_set() and len(held) < 8:
        try:
            conn, _ = tarpit.accept()
            held.append(conn)
        except socket.timeout:
            continue


t = threading.Thread(target=hold, daemon=True)
t.start()

a.start(wait_for="submission")
node_file = os.path.join(a.dir, "data", "node-id")
check(os.path.exists(node_file), "the node made its id in DATA_DIR/node-id")
node = open(node_file).read().strip()
check(re.search(rf"queue\.start .*node={re.escape(node)}", a.log()) is not None, "queue.start names the node")

check(submit(a, "bob@b.test", "handed over") == {}, "250 for the queued message")
check(wait_for(lambda: len(held) >= 1, timeout=30), "A is connected to the tarpit: the attempt is in flight")

rc, _ = a.stop(sig=signal.SIGTERM, timeout=30)
check(rc == 0, f"A stopped cleanly on SIGTERM (rc={rc})")
check(re.search(rf"queue\.released node={re.escape(node)} recipients=1\b", a.log()) is not None,
      "at stop A released its claim on the recipient it was delivering")
check(len(queue_ids(a)) == 1, "the message is still queued")

stop.set()
t.join(timeout=5)
for c in held:
    c.close()
tarpit.close()
finish()
