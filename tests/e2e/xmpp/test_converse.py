"""Converse.js (from npm, scripts/packages/xmpp-web.npm) in Debian's headless Chromium, driven
by playwright-core: it logs in to hearth over XMPP over WebSocket (and over BOSH when
`bosh` is given), sends a chat message that a slixmpp client on TCP receives, and shows the
slixmpp client's reply. The page is served the way a household would: from the domain's own
web site, https://DOMAIN on the HTTPS port (here a small server on NET.2 with a certificate
from the dev CA), an origin hearth allows by default. Screenshots are kept in
converse-artifacts/ beside the test's working directory."""
import asyncio
import functools
import http.server
import json
import ssl
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse

from hearth_test import NET, check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import instance_with_users, login, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
DIST = os.path.join(NPM, "node_modules", "converse.js", "dist")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not os.path.isdir(DIST) or not os.path.exists(CHROMIUM) or not shutil.which("certutil"):
    print(f"SKIP: needs {DIST} (scripts/setup.sh installs it), {CHROMIUM} and certutil")
    sys.exit(77)

TRANSPORTS = sys.argv[1:] or ["websocket"]

inst, users = instance_with_users("bob")
PAGE_ADDR, PAGE_PORT = f"{NET}.2", inst.port("https")
ORIGIN = f"https://{inst.domain}:{PAGE_PORT}"
jid, pw = users["demo"]
bob_jid, bob_pw = users["bob"]

# The page and Converse's files, from a throw-away folder.
site = tempfile.mkdtemp(prefix="converse-site-")
os.symlink(DIST, os.path.join(site, "dist"))
shutil.copy(os.path.join(HERE, "converse_page.html"), os.path.join(site, "index.html"))
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
handler.log_message = lambda *a, **k: None
httpd = http.server.ThreadingHTTPServer((PAGE_ADDR, PAGE_PORT), handler)
# The web site's certificate, for DOMAIN, from the dev CA that quickstart made.
tls_dir = os.path.dirname(inst.ca_file())
keys = tempfile.mkdtemp(prefix="converse-keys-")
site_key, site_crt, ext = (os.path.join(keys, n) for n in ("site.key", "site.crt", "ext"))
with open(ext, "w") as f:
    f.write(f"subjectAltName=DNS:{inst.domain}\n")
subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", site_key,
                "-out", site_key + ".csr", "-subj", f"/CN={inst.domain}"], check=True, capture_output=True)
subprocess.run(["openssl", "x509", "-req", "-in", site_key + ".csr", "-CA", inst.ca_file(), "-CAkey",
                os.path.join(tls_dir, "ca.key"), "-CAcreateserial", "-out", site_crt, "-days", "2", "-extfile", ext],
               check=True, capture_output=True)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(site_crt, site_key)
httpd.socket = sctx.wrap_socket(httpd.socket, server_side=True)
threading.Thread(target=httpd.serve_forever, daemon=True).start()

# Chromium trusts the dev CA through a throw-away NSS database in its HOME.
home = tempfile.mkdtemp(prefix="converse-home-")
nss = os.path.join(home, ".pki", "nssdb")
os.makedirs(nss)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "hearth-dev-ca", "-i", inst.ca_file()], check=True)

art_root = os.path.join(os.getcwd(), "converse-artifacts")
base = f"https://{inst.hostname}:{inst.port('https')}"


async def one(transport):
    out = os.path.join(art_root, transport)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    bob = await login(inst, bob_jid, bob_pw)
    settings = {"jid": jid, "password": pw}
    if transport == "websocket":
        settings["websocket_url"] = f"wss://{inst.hostname}:{inst.port('https')}/xmpp-websocket"
    else:
        settings["bosh_service_url"] = f"{base}/http-bind"
    url = f"{ORIGIN}/index.html#" + urllib.parse.quote(json.dumps(settings))
    sent, reply = f"hello from Converse over {transport}", f"slixmpp answers the {transport} browser"
    env = dict(os.environ, HOME=home, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM,
               HOST_RULES=f"MAP {inst.hostname} {inst.addr}, MAP {inst.domain} {PAGE_ADDR}")
    proc = await asyncio.create_subprocess_exec("node", os.path.join(HERE, "converse_client.mjs"), url, bob_jid, sent,
                                                reply, out, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    lines = []
    replied = False
    try:
        while True:
            raw = await asyncio.wait_for(proc.stdout.readline(), 90)
            if not raw:
                break
            line = raw.decode(errors="replace").rstrip()
            lines.append(line)
            if line == "sent" and not replied:
                got = await bob.wait_until(lambda: any(m["body"] == sent for m in bob.messages), timeout=20)
                check(got, f"{transport}: the message typed in Converse reaches slixmpp on TCP")
                if got:
                    m = next(m for m in bob.messages if m["body"] == sent)
                    check(str(m["from"]).startswith(jid + "/"), f"{transport}: from the browser's full JID {m['from']}")
                    bob.send_message(mto=m["from"], mbody=reply, mtype="chat")
                    replied = True
    except asyncio.TimeoutError:
        proc.kill()
    rc = await proc.wait()
    with open(os.path.join(out, "client.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
    steps = [l for l in lines if l.split(" ")[0] in ("connected", "sent", "received", "error:")]
    check(any(l.startswith("connected " + transport) for l in lines), f"{transport}: Converse logged in: {steps}")
    check(rc == 0 and "received" in lines, f"{transport}: Converse shows the reply (rc={rc}): {steps}")
    check(os.path.exists(os.path.join(out, "conversation.png")), f"{transport}: screenshot kept in {out}")
    if rc != 0:
        print("\n".join(lines[-40:]))
    bob.disconnect()


async def scenario():
    for t in TRANSPORTS:
        await one(t)


run(scenario())
log = inst.log()
mechs = sorted({l.split("mech=", 1)[1].split()[0] for l in log.splitlines() if " auth.ok " in l and "mech=" in l})
print(f"info SASL mechanisms used: {mechs}")
check("xmpp.websocket.open" in log if "websocket" in TRANSPORTS else True, "the server logged the WebSocket session")
check("session.error" not in log, "no session ended in an exception")
httpd.shutdown()
shutil.rmtree(home, ignore_errors=True)
finish()
