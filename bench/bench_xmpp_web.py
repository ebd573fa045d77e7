#!/usr/bin/env python3
"""XMPP over WebSocket benchmark (RFC 7395): hearth's /xmpp-websocket against Prosody 0.12's
mod_websocket (Debian's prosody), side by side, each started privately on a loopback address
with the same ECDSA certificate and accounts made with its own CLI (bench_xmpp.py's set-up).

The client is the same asyncio program for both (a hand-written WebSocket client over TLS):
  1. LOGINS complete logins (TLS, HTTP upgrade, <open/>, SASL SCRAM-SHA-1 as in bench_xmpp.py,
     restart, bind, <close/>), CONCURRENCY at a time: logins/s (the client derives each
     account's salted password once and reuses it, so its own PBKDF2 cost stays out);
  2. two bound sessions, one echoing what the other sends: ROUNDTRIPS chat messages one after
     another, each timed from send to the echo's arrival: p50/p99 round-trip ms.
Prints a table and hearth's ratio to Prosody (> 1: hearth better).

usage: bench_xmpp_web.py [HEARTH_BIN]
  env: BENCH_WEB_LOGINS=400 BENCH_WEB_CONCURRENCY=20 BENCH_WEB_ROUNDTRIPS=500 BENCH_WEB_SERVERS=hearth,prosody
Needs root (Prosody runs as its own user). A missing prosody package skips it.
"""
import asyncio
import base64
import hashlib
import hmac
import os
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_xmpp as bx  # noqa: E402

LOGINS = int(os.environ.get("BENCH_WEB_LOGINS", "400"))
CONCURRENCY = int(os.environ.get("BENCH_WEB_CONCURRENCY", "20"))
ROUNDTRIPS = int(os.environ.get("BENCH_WEB_ROUNDTRIPS", "500"))
SERVERS = os.environ.get("BENCH_WEB_SERVERS", "hearth,prosody").split(",")
HTTPS_PORT = 443 + bx.OFFSET
DOMAIN = bx.DOMAIN


class WS:
    """A minimal RFC 6455 client: text frames, masked."""

    async def connect(self, addr, port, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        self.r, self.w = await asyncio.open_connection(addr, port, ssl=ctx, server_hostname=DOMAIN)
        key = base64.b64encode(os.urandom(16)).decode()
        self.w.write((f"GET /xmpp-websocket HTTP/1.1\r\nHost: {DOMAIN}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: xmpp\r\n\r\n").encode())
        head = await self.r.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head[:100])

    def send(self, text):
        p = text.encode()
        n = len(p)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        k = os.urandom(4)
        self.w.write(head + k + bytes(b ^ k[i % 4] for i, b in enumerate(p)))

    async def recv(self):
        while True:
            b0, b1 = await self.r.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", await self.r.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", await self.r.readexactly(8))[0]
            data = await self.r.readexactly(n)
            if b0 & 0x0F == 1:
                return data.decode()
            if b0 & 0x0F == 8:
                raise EOFError("closed")

    async def until(self, needle):
        while True:
            m = await self.recv()
            if needle in m:
                return m

    def close(self):
        self.w.close()


OPEN = f"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{DOMAIN}' version='1.0'/>"


SALTED = {}  # (user, salt, iterations) -> SaltedPassword


def b64(x):
    return base64.b64encode(x).decode()


async def scram_sha1(ws, user):
    """RFC 5802 SCRAM-SHA-1 without channel binding (gs2 header "n,,")."""
    import re
    cnonce = b64(os.urandom(18))
    first_bare = f"n={user},r={cnonce}"
    ws.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>{b64(('n,,' + first_bare).encode())}</auth>")
    ch = await ws.until("xmpp-sasl")
    m = re.search(r"<challenge[^>]*>([^<]+)</challenge>", ch)
    if not m:
        raise RuntimeError(ch)
    server_first = base64.b64decode(m.group(1)).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    key = (user, attrs["s"], int(attrs["i"]))
    if key not in SALTED:
        SALTED[key] = hashlib.pbkdf2_hmac("sha1", bx.PASSWORD.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    salted = SALTED[key]
    client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
    stored = hashlib.sha1(client_key).digest()
    final_wo = f"c=biws,r={attrs['r']}"
    auth_msg = f"{first_bare},{server_first},{final_wo}".encode()
    sig = hmac.new(stored, auth_msg, hashlib.sha1).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    ws.send(f"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{b64((final_wo + ',p=' + b64(proof)).encode())}</response>")
    res = await ws.until("xmpp-sasl")
    if "<success" not in res:
        raise RuntimeError(res)


async def login(addr, port, cafile, user, resource):
    ws = WS()
    await ws.connect(addr, port, cafile)
    ws.send(OPEN)
    await ws.until("</stream:features>")
    await scram_sha1(ws, user)
    ws.send(OPEN)
    await ws.until("</stream:features>")
    ws.send(f"<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            f"<resource>{resource}</resource></bind></iq>")
    await ws.until("</iq>")
    return ws


async def logins(addr, port, cafile):
    sem = asyncio.Semaphore(CONCURRENCY)
    fails = 0

    async def one(i):
        nonlocal fails
        async with sem:
            try:
                ws = await login(addr, port, cafile, f"u{i % bx.ACCOUNTS}", f"r{i}")
                ws.send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
                ws.close()
            except Exception:  # counted, not fatal
                fails += 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(LOGINS)))
    return (LOGINS - fails) / (time.monotonic() - t0), fails


async def roundtrips(addr, port, cafile):
    a = await login(addr, port, cafile, "u0", "rt-a")
    b = await login(addr, port, cafile, "u1", "rt-b")
    a.send("<presence xmlns='jabber:client'/>")
    b.send("<presence xmlns='jabber:client'/>")

    async def echo():
        while True:
            m = await b.recv()
            if "<body>" in m:
                body = m.split("<body>", 1)[1].split("</body>", 1)[0]
                b.send(f"<message xmlns='jabber:client' to='u0@{DOMAIN}/rt-a' type='chat'><body>{body}</body></message>")

    task = asyncio.ensure_future(echo())
    times = []
    t_all = time.monotonic()
    for i in range(ROUNDTRIPS):
        t0 = time.monotonic()
        a.send(f"<message xmlns='jabber:client' to='u1@{DOMAIN}/rt-b' type='chat'><body>m{i}</body></message>")
        while True:
            m = await a.recv()
            if f"<body>m{i}</body>" in m:
                break
        times.append((time.monotonic() - t0) * 1000)
    total = time.monotonic() - t_all
    task.cancel()
    a.close()
    b.close()
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))], ROUNDTRIPS / total


PROSODY_WEB_CFG = """pidfile = "{w}/prosody.pid"
data_path = "{w}/data"
log = {{ warn = "{w}/prosody.log"; error = "{w}/prosody.err"; }}
network_backend = "epoll"
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "carbons"; "mam"; "smacks"; "posix"; "offline";
  "websocket"; }}
modules_disabled = {{ "s2s"; }}
interfaces = {{ "{addr}" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{}}
s2s_ports = {{}}
http_ports = {{}}
https_ports = {{ {https} }}
https_interfaces = {{ "{addr}" }}
https_certificate = "{w}/certs/{domain}.crt"
https_key = "{w}/certs/{domain}.key"
cross_domain_websocket = true
c2s_require_encryption = true
allow_registration = false
authentication = "internal_hashed"
storage = "sql"
sql = {{ driver = "SQLite3"; database = "prosody.sqlite"; }}
default_archive_policy = true
certificates = "{w}/certs"
VirtualHost "{domain}"
"""


def start_prosody_web(work, cert, key):
    bx.PROSODY_CFG = PROSODY_WEB_CFG.replace("{https}", str(HTTPS_PORT))
    return bx.start_prosody(work, cert, key)


def main():
    if os.geteuid() != 0:
        print("bench_xmpp_web.py: needs root; skipped")
        return 0
    bx.raise_nofile()
    pki = tempfile.mkdtemp(prefix="bench-web-pki-")
    ca, cert, key = bx.make_cert(pki)
    results = {}
    starters = {"hearth": bx.start_hearth, "prosody": start_prosody_web}
    for name in SERVERS:
        work = tempfile.mkdtemp(prefix=f"bench-web-{name}-")
        try:
            started = starters[name](work, cert, key)
            if not started:
                continue
            proc, pid, stop = started
            try:
                addr = bx.ADDR[name]
                if not bx.wait_port(addr, HTTPS_PORT, timeout=30):
                    print(f"{name}: no HTTPS on {addr}:{HTTPS_PORT}")
                    continue
                rate, fails = asyncio.run(logins(addr, HTTPS_PORT, ca))
                p50, p99, rts = asyncio.run(roundtrips(addr, HTTPS_PORT, ca))
                results[name] = {"logins": rate, "p50": p50, "p99": p99, "rt": rts}
                print(f"{name}: {rate:.0f} WebSocket logins/s ({fails} failed), round trip p50 {p50:.2f} ms "
                      f"p99 {p99:.2f} ms, {rts:.0f} round trips/s")
            finally:
                stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    names = [n for n in SERVERS if n in results]
    print()
    print(f"{'':32}" + "".join(f"{n:>12}" for n in names) + ("      hearth/prosody" if len(names) == 2 else ""))
    for label, k, higher in (("WebSocket logins/s", "logins", True), ("round trips/s (sequential)", "rt", True),
                             ("round trip p50 ms", "p50", False), ("round trip p99 ms", "p99", False)):
        line = f"{label:32}" + "".join(f"{results[n][k]:>12.2f}" for n in names)
        if len(names) == 2:
            h, p = results["hearth"][k], results["prosody"][k]
            line += f"{(h / p if higher else p / h):>19.2f}x"
        print(line)
    shutil.rmtree(pki, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
