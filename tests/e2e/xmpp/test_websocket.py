"""XMPP over WebSocket (RFC 7395) on the HTTPS listener, driven by a hand-written WebSocket
client (web_util.py) and slixmpp on TCP: login with SASL, bind, stream management, messages
both ways between a WebSocket session and a TCP one; XEP-0156 host-meta documents; Origin
checks; no WebSocket without TLS; an oversize frame closed with 1009 before its payload is
sent; malformed frames closed with the right code; and the server still serving afterwards."""
import asyncio
import json
import os
import socket
import sys
import time
import urllib.request
import ssl

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from web_util import CLOSE, OPEN, WebSocket, frame, ws_login  # noqa: E402
from xmpp_util import instance_with_users, login, run  # noqa: E402

inst, users = instance_with_users("bob")
jid, pw = users["demo"]
bob_jid, bob_pw = users["bob"]
base = f"https://{inst.hostname}:{inst.port('https')}"
ctx = ssl.create_default_context(cafile=inst.ca_file())


def get(path):
    req = urllib.request.Request(f"https://{inst.addr}:{inst.port('https')}{path}", headers={"Host": inst.hostname})
    # The certificate names the host, not the address: check it against the host name.
    ctx2 = ssl.create_default_context(cafile=inst.ca_file())
    ctx2.check_hostname = False
    with urllib.request.urlopen(req, context=ctx2, timeout=10) as r:
        return r.status, dict(r.headers), r.read().decode()


# XEP-0156 discovery.
st, hdr, xrd = get("/.well-known/host-meta")
check(st == 200 and f"href='wss://{inst.hostname}:{inst.port('https')}/xmpp-websocket'" in xrd
      and "urn:xmpp:alt-connections:xbosh" in xrd and f"{base}/http-bind" in xrd, f"host-meta names both URLs: {xrd}")
st, hdr, js = get("/.well-known/host-meta.json")
links = {l["rel"]: l["href"] for l in json.loads(js)["links"]}
check(links.get("urn:xmpp:alt-connections:websocket") == f"wss://{inst.hostname}:{inst.port('https')}/xmpp-websocket"
      and links.get("urn:xmpp:alt-connections:xbosh") == f"{base}/http-bind"
      and hdr.get("Access-Control-Allow-Origin") == "*", f"host-meta.json names both URLs, readable cross-origin: {js}")

# Origins: the server's own https origin is let in, another site's page is not; no "xmpp"
# subprotocol, no XMPP.
w = WebSocket(inst, origin="https://evil.example.org")
check(w.status == 403, f"a page from another origin is refused: {w.head.splitlines()[0] if w.head else w.head}")
w.close()
w = WebSocket(inst, origin=base)
check(w.status == 101 and "Sec-WebSocket-Protocol: xmpp" in w.head, f"the server's own origin is accepted: {w.head[:200]}")
w.close()
w = WebSocket(inst, protocol="chat")
check(w.status == 400, f"without the xmpp subprotocol: {w.status}")
w.close()

# No plaintext WebSocket: the HTTPS port speaks only TLS, so ws:// cannot even start.
raw = socket.create_connection((inst.addr, inst.port("https")), timeout=10)
raw.sendall(f"GET /xmpp-websocket HTTP/1.1\r\nHost: {inst.hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n".encode())
try:
    got = raw.recv(4096)
except OSError:
    got = b""
check(b"101" not in got and b"mechanism" not in got, f"ws:// (no TLS) gets no WebSocket and no SASL: {got[:80]!r}")
raw.close()


async def scenario():
    bob = await login(inst, bob_jid, bob_pw)
    ws, full, feats = ws_login(inst, jid, pw, origin=base)
    check(full.startswith(jid + "/web"), f"bound over WebSocket: {full}")
    check("urn:xmpp:sm:3" in feats and "urn:xmpp:csi:0" in feats, "stream management and CSI offered as on TCP")
    ws.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
    en = ws.recv_until("enabled")
    check("<enabled xmlns='urn:xmpp:sm:3'" in en and "resume='true'" in en, f"stream management enabled: {en}")
    ws.send("<presence xmlns='jabber:client'/>")
    ws.send("<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
    roster = ws.recv_until("id='r1'")
    check("jabber:iq:roster" in roster, "roster over WebSocket")
    # Each server message is one element that stands alone (RFC 7395 §3.3.3).
    ws.send(f"<message xmlns='jabber:client' to='{bob_jid}' type='chat' id='m1'><body>from the browser</body></message>")
    got = await bob.wait_until(lambda: any(m["body"] == "from the browser" for m in bob.messages))
    check(got, "a message sent over WebSocket reaches a slixmpp client on TCP")
    bob.send_message(mto=full, mbody="back to the browser", mtype="chat")
    msg = await asyncio.get_event_loop().run_in_executor(None, lambda: ws.recv_until("back to the browser"))
    check("<message xmlns='jabber:client'" in msg and "back to the browser" in msg,
          f"the reply arrives over WebSocket as a standalone jabber:client element: {msg[-300:]}")
    ws.send("<r xmlns='urn:xmpp:sm:3'/>")
    ack = await asyncio.get_event_loop().run_in_executor(None, lambda: ws.recv_until("<a xmlns='urn:xmpp:sm:3'"))
    check("<a xmlns='urn:xmpp:sm:3' h=" in ack, f"stream management acks: {ack[-100:]}")
    # A WebSocket ping gets its pong.
    ws.send_raw(frame(9, b"are you there"))
    f = ws.recv_frame()
    while f and f[0] == 1:
        f = ws.recv_frame()
    check(f == (10, b"are you there"), f"ping answered with pong: {f}")
    # The stream closes with <close/> and the WebSocket close handshake.
    ws.send(CLOSE)
    out = ws.recv_until("xmpp-framing")
    code = ws.wait_close()
    check("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>" in out and code and code[0] == 1000,
          f"<close/> answered with <close/> and close 1000: {out[-100:]} {code}")
    ws.close()
    bob.disconnect()


run(scenario())

# Oversize: the header of a 100 MB frame is refused at once with 1009, nothing more read.
w = WebSocket(inst)
w.send(OPEN.format(inst.domain))
w.recv_until("</stream:features>")
t0 = time.monotonic()
w.send_raw(frame(1, b"", length=100 * 1024 * 1024)[:14])
code = w.wait_close()
check(code is not None and code[0] == 1009 and time.monotonic() - t0 < 3, f"100 MB frame header: close {code}")
check(w.eof(), "and the connection closes")
w.close()

# Just over the stanza limit (262144 by default): 1009 too.
w = WebSocket(inst)
# (Only its start is sent: the server answers on the header and stops reading.)
w.send_raw(frame(1, "<message>" + "a" * 300000 + "</message>")[:4096])
code = w.wait_close()
check(code is not None and code[0] == 1009, f"a 300 kB message: close {code}")
w.close()

# Malformed frames, each closed with its code.
for what, data, want in (
    ("an unmasked frame", frame(1, OPEN.format(inst.domain), mask=False), 1002),
    ("reserved bits", frame(1, "x", rsv=0x40), 1002),
    ("a reserved opcode", frame(5, "x"), 1002),
    ("a fragmented ping", frame(9, "x", fin=False), 1002),
    ("a stray continuation", frame(0, "x"), 1002),
    ("text that is not UTF-8", frame(1, b"<message>\xc3</message>"), 1007),
    ("binary data", frame(2, b"<message/>"), 1003),
):
    w = WebSocket(inst)
    w.send_raw(data)
    code = w.wait_close()
    check(code is not None and code[0] == want, f"{what}: close {code}, want {want}")
    check(w.eof(), f"{what}: connection closed")
    w.close()

# XML that is not well-formed, or one element cut across messages: a stream error, then the
# closing handshake.
for what, msg in (("bad XML", "<message><body></message>"), ("half an element", "<message><body>half")):
    w = WebSocket(inst)
    w.send(OPEN.format(inst.domain))
    w.recv_until("</stream:features>")
    w.send(msg)
    out = w.recv_until("xmpp-framing")
    code = w.wait_close()
    check("<stream:error xmlns:stream='http://etherx.jabber.org/streams'><not-well-formed" in out and code and code[0] == 1000,
          f"{what}: stream error not-well-formed, <close/>, close 1000: {out[-200:]} {code}")
    w.close()

# A stream to a domain not served here.
w = WebSocket(inst)
w.send(OPEN.format("elsewhere.example"))
out = w.recv_until("xmpp-framing'/>")
check("<host-unknown" in out, f"unknown domain: {out[-200:]}")
w.close()

# After all that, a browser still logs in.
ws, full, _ = ws_login(inst, jid, pw, resource="again")
check(full.endswith("/again"), "a new WebSocket login works after the bad ones")
ws.close()
log = inst.log()
check("xmpp.websocket.refused" in log and "reason=\"Forbidden" in log or "xmpp.websocket.refused" in log,
      "refusals are logged")
check("session.error" not in log, "no session ended in an exception")
finish()
