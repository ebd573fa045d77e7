"""Helpers for the XMPP e2e tests: a hearth instance with a second account, and slixmpp
clients that connect over STARTTLS (or direct TLS) trusting the instance's dev CA."""
import asyncio
import logging
import os
import sys

import slixmpp

from hearth_test import Instance, set_key  # noqa: F401 (set_key re-exported)

logging.basicConfig(level=logging.DEBUG if os.environ.get("XMPP_DEBUG") else logging.CRITICAL)




def instance_with_users(*names, configure=None, **kw):
    """Starts a hearth instance; returns (inst, {name: (jid, password)}) for demo + names.
    configure(inst), when given, runs before the server starts (config edits)."""
    inst = Instance(**kw)
    if configure:
        configure(inst)
    users = {"demo": (inst.email, inst.password)}
    for n in names:
        jid = f"{n}@{inst.domain}"
        pw = f"pw-{n}-secret"
        inst.cli(["user", "add", jid, "--password-stdin"], input=pw + "\n")
        users[n] = (jid, pw)
    inst.start(wait_for="xmpp_client")
    return inst, users


class Client(slixmpp.ClientXMPP):
    """A slixmpp client whose stanzas of interest are collected in lists."""

    def __init__(self, jid, password, plugins=(), **kw):
        # slixmpp 1.8's SCRAM uses the tls-unique binding ("p=tls-unique", which TLS 1.3 does
        # not have) with -PLUS and the gs2 flag "y" without it; where hearth offers -PLUS
        # (auth.scram_plus) both are refused (RFC 5802 §6). slixmpp logs in with PLAIN here;
        # its default choice is covered by test_slixmpp_defaults.py, SCRAM also by gloox.
        kw.setdefault("sasl_mech", "PLAIN")
        super().__init__(jid, password, **kw)
        for p in plugins:
            self.register_plugin(p)
        self.messages = []      # slixmpp's "message" event: messages with a <body/>
        self.all_messages = []  # every <message/> (MAM results, PEP events, carbons)
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        self.register_handler(Callback("all messages", MatchXPath("{jabber:client}message"),
                                       lambda m: self.all_messages.append(m)))
        self.presences = []
        self.started = asyncio.Event()
        self.failed = asyncio.Event()
        self.add_event_handler("session_start", self._started)
        self.add_event_handler("failed_auth", lambda *_: self.failed.set())
        self.add_event_handler("message", lambda m: self.messages.append(m))
        self.add_event_handler("presence", lambda p: self.presences.append(p))

    async def _started(self, _):
        self.started.set()

    async def wait_until(self, cond, timeout=10.0):
        deadline = asyncio.get_event_loop().time() + timeout
        while asyncio.get_event_loop().time() < deadline:
            if cond():
                return True
            await asyncio.sleep(0.05)
        return cond()


async def login(inst, jid, password, resource=None, plugins=(), direct_tls=False, presence=True, roster=True,
                timeout=15, **kw):
    full = jid + ("/" + resource if resource else "")
    c = Client(full, password, plugins=plugins, **kw)
    c.ca_certs = inst.ca_file()
    port = inst.port("xmpps_client" if direct_tls else "xmpp_client")
    c.connect(address=(inst.addr, port), use_ssl=direct_tls, force_starttls=not direct_tls)
    done, _ = await asyncio.wait([asyncio.ensure_future(c.started.wait()), asyncio.ensure_future(c.failed.wait())],
                                 timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if not c.started.is_set():
        raise RuntimeError(f"login of {full} failed")
    if roster:
        await c.get_roster()
    if presence:
        c.send_presence()
    return c


def run(coro, timeout=120):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(coro, timeout))
    except Exception as e:  # the failure is reported through check()/finish()
        import traceback
        traceback.print_exc()
        from hearth_test import check
        check(False, f"scenario raised {type(e).__name__}: {e}")


class Raw:
    """A hand-driven XMPP client on a socket, for what libraries hide (stream errors, limits,
    cutting a connection under stream management)."""

    def __init__(self, inst, direct_tls=False, timeout=10.0, source=None):
        import socket
        import ssl
        self.inst = inst
        self.ctx = ssl.create_default_context(cafile=inst.ca_file())
        self.sock = socket.create_connection((inst.addr, inst.port("xmpps_client" if direct_tls else "xmpp_client")),
                                             timeout=timeout, source_address=(source, 0) if source else None)
        if direct_tls:
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname=inst.domain)
        self.buf = ""
        self.timeout = timeout

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_until(self, needle, timeout=None):
        """Reads until `needle` (a string) is in the buffer; returns the buffer and clears it.
        Returns what was read (without needle) if the connection closes or times out."""
        import socket
        import time
        deadline = time.monotonic() + (timeout or self.timeout)
        while needle not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk.decode(errors="replace")
        out, self.buf = self.buf, ""
        return out

    def header(self, to=None):
        return ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                f"xmlns:stream='http://etherx.jabber.org/streams' to='{to or self.inst.domain}' version='1.0'>")

    def starttls(self):
        self.send(self.header())
        self.recv_until("</stream:features>")
        self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        assert "<proceed" in self.recv_until("/>")
        self.sock = self.ctx.wrap_socket(self.sock, server_hostname=self.inst.domain)
        self.send(self.header())
        return self.recv_until("</stream:features>")

    def login(self, jid, password, resource=None, direct_tls=False):
        import base64
        if not direct_tls:
            self.starttls()
        else:
            self.send(self.header())
            self.recv_until("</stream:features>")
        cred = base64.b64encode(f"\0{jid}\0{password}".encode()).decode()
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
        out = self.recv_until("</success>")
        if "</success>" not in out:
            raise RuntimeError("PLAIN login failed: " + out)
        self.send(self.header())
        self.recv_until("</stream:features>")
        res = f"<resource>{resource}</resource>" if resource else ""
        self.send(f"<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{res}</bind></iq>")
        out = self.recv_until("</iq>")
        import re
        m = re.search(r"<jid>([^<]+)</jid>", out)
        if not m:
            raise RuntimeError("bind failed: " + out)
        self.jid = m.group(1)
        return self.jid

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


async def raw_iq(c, itype, xml, to=None, timeout=10):
    """Sends an iq with the payload `xml` (text); returns the answer (raises IqError)."""
    import xml.etree.ElementTree as ET
    iq = c.Iq()
    iq["type"] = itype
    if to:
        iq["to"] = to
    iq.append(ET.fromstring(xml))
    return await iq.send(timeout=timeout)


async def roster_of(c):
    """The server's view of c's roster: {jid: (subscription, ask)}."""
    res = await raw_iq(c, "get", "<query xmlns='jabber:iq:roster'/>")
    out = {}
    for item in res.xml.iter("{jabber:iq:roster}item"):
        out[item.get("jid")] = (item.get("subscription"), item.get("ask"))
    return out


def error_condition(exc):
    try:
        return exc.iq["error"]["condition"]
    except Exception:
        return str(exc)


def stanza_error_condition(stanza):
    """The defined condition of an error stanza (message or presence), None when it has none."""
    try:
        return stanza["error"]["condition"]
    except Exception:
        return None
