#!/usr/bin/env python3
"""The web console's benchmark: prints
  1. API requests/s for the session check (GET /api/v1/session with a cookie: the cookie's
     lookup, the account's admin flag, JSON), THREADS keep-alive TLS connections for SECONDS,
     with p50/p99 latency;
  2. page load times in headless Chromium (bench_web_page.mjs): each page's p50/p95 from
     navigation to the page drawn with its API data, cold cache and warm, and beside it the
     server's own time for the page's API calls (Server-Timing), the part spent drawing, and the
     requests made;
  3. the assets: their total size raw and gzip-compressed (as served), and what they add to the
     binary (the .rodata of the embedded object).
Never asserts. usage: bench_web.py [HEARTH_BIN]
  env: BENCH_WEB_SECONDS=5 BENCH_WEB_THREADS=4 BENCH_WEB_ROUNDS=10 BENCH_WEB_PAGES=account,devices,...
       BENCH_WEB_SETTLE_MS=250 (how long the browser driver leaves a page alone before it checks it)
"""
import gzip
import html
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if len(sys.argv) > 1:
    os.environ["HEARTH_BIN"] = os.path.abspath(sys.argv[1])
os.environ.setdefault("HEARTH_BIN", os.path.join(ROOT, "build", "hearth"))
os.environ.setdefault("HEARTH_TEST_NET", "127.0.229")  # not a test's NET: runs beside make test
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "lib"))
from hearth_test import Instance, set_key  # noqa: E402

SECONDS = float(os.environ.get("BENCH_WEB_SECONDS", "5"))
THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))
ROUNDS = int(os.environ.get("BENCH_WEB_ROUNDS", "10"))
NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# The pages measured: every user page and every admin page but the DNS one (it asks live DNS).
PAGES = os.environ.get("BENCH_WEB_PAGES", "account,app-passwords,security,devices,rules,admin-accounts,"
                       "admin-domains,admin-aliases,admin-queue,admin-greylist,admin-decisions,admin-reports,"
                       "admin-logins,admin-server").split(",")

# The machine may be shared: its load says how far the figures are from an idle one's.
print("load average (1, 5, 15 min) at start: %.2f %.2f %.2f" % os.getloadavg())
inst = Instance("demo@example.test", host=1)
set_key(inst.config, "log", "level", '"warn"')  # one log line per request would be measured too
inst.cli(["user", "admin", inst.email, "on"])
inst.start(wait_for="https")
ctx = ssl.create_default_context(cafile=inst.ca_file())
port = inst.port("https")



def conn():
    # Connect to the address, check the certificate against the host name.
    c = http.client.HTTPSConnection(inst.hostname, port, context=ctx, timeout=30)
    c._create_connection = lambda addr, timeout=None, source_address=None: socket.create_connection((inst.addr, port), timeout)
    return c


c = conn()
c.request("POST", "/api/v1/session", json.dumps({"address": inst.email, "password": inst.password}),
          {"Content-Type": "application/json"})
r = c.getresponse()
r.read()
cookie = r.getheader("Set-Cookie").split(";", 1)[0]
c.close()

counts, lat = [0] * THREADS, [[] for _ in range(THREADS)]
stop = time.monotonic() + SECONDS


def worker(i):
    k = conn()
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        k.request("GET", "/api/v1/session", headers={"Cookie": cookie})
        resp = k.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"status {resp.status}")
        lat[i].append(time.perf_counter() - t0)
        counts[i] += 1
    k.close()


ts = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
t0 = time.monotonic()
for t in ts:
    t.start()
for t in ts:
    t.join()
took = time.monotonic() - t0
all_lat = sorted(x for l in lat for x in l)
total = sum(counts)
print(f"session check: {total / took:.0f} requests/s ({total} in {took:.1f} s, {THREADS} keep-alive TLS connections), "
      f"p50 {1000 * all_lat[len(all_lat) // 2]:.2f} ms, p99 {1000 * all_lat[int(len(all_lat) * 0.99)]:.2f} ms")

if os.path.isdir(os.path.join(NPM, "node_modules", "playwright-core")) and os.path.exists(CHROMIUM):
    env = dict(os.environ, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM, HOST_RULES=f"MAP {inst.hostname} {inst.addr}",
               HOME=os.environ.get("HOME", "/tmp"))
    base = f"https://{inst.hostname}:{port}"
    # Chromium does not know the dev CA here: the benchmark accepts the certificate.
    cp = subprocess.run(["node", os.path.join(HERE, "bench_web_page.mjs"), base, inst.email, inst.password, str(ROUNDS),
                         *PAGES], env=env, capture_output=True, text=True, timeout=900)
    try:
        res = json.loads(cp.stdout.strip().splitlines()[-1])
        b = res["baseline"]
        print(f"baseline: a 60-byte file arrives in p50 {b['p50']:.1f} ms, p95 {b['p95']:.1f} ms (browser's clock)")
        print(f"page drawn with its data, headless Chromium, browser's clock, {ROUNDS} loads each "
              f"(cold: cache disabled; warm: a returning browser); server: the page's API time (Server-Timing); "
              f"drawing: from its DOM filled to the frame drawn")
        for k, v in res["pages"].items():
            print(f"  {k:16} cold p50 {v['cold']['p50']:6.1f} p95 {v['cold']['p95']:6.1f} ms | "
                  f"warm p50 {v['warm']['p50']:6.1f} p95 {v['warm']['p95']:6.1f} ms | "
                  f"server p50 {v['server']['p50']:5.2f} p95 {v['server']['p95']:5.2f} ms | "
                  f"drawing p50 {v['draw']['p50'] if v['draw']['p50'] is not None else '-':>4} ms | "
                  f"requests cold {v['requests']['cold']}, warm {v['requests']['warm']}")
    except (ValueError, IndexError, KeyError):
        print("page load: failed:", (cp.stdout + cp.stderr)[-500:])
    if os.environ.get("BENCH_WEB_DEBUG"):
        print(cp.stderr[-3000:])
else:
    print("page load: skipped (needs playwright-core and chromium)")

# The files as the server sends them (the shell, and every file it names: the build's bundled
# app.js, the style sheet, the strings), each asked for gzip-compressed as a browser does.
k = conn()
k.request("GET", "/")
resp = k.getresponse()
shell = resp.read()
named = re.search(rb'<meta name="hearth-assets" content="([^"]*)">', shell)
urls = list(json.loads(html.unescape(named.group(1).decode())).values()) if named else []
raw, packed = len(shell), len(gzip.compress(shell, 6))
for u in urls:
    k.request("GET", u, headers={"Accept-Encoding": "gzip"})
    resp = k.getresponse()
    body = resp.read()
    packed += len(body)
    raw += len(gzip.decompress(body)) if resp.getheader("Content-Encoding") == "gzip" else len(body)
k.close()
print(f"assets as served: {len(urls) + 1} files (the shell and the files it names), {raw / 1024:.1f} KiB raw, "
      f"{packed / 1024:.1f} KiB gzip-compressed in total")
obj = os.path.join(os.path.dirname(os.environ["HEARTH_BIN"]), "web", "CMakeFiles", "hearth_web.dir", "embedded_assets.cpp.o")
if shutil.which("size") and os.path.exists(obj):
    out = subprocess.run(["size", "-A", obj], capture_output=True, text=True).stdout
    rodata = sum(int(l.split()[1]) for l in out.splitlines() if l.startswith(".rodata"))
    print(f"binary: the embedded assets add {rodata / 1024:.1f} KiB (.rodata of embedded_assets.cpp.o)")
    objs = [os.path.join(os.path.dirname(obj), f) for f in os.listdir(os.path.dirname(obj)) if f.endswith(".o")]
    out = subprocess.run(["size", "-t"] + objs, capture_output=True, text=True).stdout.splitlines()
    text, data = (int(x) for x in out[-1].split()[:2]) if out else (0, 0)
    print(f"binary: all of web/ (code and assets, before linking) {(text + data) / 1024:.0f} KiB in {len(objs)} objects")
print("load average (1, 5, 15 min) at end: %.2f %.2f %.2f" % os.getloadavg())
inst.stop()
