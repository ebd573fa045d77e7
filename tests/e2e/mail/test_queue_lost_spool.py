"""A queue row whose spool file is gone: the entry is bounced once (a DSN to the sender, one
`queue.damaged` line), not retried as fast as the server can, and stays quiet across a
restart. Before, such a row made the agent spin: a core busy and thousands of `queue.error`
lines a second.
"""
import os
import time

from hearth_test import check, finish
from queue_lib import find, log_lines, queue_ids, setup, submit, wait_for


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def errors(inst):
    return [l for l in inst.log().splitlines() if "queue.error" in l or "queue.damaged" in l]


# B is never started: A's attempts are deferred (connection refused) and the row stays.
dns, a, b = setup(schedule=(1, 1, 600, 3600))
a.start(wait_for="submission")
check(submit(a, "bob@b.test", "spool goes missing") == {}, "250 for the queued message")
check(wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l]), "first attempt deferred")
ids = queue_ids(a)
check(len(ids) == 1, "one entry in the queue")
qid = ids[0] if ids else "none"
os.remove(os.path.join(a.dir, "data", "queue", qid + ".eml"))
a.cli(["queue", "flush"])

cpu0 = cpu_seconds(a.proc.pid)
time.sleep(4)
cpu = cpu_seconds(a.proc.pid) - cpu0
errs = errors(a)
print(f"cpu {cpu:.2f} s in 4 s, {len(errs)} error lines", flush=True)
check(cpu < 1.0, f"the server does not spin ({cpu:.2f} s of CPU in 4 s)")
check(len(errs) <= 2, f"a line, not a flood ({len(errs)} queue.error/queue.damaged lines)")
check(len([l for l in errs if "queue.damaged" in l and qid in l]) == 1, "one queue.damaged line names the entry")
check(wait_for(lambda: qid not in queue_ids(a), timeout=10), "the entry left the queue")
dsn = wait_for(lambda: find(a, "alice@a.test", f"X-Hearth-Queue-ID: {qid}"), timeout=15)
check(dsn is not None, "the sender got a DSN for it")
if dsn:
    check(b"Action: failed" in dsn and b"5.3.0" in dsn, "a failure DSN with status 5.3.0")

a.stop()
a.start(wait_for="submission")
time.sleep(3)
check(len(errors(a)) == len(errs), "quiet after a restart")
finish()
