"""Abuse against hearth's XMPP listener: each bad stream gets the right stream error, a flood
is throttled, and the server keeps serving another user throughout.

Covered: STARTTLS required (no SASL before TLS), unknown host, malformed XML, restricted XML
(DOCTYPE/entities), a 10 MB stanza, 100 000 nested elements, too many unauthenticated bytes,
an unclosed stream cut mid-stanza, a flood of stanzas, bad SASL, a wrong password."""
import base64
import os
import sys
import time

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import Raw, instance_with_users  # noqa: E402

inst, users = instance_with_users("bob")
A, B = users["demo"], users["bob"]


def still_serving(what):
    r = Raw(inst)
    try:
        r.login(*B, resource="probe")
        r.send("<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>")
        out = r.recv_until("alive")
        check("alive" in out and "type='result'" in out, f"after {what}: another user is served")
    except Exception as e:  # noqa: BLE001
        check(False, f"after {what}: another user is served ({e})")
    finally:
        r.close()


def stream_error_after(payload, what, expect, tls=True, login=False):
    r = Raw(inst, timeout=20)
    try:
        if login:
            r.login(*A, resource="bad")
        elif tls:
            r.starttls()
        else:
            r.send(r.header())
            r.recv_until("</stream:features>")
        try:
            for p in payload if isinstance(payload, (list, tuple)) else [payload]:
                r.send(p)
        except OSError:
            pass  # the server may stop reading once it has answered
        out = r.recv_until("</stream:stream>", timeout=20)
        check(f"<{expect} " in out or f"<{expect}/>" in out, f"{what}: stream error {expect}")
    except OSError as e:
        check(False, f"{what}: stream error {expect} (socket: {e})")
    finally:
        r.close()


# Before TLS: features offer STARTTLS only, and SASL is refused.
r = Raw(inst)
r.send(r.header())
feats = r.recv_until("</stream:features>")
check("<required/>" in feats and "mechanism" not in feats, "before TLS only STARTTLS (required) is offered")
cred = base64.b64encode(f"\0{A[0]}\0{A[1]}".encode()).decode()
r.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
out = r.recv_until("</stream:stream>")
check("policy-violation" in out and "success" not in out, "PLAIN before TLS is refused with a stream error")
r.close()

# After TLS: mechanisms include SCRAM-SHA-256, SCRAM-SHA-1 and PLAIN.
r = Raw(inst)
feats = r.starttls()
for m in ("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"):
    check(f"<mechanism>{m}</mechanism>" in feats, f"after TLS {m} is offered")
r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64.b64encode(f"\0{A[0]}\0wrong".encode()).decode() + "</auth>")
check("not-authorized" in r.recv_until("</failure>"), "wrong password: not-authorized")
r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-UNKNOWN'/>")
check("invalid-mechanism" in r.recv_until("</failure>"), "unknown mechanism: invalid-mechanism")
r.close()

# Unknown host.
r = Raw(inst)
r.send(r.header(to="nowhere.invalid"))
check("host-unknown" in r.recv_until("</stream:stream>"), "stream to an unknown domain: host-unknown")
r.close()

stream_error_after("<message><body>x</message>", "malformed XML", "not-well-formed")
stream_error_after("<iq type='get' id='1'><query xmlns='x'>&xxe;</query></iq>", "undefined entity", "restricted-xml")
r = Raw(inst)
r.send(r.header())
r.recv_until("</stream:features>")
r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
r.recv_until("/>")
r.sock = r.ctx.wrap_socket(r.sock, server_hostname=inst.domain)
r.send("<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;'>]>" + r.header())
check("restricted-xml" in r.recv_until("</stream:stream>"), "DOCTYPE with entity declarations: restricted-xml")
r.close()
still_serving("malformed and restricted XML")

stream_error_after("<message><body>" + "x" * (100 * 1024), "100 KB before authentication", "policy-violation")
big = "<message to='" + B[0] + "' type='chat'><body>" + "y" * (10 * 1024 * 1024) + "</body></message>"
stream_error_after([big[i:i + 1024 * 1024] for i in range(0, len(big), 1024 * 1024)], "a 10 MB stanza",
                   "policy-violation", login=True)
stream_error_after("<a>" * 100000, "100 000 nested elements", "policy-violation", login=True)
still_serving("oversized stanzas")

# An unclosed stream cut in the middle of a stanza.
r = Raw(inst)
r.login(*A, resource="cut")
r.send("<message to='" + B[0] + "'><body>half")
r.close()
still_serving("a stream cut mid-stanza")

# Flood: 600 pings as fast as possible. All are answered (nothing is lost) but the session
# is throttled (logged), while another user is served meanwhile.
r = Raw(inst, timeout=120)
r.login(*A, resource="flood")
r.send("".join(f"<iq type='get' id='f{i}'><ping xmlns='urn:xmpp:ping'/></iq>" for i in range(600)))
still_serving("a flood (while it is being throttled)")
out = r.recv_until("id='f599'", timeout=120)
check("id='f599'" in out, "every flooded ping is eventually answered")
check("xmpp.throttle" in inst.log(), "the flood was throttled (xmpp.throttle logged)")
r.close()
time.sleep(0.2)
still_serving("everything")
finish()
