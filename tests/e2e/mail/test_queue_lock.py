"""One `hearth serve` per data directory. A second `serve` started on A's data directory while
a submission load runs must refuse at once, naming the PID of the running server, and must
touch nothing: every message A acknowledged is delivered to B exactly once. The
administrative commands that write keep working beside the running server.
"""
import subprocess
import threading
import time

from hearth_test import HEARTH, check, finish
from queue_lib import inbox, queue_ids, setup, submit, wait_for

WORKERS = 3
PER_WORKER = 40

dns, a, b = setup(schedule=(1, 2, 600, 3600))
b.start(wait_for="smtp")
a.start(wait_for="submission")

acked, lock = [], threading.Lock()


def load(worker):
    for n in range(PER_WORKER):
        subject = f"lock-load-{worker}-{n}"
        try:
            if submit(a, "bob@b.test", subject) == {}:
                with lock:
                    acked.append(subject)
        except Exception as e:  # noqa: BLE001 (counted: only acknowledged messages must arrive)
            print(f"note: {subject}: {e}", flush=True)


threads = [threading.Thread(target=load, args=(w,)) for w in range(WORKERS)]
for t in threads:
    t.start()

second_runs = []
for attempt in range(6):
    time.sleep(0.4)
    p = subprocess.Popen([HEARTH, "--config", a.config, "serve"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    second_runs.append((p.returncode, err))
for t in threads:
    t.join(timeout=240)

check(all(rc == 1 for rc, _ in second_runs), f"every second serve exits 1 ({[rc for rc, _ in second_runs]})")
check(all(f"pid {a.proc.pid}" in err and "in use" in err for _, err in second_runs),
      f"and names the running server's PID {a.proc.pid}: {second_runs[0][1].strip()!r}")
check(a.proc.poll() is None, "the first server is still running")

# Administrative commands that write work beside the server.
cp = a.cli(["user", "add", "carol@a.test", "--password-stdin"], input="carol-password-1\n", check_rc=False)
check(cp.returncode == 0, f"hearth user add beside the server ({cp.stderr.strip()})")
cp = a.cli(["queue", "flush"], check_rc=False)
check(cp.returncode == 0, f"hearth queue flush beside the server ({cp.stderr.strip()})")

print(f"acknowledged {len(acked)} of {WORKERS * PER_WORKER}", flush=True)
check(len(acked) >= WORKERS * PER_WORKER // 2, "most of the load was acknowledged")


def delivered():
    seen = {}
    for m in inbox(b, "bob@b.test"):
        for s in acked:
            if f"Subject: {s}\r\n".encode() in m:
                seen[s] = seen.get(s, 0) + 1
    return seen


seen = wait_for(lambda: (lambda d: d if len(d) == len(acked) else None)(delivered()), timeout=90) or delivered()
lost = [s for s in acked if s not in seen]
dups = [s for s, n in seen.items() if n > 1]
check(not lost, f"every acknowledged message reached B ({len(seen)} of {len(acked)}; lost {lost[:5]})")
check(not dups, f"none twice ({dups[:5]})")
check(wait_for(lambda: queue_ids(a) == [], timeout=30), "A's queue is empty")
check("queue.orphans_removed" not in a.log(), "nothing was taken for an orphan")
finish()
