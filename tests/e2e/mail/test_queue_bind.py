"""smtp.queue.bind_addresses: A's outgoing SMTP connections leave from the configured source
address (B sees it as the client address in its Received line and its log); an address that
is not on this machine defers the message (kept in the queue, not lost) and is logged.
"""
import re
import subprocess

from hearth_test import HEARTH, NET, check, finish
from queue_lib import find, log_lines, queue_ids, set_key, setup, submit, wait_for

dns, a, b = setup()
source = f"{NET}.7"  # any 127.0.0.0/8 address is local on Linux
set_key(a.config, "smtp.queue", "bind_addresses", f'["{source}"]')
a.cli(["config", "check"])
b.start(wait_for="smtp")
a.start(wait_for="submission")

check(submit(a, "bob@b.test", "bound source") == {}, "submission accepted the message")
msg = wait_for(lambda: find(b, "bob@b.test", "Subject: bound source"))
check(msg is not None, "the message reached bob at B")
if msg:
    received = re.findall(rb"Received: from [^\r\n]*(?:\r\n[ \t][^\r\n]*)*", msg)
    check(any(f"[{source}]".encode() in r for r in received), f"B's Received line names the source {source}")
got = [l for l in log_lines(b, "smtp.in") if "status=delivered" in l]
check(any(re.search(rf"\bip={re.escape(source)}\b", l) for l in got), "B logged the delivery from the source address")
check(not any(re.search(rf"\bip={re.escape(NET)}\.2\b", l) for l in got), "and none from A's listen address")
a.stop()

# An address this machine does not have: the attempt fails before connecting, and the message
# waits in the queue.
set_key(a.config, "smtp.queue", "bind_addresses", '["192.0.2.44"]')
a.start(wait_for="submission")
check(submit(a, "bob@b.test", "unbindable source") == {}, "submission accepted the second message")
deferred = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l])
check(bool(deferred), "A logged the attempt as deferred")
if deferred:
    check("192.0.2.44" in deferred[-1], "naming the source address it could not use: " + deferred[-1][:200])
check(len(queue_ids(a)) == 1, "the message is still in A's queue")
check(find(b, "bob@b.test", "Subject: unbindable source") is None, "and did not reach B")

# Two IPv4 addresses are refused at start-up.
a.stop()
set_key(a.config, "smtp.queue", "bind_addresses", f'["{source}", "{NET}.8"]')
r = subprocess.run([HEARTH, "--config", a.config, "serve"], capture_output=True, text=True, timeout=60)
check(r.returncode != 0, "hearth serve refuses two IPv4 source addresses")
check("one IPv4 and one IPv6" in r.stdout + r.stderr, "with a clear log line")
finish()
