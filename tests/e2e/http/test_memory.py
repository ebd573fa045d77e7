"""Memory is given back after a mass disconnect: 3 000 idle TLS connections
raise the server's RSS; 5 s after they all closed most of that growth must be gone (glibc
keeps freed memory in its arenas unless the server trims them)."""
import socket
import ssl
import time

from hearth_test import NET, Instance, check, finish, set_key

N = 3000
inst = Instance(host=1)
set_key(inst.config, "server", "max_connections_per_ip", "0")
inst.start(wait_for="https")
ctx = ssl.create_default_context(cafile=inst.ca_file())


def rss_kb():
    with open(f"/proc/{inst.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


time.sleep(0.5)
before = rss_kb()
conns = []
for i in range(N):
    raw = socket.create_connection((inst.addr, inst.port("https")), 10, source_address=(f"{NET}.{2 + i % 50}", 0))
    conns.append(ctx.wrap_socket(raw, server_hostname=inst.hostname))
time.sleep(1)
held = rss_kb()
growth = held - before
check(growth > 20 * 1024, f"{N} idle TLS connections: RSS {before} -> {held} kB")
for c in conns:
    c.close()
conns = []
time.sleep(5)
after = rss_kb()
kept = (after - before) / growth if growth > 0 else 1
check(kept < 0.5, f"5 s after they closed: RSS {after} kB, {kept:.0%} of the growth kept")
check("memory.trim" in inst.log(), "the trim is logged")
rc, _ = inst.stop()
check(rc == 0, "server stopped cleanly")
finish()
