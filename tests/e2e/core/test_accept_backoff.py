"""Out of file descriptors (EMFILE), a listener backs off instead of retrying accept() as fast
as it may: 0.1 s doubling to 5 s, one `accept.error` line per pause, and it serves again once
descriptors are free. The server's descriptor limit is lowered from outside (prlimit) to just
above what it holds, then clients queue up in the listen backlog.
"""
import os
import resource
import socket
import time

from hearth_test import Instance, check, finish

a = Instance("demo@example.test", host=1)
a.start()
pid = a.proc.pid
soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
held = len(os.listdir(f"/proc/{pid}/fd"))
resource.prlimit(pid, resource.RLIMIT_NOFILE, (held + 3, hard))

clients = []
for _ in range(12):
    s = socket.create_connection((a.addr, a.port("smtp")), timeout=5)
    clients.append(s)
time.sleep(4.0)
lines = [l for l in a.log().splitlines() if "accept.error" in l]
print(f"{len(lines)} accept.error lines in 4 s", *lines[:3], sep="\n", flush=True)
check(lines, "descriptors ran out (accept.error logged)")
# Each listener backs off on its own; the clients queue on the SMTP port, but another listener
# may hold a connection too (the start-up probe), so the count is the SMTP listener's.
smtp_lines = [l for l in lines if "service=smtp " in l]
check(len(smtp_lines) <= 8, f"backs off: {len(smtp_lines)} SMTP lines in 4 s (a fixed 0.2 s pause makes about 20)")
check(any("retry_in_ms=" in l for l in lines), "each line says when it retries")
check(a.proc.poll() is None, "the server is still running")

resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
for s in clients:
    s.close()
# The longest pause is 5 s: the listener serves again within it.
deadline = time.monotonic() + 8
greeting = b""
while time.monotonic() < deadline and not greeting.startswith(b"220"):
    try:
        with socket.create_connection((a.addr, a.port("smtp")), timeout=6) as s:
            greeting = s.recv(100)
    except OSError:
        time.sleep(0.2)
check(greeting.startswith(b"220"), f"serves again once descriptors are free ({greeting[:40]!r})")
rc, _ = a.stop()
check(rc == 0, "stops cleanly")
finish()
