"""BOSH (XEP-0124/0206) on /http-bind, driven by hand over HTTPS: session creation with the
stream features, SASL, restart, bind, messages both ways with a slixmpp client on TCP (the
held request answered when a message comes), a request sent again after its connection
dropped gets the same answer (nothing lost), a rid outside the window ends the session with
item-not-found, a page from an origin not in xmpp.web_origins is refused, an oversize body gets 413 and a body
trickled in (slowloris) is cut off by the HTTP limits; the server serves new sessions after."""
import asyncio
import base64
import http.client
import os
import re
import socket
import ssl
import sys
import time

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import instance_with_users, login, run, set_key  # noqa: E402


CHAT_SITE = "https://chat.example.org"


def configure(i):
    set_key(i.config, "http", "body_timeout", "3")
    set_key(i.config, "http", "header_timeout", "5")
    # A chat page on another site: the list replaces the default (the server's own origins).
    set_key(i.config, "xmpp", "web_origins", f'["{CHAT_SITE}"]')


inst, users = instance_with_users("bob", configure=configure)
jid, pw = users["demo"]
bob_jid, bob_pw = users["bob"]
ctx = ssl.create_default_context(cafile=inst.ca_file())
NS = "xmlns='http://jabber.org/protocol/httpbind'"


def post(body, origin=None, timeout=70):
    """POSTs a body on a new connection; returns (status, headers, text)."""
    c = http.client.HTTPSConnection(inst.addr, inst.port("https"), context=ctx, timeout=timeout)
    c.sock = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("https")), timeout=timeout),
                             server_hostname=inst.hostname)
    h = {"Host": inst.hostname, "Content-Type": "text/xml; charset=utf-8"}
    if origin:
        h["Origin"] = origin
    c.request("POST", "/http-bind", body=body.encode(), headers=h)
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read().decode())
    c.close()
    return out


class Bosh:
    def __init__(self, rid=1000):
        self.rid = rid
        st, _, body = post(f"<body {NS} xmlns:xmpp='urn:xmpp:xbosh' rid='{self.rid}' to='{inst.domain}' wait='10' "
                           f"hold='1' ver='1.6' xmpp:version='1.0'/>")
        self.created = body
        m = re.search(r"sid='([^']+)'", body)
        self.sid = m.group(1) if m else None

    def send(self, payload="", extra="", timeout=70):
        self.rid += 1
        return post(f"<body {NS} rid='{self.rid}' sid='{self.sid}' {extra}>{payload}</body>", timeout=timeout)[2]

    def poll_until(self, needle, tries=6):
        out = ""
        for _ in range(tries):
            out += self.send()
            if needle in out:
                break
        return out


b = Bosh()
check(b.sid and "<stream:features" in b.created and "<mechanism>PLAIN</mechanism>" in b.created
      and "requests='2'" in b.created and "secure='true'" in b.created,
      f"session created, features in the first answer: {b.created[:400]}")
cred = base64.b64encode(f"\0demo\0{pw}".encode()).decode()
out = b.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
check("<success" in out, f"SASL PLAIN over BOSH: {out[-200:]}")
out = b.send(extra=f"xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true' to='{inst.domain}'")
check("urn:ietf:params:xml:ns:xmpp-bind" in out, f"restart gives the bind feature: {out[-300:]}")
out = b.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
             "<resource>bosh</resource></bind></iq>")
m = re.search(r"<jid>([^<]+)</jid>", out)
full = m.group(1) if m else ""
check(full == f"{jid}/bosh", f"bound over BOSH: {out[-200:]}")
b.send("<presence xmlns='jabber:client'/>")


async def scenario():
    bob = await login(inst, bob_jid, bob_pw)
    loop = asyncio.get_event_loop()
    await loop.run_in_executor(None, lambda: b.send(
        f"<message xmlns='jabber:client' to='{bob_jid}' type='chat'><body>over BOSH</body></message>"))
    got = await bob.wait_until(lambda: any(m["body"] == "over BOSH" for m in bob.messages))
    check(got, "a message sent over BOSH reaches slixmpp on TCP")
    # A held request is answered when the reply comes.
    t0 = time.monotonic()
    held = loop.run_in_executor(None, lambda: b.poll_until("back over BOSH"))
    await asyncio.sleep(1.0)
    bob.send_message(mto=full, mbody="back over BOSH", mtype="chat")
    out = await held
    check("back over BOSH" in out and "<message xmlns='jabber:client'" in out and time.monotonic() - t0 < 8,
          f"the reply arrives on the held request: {out[-300:]}")

    # A request whose connection drops: the server answers it into the void; the client sends
    # the same rid again on a new connection and gets the same answer.
    b.rid += 1
    s = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("https"))), server_hostname=inst.hostname)
    body = f"<body {NS} rid='{b.rid}' sid='{b.sid}'/>".encode()
    s.sendall(f"POST /http-bind HTTP/1.1\r\nHost: {inst.hostname}\r\nContent-Type: text/xml\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await asyncio.sleep(0.5)
    s.close()
    bob.send_message(mto=full, mbody="while the request dropped", mtype="chat")
    await asyncio.sleep(1.0)
    again = await loop.run_in_executor(None, lambda: post(f"<body {NS} rid='{b.rid}' sid='{b.sid}'/>")[2])
    if "while the request dropped" not in again:  # not answered before the drop: it comes next
        again += await loop.run_in_executor(None, lambda: b.poll_until("while the request dropped"))
    check("while the request dropped" in again, f"the message survives the dropped request: {again[-300:]}")
    bob.disconnect()


run(scenario())

# rid outside the window: the session ends.
st, _, out = post(f"<body {NS} rid='{b.rid + 5}' sid='{b.sid}'/>")
check("type='terminate'" in out and "item-not-found" in out, f"rid out of window refused: {st} {out}")
st, _, out = post(f"<body {NS} rid='{b.rid + 1}' sid='{b.sid}'/>")
check(st == 404 and "item-not-found" in out, f"and the session is gone: {st} {out}")

# Origins.
st, _, out = post(f"<body {NS} rid='1' to='{inst.domain}'/>", origin="https://evil.example.org")
check(st == 403, f"a page from another origin is refused: {st}")
st, hdr, out = post(f"<body {NS} rid='1' to='{inst.domain}' wait='1'/>", origin=CHAT_SITE)
check(st == 200 and hdr.get("Access-Control-Allow-Origin") == CHAT_SITE and "sid=" in out,
      f"an origin listed in xmpp.web_origins is let in, with CORS: {st} {hdr}")
own = f"https://{inst.hostname}:{inst.port('https')}"
st, _, out = post(f"<body {NS} rid='1' to='{inst.domain}' wait='1'/>", origin=own)
check(st == 403, f"with the list set, only its origins: the server's own is refused: {st}")

# Malformed and oversize bodies.
st, _, out = post("<body rid='1'>not bosh")
check(st == 400 and "bad-request" in out, f"malformed body: {st} {out}")
st, _, out = post(f"<body {NS} rid='1' to='{inst.domain}'><message>{'a' * 600000}</message></body>")
check(st == 413, f"a body over twice the stanza limit: {st}")
s = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("https")), timeout=10), server_hostname=inst.hostname)
s.sendall(f"POST /http-bind HTTP/1.1\r\nHost: {inst.hostname}\r\nContent-Length: 104857600\r\n\r\n".encode())
resp = s.recv(4096)
check(resp.startswith(b"HTTP/1.1 413"), f"an unbounded body (100 MB announced) is refused by the HTTP limit: {resp[:40]!r}")
s.close()

# Slowloris: a body trickled a byte at a time is cut off (http.body_timeout = 3 s here).
s = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("https")), timeout=15), server_hostname=inst.hostname)
s.sendall(f"POST /http-bind HTTP/1.1\r\nHost: {inst.hostname}\r\nContent-Length: 1000\r\n\r\n".encode())
t0 = time.monotonic()
cut = False
try:
    for _ in range(30):
        s.sendall(b"<")
        s.settimeout(0.5)
        try:
            if s.recv(1) == b"":
                cut = True
                break
        except (socket.timeout, TimeoutError):
            pass
except OSError:
    cut = True
elapsed = time.monotonic() - t0
check(cut and elapsed < 10, f"a slow body is cut off after {elapsed:.1f} s")
s.close()

# Still serving.
b2 = Bosh(rid=5000)
check(b2.sid and "<mechanism>" in b2.created, "a new BOSH session after all that")
log = inst.log()
check("xmpp.bosh.open" in log and "xmpp.bosh.rid" in log, "sessions and refused rids are logged")
check("session.error" not in log, "no session ended in an exception")
finish()
