#!/usr/bin/env python3
"""HTTP File Upload benchmark (XEP-0363): hearth and Prosody 0.12's mod_http_file_share, each
started privately on a loopback address with the same certificate (bench_xmpp.py's).

For each file size (1 MB and 100 MB; BENCH_UPLOAD_SIZES=1,100 in MB), one client asks the
server's upload service for a slot over XMPP (slixmpp), PUTs the file over HTTPS and GETs it
back on a new connection (the bytes are compared); repeated BENCH_UPLOAD_ROUNDS times (default
5 for 1 MB, 2 for 100 MB), the best round kept. Prints PUT and GET throughput in MB/s
(10^6 octets per second, TLS included), side by side, and hearth's ratio to Prosody.

usage: bench_upload.py [HEARTH_BIN]   (needs root: Prosody runs as its own user)
"""
import asyncio
import http.client
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_xmpp as bx  # noqa: E402  (certificate, hearth start-up, packages)
from hearth_test import set_key, wait_port  # noqa: E402

try:
    import slixmpp  # noqa: E402
except ImportError:
    # Debian's slixmpp imports only under Debian's Python (`make bench` may run another).
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

logging.basicConfig(level=logging.CRITICAL)
SIZES = [int(x) for x in os.environ.get("BENCH_UPLOAD_SIZES", "1,100").split(",") if x]
ROUNDS = os.environ.get("BENCH_UPLOAD_ROUNDS")
ADDR = {"hearth": "127.0.179.11", "prosody": "127.0.179.12"}
HTTPS_PORT = 443 + bx.OFFSET
XMPP_PORT = 5222 + bx.OFFSET
USER = "u0"

PROSODY_CFG = """pidfile = "{w}/prosody.pid"
data_path = "{w}/data"
log = {{ warn = "{w}/prosody.log"; error = "{w}/prosody.err"; }}
network_backend = "epoll"
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix"; }}
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
c2s_require_encryption = true
allow_registration = false
authentication = "internal_hashed"
certificates = "{w}/certs"
http_max_content_size = 209715200
VirtualHost "{domain}"
Component "upload.{domain}" "http_file_share"
  http_file_share_size_limit = 209715200
  http_file_share_daily_quota = 10737418240
  http_host = "upload.{domain}"
  http_external_url = "https://upload.{domain}:{https}/"
"""


def start_hearth(work, cert, key):
    bx.ADDR["hearth"] = ADDR["hearth"]
    r = subprocess.run([bx.HEARTH, "quickstart", "--dev", f"{USER}@{bx.DOMAIN}", "--dir", work, "--listen",
                        ADDR["hearth"], "--port-offset", str(bx.OFFSET)], capture_output=True, text=True)
    if r.returncode != 0:
        print("hearth quickstart failed:", r.stderr)
        return None
    cfg = os.path.join(work, "hearth.toml")
    text = open(cfg).read()
    import re
    shutil.copy(cert, os.path.join(work, re.search(r'(?m)^cert = "([^"]+)"', text).group(1)))
    shutil.copy(key, os.path.join(work, re.search(r'(?m)^key = "([^"]+)"', text).group(1)))
    set_key(cfg, "xmpp", "upload_max_file_mb", "200")
    set_key(cfg, "xmpp", "upload_quota_mb", "0")
    set_key(cfg, "log", "level", '"warn"')
    subprocess.run([bx.HEARTH, "--config", cfg, "user", "passwd", f"{USER}@{bx.DOMAIN}", "--password-stdin"],
                   input=bx.PASSWORD + "\n", capture_output=True, text=True, check=True)
    log = open(os.path.join(work, "serve.log"), "ab")
    p = subprocess.Popen([bx.HEARTH, "--config", cfg, "serve"], stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(ADDR["hearth"], XMPP_PORT, timeout=60):
        p.kill()
        p.wait()
        print("hearth did not start")
        return None
    return p, lambda: (p.send_signal(signal.SIGTERM), p.wait(timeout=30))


def start_prosody(work, cert, key):
    if not shutil.which("prosody"):
        print("prosody: skipped (package prosody not installed)")
        return None
    os.makedirs(f"{work}/data")
    os.makedirs(f"{work}/certs")
    for name in (bx.DOMAIN, "upload." + bx.DOMAIN):
        shutil.copy(cert, f"{work}/certs/{name}.crt")
        shutil.copy(key, f"{work}/certs/{name}.key")
    cfg = f"{work}/prosody.cfg.lua"
    with open(cfg, "w") as f:
        f.write(PROSODY_CFG.format(w=work, addr=ADDR["prosody"], port=XMPP_PORT, https=HTTPS_PORT, domain=bx.DOMAIN))
    subprocess.run(["chown", "-R", "prosody:prosody", work], check=True)
    os.chmod(work, 0o755)
    as_prosody = ["setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups"]
    r = subprocess.run(as_prosody + ["prosodyctl", "--config", cfg, "register", USER, bx.DOMAIN, bx.PASSWORD],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print("prosodyctl register failed:", (r.stderr + r.stdout).strip()[:300])
        return None
    log = open(f"{work}/fg.out", "ab")
    p = subprocess.Popen(as_prosody + ["prosody", "--config", cfg, "-F"], stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(ADDR["prosody"], XMPP_PORT, timeout=60) or not wait_port(ADDR["prosody"], HTTPS_PORT, timeout=30):
        p.kill()
        p.wait()
        print("prosody did not start")
        return None
    return p, lambda: (p.send_signal(signal.SIGTERM), p.wait(timeout=30))


def https(addr, ca, method, url, body=None, headers=None):
    """(status, body) over a new TLS connection to addr, with the URL's host name as SNI."""
    u = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context(cafile=ca)
    sock = socket.create_connection((addr, u.port or 443), timeout=120)
    conn = http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx, timeout=120)
    conn.sock = ctx.wrap_socket(sock, server_hostname=u.hostname)
    try:
        conn.request(method, u.path + (("?" + u.query) if u.query else ""), body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


async def measure(name, ca, out):
    c = slixmpp.ClientXMPP(f"{USER}@{bx.DOMAIN}/bench", bx.PASSWORD, sasl_mech="PLAIN")
    c.register_plugin("xep_0363")
    c.ca_certs = ca
    started = asyncio.Event()
    c.add_event_handler("session_start", lambda _: started.set())
    c.connect(address=(ADDR[name], XMPP_PORT), force_starttls=True)
    await asyncio.wait_for(started.wait(), 30)
    loop = asyncio.get_event_loop()
    for mb in SIZES:
        data = os.urandom(mb * 1000 * 1000)
        rounds = int(ROUNDS) if ROUNDS else (5 if mb <= 10 else 2)
        best_put = best_get = None
        for i in range(rounds):
            iq = await c.plugin["xep_0363"].request_slot("upload." + bx.DOMAIN, f"f{mb}-{i}.bin", len(data),
                                                         "application/octet-stream", timeout=30)
            slot = iq["http_upload_slot"]
            headers = {h["name"]: h["value"] for h in slot["put"]["headers"]}
            headers["Content-Type"] = "application/octet-stream"
            t0 = time.perf_counter()
            try:
                st, _ = await loop.run_in_executor(None, https, ADDR[name], ca, "PUT", slot["put"]["url"], data, headers)
            except OSError as e:  # a server that stops reading: the 120 s socket timeout
                print(f"{name}: PUT of {mb} MB failed: {type(e).__name__}: {e}")
                break
            t1 = time.perf_counter()
            if st not in (200, 201):
                print(f"{name}: PUT of {mb} MB answered {st}")
                break
            st, back = await loop.run_in_executor(None, https, ADDR[name], ca, "GET", slot["get"]["url"])
            t2 = time.perf_counter()
            if st != 200 or back != data:
                print(f"{name}: GET of {mb} MB answered {st} with {len(back)} octets")
                break
            put, get = len(data) / 1e6 / (t1 - t0), len(data) / 1e6 / (t2 - t1)
            best_put = max(best_put or 0, put)
            best_get = max(best_get or 0, get)
        out[mb] = (best_put, best_get)
        print(f"{name}: {mb} MB  PUT {bx.fmt(best_put)} MB/s  GET {bx.fmt(best_get)} MB/s", flush=True)
    c.disconnect()
    await asyncio.sleep(0.2)


def main():
    if os.geteuid() != 0:
        print("bench_upload.py: needs root (Prosody runs as its own user); skipped")
        return 0
    bx.ensure_packages()
    pki = tempfile.mkdtemp(prefix="bench-upload-pki-")
    ca, cert, key = bx.make_cert(pki)
    results = {}
    for name, start in (("hearth", start_hearth), ("prosody", start_prosody)):
        work = tempfile.mkdtemp(prefix=f"bench-upload-{name}-")
        started = start(work, cert, key)
        if not started:
            shutil.rmtree(work, ignore_errors=True)
            continue
        proc, stop = started
        results[name] = {}
        try:
            asyncio.new_event_loop().run_until_complete(measure(name, ca, results[name]))
        except Exception as e:  # a server that fails is reported, the other still runs
            print(f"{name}: failed: {type(e).__name__}: {e}")
        finally:
            try:
                stop()
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shutil.rmtree(work, ignore_errors=True)
    names = list(results)
    print()
    print(f"{'MB/s':22}" + "".join(f"{n:>12}" for n in names) + ("      hearth/prosody" if len(names) == 2 else ""))
    for mb in SIZES:
        for i, what in enumerate(("PUT", "GET")):
            vals = [results[n].get(mb, (None, None))[i] for n in names]
            line = f"{what + ' ' + str(mb) + ' MB':22}" + "".join(f"{bx.fmt(v):>12}" for v in vals)
            if len(names) == 2 and all(vals):
                line += f"{vals[0] / vals[1]:>19.2f}x"
            print(line)
    shutil.rmtree(pki, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
