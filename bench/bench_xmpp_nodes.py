#!/usr/bin/python3
"""Chat message latency between two nodes on one PostgreSQL vs within one node (README
"Several nodes"): a private PostgreSQL cluster, node A and node B (as tests/e2e/multinode),
slixmpp clients alice and bob on A and carol on B. alice sends a chat message to bob (same
node) and to carol (other node) in turn, one at a time, and the time from send to the
receiver's client seeing it is sampled; prints p50/p99 for each path.

usage: bench_xmpp_nodes.py [HEARTH_BIN] [MESSAGES]   (needs Debian's postgresql and
python3-slixmpp; run under /usr/bin/python3)
"""
import asyncio
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "xmpp"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "multinode"))
os.environ.setdefault("HEARTH_TEST_NET", "127.0.151")
if len(sys.argv) > 1:
    os.environ["HEARTH_BIN"] = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300

import hearth_test as ht  # noqa: E402
from hearth_test import NET, Instance  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402
from xmpp_nodes import Node  # noqa: E402
from xmpp_util import login  # noqa: E402


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


async def measure(sender, receiver, to, n):
    seen = {}
    receiver.add_event_handler("message", lambda m: seen.setdefault(str(m["body"]), time.perf_counter()))
    samples = []
    for i in range(n):
        body = f"{to} {i} {time.perf_counter()}"
        t0 = time.perf_counter()
        sender.send_message(mto=to, mbody=body, mtype="chat")
        deadline = t0 + 10
        while body not in seen and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
        if body in seen:
            samples.append((seen[body] - t0) * 1000)
    return samples


async def main(a, b):
    alice = await login(a, "alice@home.test", a.password, resource="a")
    bob = await login(a, "bob@home.test", "pw-bob-secret", resource="a")
    carol = await login(b, "carol@home.test", "pw-carol-secret", resource="b")
    await measure(alice, bob, "bob@home.test", 20)  # warm-up: connections, prepared statements
    await measure(alice, carol, "carol@home.test", 20)
    same = await measure(alice, bob, "bob@home.test", N)
    cross = await measure(alice, carol, "carol@home.test", N)
    for name, s in (("same node", same), ("across nodes", cross)):
        print(f"{name:13s} messages={len(s)}/{N} p50={statistics.median(s):.2f} ms p99={pct(s, 99):.2f} ms")
    for c in (alice, bob, carol):
        c.disconnect()


pg = PgCluster(listen=f"{NET}.10").start()
try:
    url = f"host={NET}.10 port=5432 user=hearth dbname=postgres"
    ht.PG_URL = ""
    a = Instance("alice@home.test", host=1, extra=["--database-url", url])
    for u in ("bob", "carol"):
        a.cli(["user", "add", f"{u}@home.test", "--password-stdin"], input=f"pw-{u}-secret\n")
    b = Node(a, 2)
    a.start(wait_for="xmpp_client")
    b.start()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(asyncio.wait_for(main(a, b), 600))
    a.stop()
    b.proc.terminate()
    b.proc.wait(timeout=30)
finally:
    pg.stop()
