"""External components (XEP-0114) and push notifications (XEP-0357).

a.test (alice's server) has a component bot.a.test, driven by slixmpp's ComponentXMPP and by a
raw socket for the refusals (wrong secret, unknown domain, a second connection, a stanza from
another domain). Its domain is listed in disco#items; alice's stanzas reach it and its answers
reach alice; while it is away its iqs bounce with service-unavailable.

Push: the app server is a slixmpp component push.b.test on a second instance (b.test), reached
from a.test over s2s (knot serves the SRV records). alice's phone (a raw client) enables push
and stream management, then its TCP connection is cut without closing the stream: the session
is hibernated, a message from bob makes a.test publish a notification (no body, no sender) to
the app server, and the phone resumes (XEP-0198) and gets the message. A CSI-inactive session
and a message stored offline notify too; after <disable/> nothing is sent."""
import asyncio
import hashlib
import os
import re
import socket
import sys
import time

from hearth_test import NET, check, finish

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import Instance  # noqa: E402
from knot import Knot  # noqa: E402
from xmpp_util import Raw, login, raw_iq, run, set_key, error_condition  # noqa: E402
import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

COMPONENT_OFFSET = 20000
BOT = "bot.a.test"
BOT_SECRET = "bot-secret-a1b2c3"


def add_component(inst, domain, secret, name):
    path = os.path.join(inst.dir, f"{domain}.secret")
    with open(path, "w") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o600)
    set_key(inst.config, "xmpp", "component_port", str(5347 + inst.offset))
    set_key(inst.config, "xmpp", "component_addresses", f'["{inst.addr}"]')
    with open(inst.config, "a") as f:
        f.write(f'\n[[xmpp.component]]\ndomain = "{domain}"\nname = "{name}"\nsecret_file = "{path}"\n')


PUSH = "push.b.test"
PUSH_SECRET = "push-secret-d4e5f6"
A = Instance("alice@a.test", host=2)
B = Instance("push@b.test", host=3)
add_component(A, BOT, BOT_SECRET, "Test bot")
add_component(B, PUSH, PUSH_SECRET, "Push app server")
S2S = 5269 + A.offset
zones = {
    "a.test": f"_xmpp-server._tcp SRV 0 5 {S2S} xmpp\nxmpp A {A.addr}\n",
    "b.test": f"_xmpp-server._tcp SRV 0 5 {S2S} xmpp\n_xmpp-server._tcp.push SRV 0 5 {S2S} xmpp\nxmpp A {B.addr}\n",
}
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()
for inst in (A, B):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
BOB = ("bob@a.test", "pw-bob-secret")
A.cli(["user", "add", BOB[0], "--password-stdin"], input=BOB[1] + "\n")
A.start(wait_for="xmpp_client")
B.start(wait_for="xmpp_client")
ALICE = (A.email, A.password)
COMPONENT_PORT = 5347 + A.offset


class RawComponent:
    """A hand-driven component connection (plain TCP, jabber:component:accept)."""

    def __init__(self, inst, domain):
        self.sock = socket.create_connection((inst.addr, 5347 + inst.offset), timeout=10)
        self.buf = ""
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                  f"xmlns:stream='http://etherx.jabber.org/streams' to='{domain}'>")
        self.header = self.recv_until("?>")
        self.header += self.recv_until(">")

    def send(self, data):
        self.sock.sendall(data.encode())

    def recv_until(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.buf and time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk.decode(errors="replace")
        i = self.buf.find(needle)
        if i < 0:
            out, self.buf = self.buf, ""
        else:
            out, self.buf = self.buf[: i + len(needle)], self.buf[i + len(needle):]
        return out

    def stream_id(self):
        m = re.search(r"id=['\"]([^'\"]+)['\"]", self.header)
        return m.group(1) if m else ""

    def handshake(self, secret):
        digest = hashlib.sha1((self.stream_id() + secret).encode()).hexdigest()
        self.send(f"<handshake>{digest}</handshake>")
        return self.recv_until("/>")

    def closed(self, timeout=5):
        """Reads until the server closes the connection; returns what came."""
        out = self.recv_until("\0never\0", timeout)
        return out

    def close(self):
        self.sock.close()


class Bot(slixmpp.ComponentXMPP):
    """Echoes messages to any JID at its domain and answers disco#info."""

    def __init__(self, domain, secret, inst):
        super().__init__(domain, secret, inst.addr, 5347 + inst.offset)
        self.received = []
        self.started = asyncio.Event()
        self.add_event_handler("session_start", lambda _: self.started.set())
        self.add_event_handler("message", self._echo)

    def _echo(self, msg):
        self.received.append(msg)
        if msg["type"] in ("chat", "normal") and msg["body"]:
            self.send_message(mto=msg["from"], mfrom=msg["to"], mbody="echo: " + msg["body"], mtype="chat")


def component_refusals():
    r = RawComponent(A, "nobot.a.test")
    check("host-unknown" in r.closed(), "a stream to a domain that is no configured component ends with host-unknown")
    r.close()
    r = RawComponent(A, BOT)
    check("xmlns='jabber:component:accept'" in r.header and r.stream_id(),
          f"the server answers a component's stream with an id ({r.header[-200:]!r})")
    out = r.handshake("wrong-secret")
    out += r.closed()
    check("not-authorized" in out and "<handshake/>" not in out, "a wrong handshake is refused with not-authorized")
    r.close()
    r = RawComponent(A, BOT)
    check("<handshake/>" in r.handshake(BOT_SECRET), "the right handshake (SHA-1 of stream id + secret) is accepted")
    r.send("<message from='a.test' to='alice@a.test'><body>spoofed</body></message>")
    check("invalid-from" in r.closed(), "a component sending from a domain not its own gets invalid-from")
    r.close()


async def scenario():
    component_refusals()
    alice = await login(A, *ALICE, resource="pc", plugins=("xep_0030",))
    items = await raw_iq(alice, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", to="a.test")
    listed = {(i.get("jid"), i.get("name")) for i in items.xml.iter("{http://jabber.org/protocol/disco#items}item")}
    check((BOT, "Test bot") in listed, f"the server's disco#items lists the component ({listed})")

    try:
        await raw_iq(alice, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=BOT, timeout=10)
        check(False, "an iq to an absent component bounces")
    except IqError as e:
        check(error_condition(e) == "service-unavailable", f"an iq to an absent component gets service-unavailable ({error_condition(e)})")

    bot = Bot(BOT, BOT_SECRET, A)
    bot.register_plugin("xep_0030")
    bot.connect()
    try:
        await asyncio.wait_for(bot.started.wait(), 15)
        check(True, "slixmpp's ComponentXMPP connects and completes the handshake")
    except asyncio.TimeoutError:
        check(False, "slixmpp's ComponentXMPP connects and completes the handshake")
        return
    second = RawComponent(A, BOT)
    out = second.handshake(BOT_SECRET) + second.closed()
    check("conflict" in out, "a second connection for a connected component is refused with conflict")
    second.close()

    alice.send_message(mto="echo@" + BOT, mbody="hello bot", mtype="chat")
    got = await alice.wait_until(lambda: any(str(m["from"]) == "echo@" + BOT for m in alice.messages), timeout=10)
    check(got and any(str(m["from"]) == "echo@" + BOT and m["body"] == "echo: hello bot" for m in alice.messages),
          "a message to the component's domain reaches it, and its answer reaches alice")
    check(any(str(m["from"]) == "alice@a.test/pc" for m in bot.received), "the component sees alice's full JID as sender")
    info = await raw_iq(alice, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=BOT, timeout=10)
    check(info["from"] == BOT and info["type"] == "result", "an iq to the connected component is answered by it")
    bot.disconnect()
    await asyncio.sleep(0.5)
    alice.disconnect()
    await push_scenario()


class AppServer(slixmpp.ComponentXMPP):
    """A push app server (XEP-0357 §4): records each publish it is sent and accepts it."""

    def __init__(self, domain, secret, inst):
        super().__init__(domain, secret, inst.addr, 5347 + inst.offset)
        self.published = []
        self.messages = []
        self.started = asyncio.Event()
        self.add_event_handler("message", lambda m: self.messages.append(m))
        self.add_event_handler("session_start", lambda _: self.started.set())
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        self.register_handler(Callback("publish", MatchXPath(
            "{jabber:component:accept}iq/{http://jabber.org/protocol/pubsub}pubsub"), self._publish))

    def _publish(self, iq):
        self.published.append(iq)
        if "gone-node" in str(iq):  # a device the app server no longer knows (XEP-0357 §7)
            err = iq.reply(clear=True)
            err["type"] = "error"
            err["error"]["type"] = "cancel"
            err["error"]["condition"] = "item-not-found"
            err.send()
        else:
            iq.reply().send()


def sm_login(resource):
    """A raw client of alice with stream management (resumable) and presence; returns (raw, previd)."""
    r = Raw(A)
    r.login(*ALICE, resource=resource)
    r.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
    m = re.search(r"<enabled[^>]*id='([^']+)'", r.recv_until("resume='true'"))
    r.send("<presence/>")
    return r, (m.group(1) if m else "")


def resume(previd, until):
    import base64
    r = Raw(A)
    r.starttls()
    cred = base64.b64encode(f"\0{ALICE[0]}\0{ALICE[1]}".encode()).decode()
    r.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
    r.recv_until("</success>")
    r.send(r.header())
    r.recv_until("</stream:features>")
    r.send(f"<resume xmlns='urn:xmpp:sm:3' h='0' previd='{previd}'/>")
    return r, r.recv_until(until, timeout=15)


def wait_log(inst, pattern, timeout=15):
    """Waits until a line of the instance's log matches the regular expression."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, inst.log()):
            return True
        time.sleep(0.1)
    return False


def wait_count(inst, pattern, n, timeout=15):
    """Waits until `n` lines of the instance's log match the regular expression."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(re.findall(pattern, inst.log())) >= n:
            return True
        time.sleep(0.1)
    return False


async def push_scenario():
    app = AppServer(PUSH, PUSH_SECRET, B)
    app.connect()
    try:
        await asyncio.wait_for(app.started.wait(), 15)
    except asyncio.TimeoutError:
        check(False, "the app server component connects to b.test")
        return
    bob = await login(A, *BOB, resource="pc")
    loop = asyncio.get_event_loop()

    phone, previd = await loop.run_in_executor(None, sm_login, "phone")
    check(bool(previd), "the phone enables resumable stream management")
    phone.send("<iq type='get' id='d1' to='alice@a.test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    out = await loop.run_in_executor(None, phone.recv_until, "</iq>")
    check("urn:xmpp:push:0" in out, "the account's disco#info announces urn:xmpp:push:0")
    phone.send("<iq type='set' id='bad1'><enable xmlns='urn:xmpp:push:0' jid='push.b.test'/></iq>")
    out = await loop.run_in_executor(None, phone.recv_until, "</iq>")
    check("bad-request" in out, "enable without a node is a bad-request")
    phone.send("<iq type='set' id='push1'><enable xmlns='urn:xmpp:push:0' jid='push.b.test' node='phone-node-1'>"
               "<x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
               "<field var='secret'><value>app-secret-77</value></field></x></enable></iq>")
    out = await loop.run_in_executor(None, phone.recv_until, "push1")
    out += await loop.run_in_executor(None, phone.recv_until, ">")
    check("type='result'" in out, f"push is enabled ({out[-200:]!r})")

    # The phone's network goes away: no </stream:stream>, the TCP connection just ends.
    phone.sock.close()
    hibernated = await loop.run_in_executor(None, wait_log, A, r"xmpp\.detached .*jid=alice@a\.test/phone")
    check(hibernated, "the session is hibernated, waiting for resumption")
    bob.send_message(mto=ALICE[0], mbody="wake up, secret words", mtype="chat")
    got = await bob.wait_until(lambda: len(app.published) >= 1, timeout=30)
    check(got, "the app server on b.test receives a notification over s2s while the session is hibernated")
    if got:
        xml = str(app.published[0])
        check(app.published[0]["from"] == ALICE[0], f"the notification comes from the account's bare JID ({app.published[0]['from']})")
        check("phone-node-1" in xml and "urn:xmpp:push:summary" in xml, "it publishes to the client's node a push summary")
        check("app-secret-77" in xml, "it carries the publish-options (the secret) the client gave")
        check("wake up" not in xml and "bob@a.test" not in xml,
              "it says nothing of the message: no body, no sender (the default)")

    # Throttling (xmpp.push_interval, 60 s by default): more messages to the sleeping phone send
    # no more notifications. Once the server has decided on both, a marker sent after them to
    # the app server's domain travels the same s2s stream: what came before it has arrived.
    bob.send_message(mto=ALICE[0], mbody="second while asleep", mtype="chat")
    bob.send_message(mto=ALICE[0], mbody="third while asleep", mtype="chat")
    throttled = await loop.run_in_executor(None, wait_count, A, r"xmpp\.push\.throttled .*jid=alice@a\.test/phone", 2)
    bob.send_message(mto="marker@" + PUSH, mbody="marker", mtype="chat")
    marked = await bob.wait_until(lambda: any(m["body"] == "marker" for m in app.messages), timeout=30)
    check(throttled and marked and len(app.published) == 1,
          f"two more messages while the phone sleeps send no more notifications ({len(app.published)} in all)")

    phone, out = await loop.run_in_executor(None, resume, previd, "third while asleep")
    check("<resumed" in out and "wake up, secret words" in out and "third while asleep" in out,
          "the phone resumes (XEP-0198) and gets the messages")

    # CSI: an inactive session gets messages at once, and a notification too.
    phone.send("<inactive xmlns='urn:xmpp:csi:0'/><iq type='get' id='csi1'><ping xmlns='urn:xmpp:ping'/></iq>")
    await loop.run_in_executor(None, phone.recv_until, "csi1")  # the server has read <inactive/>
    bob.send_message(mto=ALICE[0] + "/phone", mbody="while inactive", mtype="chat")
    out = await loop.run_in_executor(None, phone.recv_until, "while inactive")
    got = await bob.wait_until(lambda: len(app.published) >= 2, timeout=30)
    check("while inactive" in out and got, "a CSI-inactive session gets the message and a notification is sent")
    phone.send("<active xmlns='urn:xmpp:csi:0'/>")

    # Offline: the session ends for good; the message is stored, and notified.
    phone.send("</stream:stream>")
    await loop.run_in_executor(None, phone.recv_until, "</stream:stream>")
    phone.close()
    ended = await loop.run_in_executor(None, wait_log, A, r"xmpp\.end .*jid=alice@a\.test/phone")
    check(ended, "the phone's session ends with its stream")
    bob.send_message(mto=ALICE[0], mbody="while offline", mtype="chat")
    got = await bob.wait_until(lambda: len(app.published) >= 3, timeout=30)
    check(got, "a message stored offline is notified")

    # Disable: nothing more is sent.
    r = Raw(A)
    await loop.run_in_executor(None, r.login, *ALICE, "pc2")
    r.send("<iq type='set' id='off1'><disable xmlns='urn:xmpp:push:0' jid='push.b.test' node='phone-node-1'/></iq>")
    out = await loop.run_in_executor(None, r.recv_until, "off1")
    out += await loop.run_in_executor(None, r.recv_until, ">")
    check("type='result'" in out, "push is disabled")
    r.send("</stream:stream>")
    r.close()
    await asyncio.sleep(1)
    before = len(app.published)
    bob.send_message(mto=ALICE[0], mbody="after disable", mtype="chat")
    await asyncio.sleep(3)
    check(len(app.published) == before, "after <disable/>, a message stored offline sends no notification")

    # An app server that answers with an error loses the registration.
    r = Raw(A)
    await loop.run_in_executor(None, r.login, *ALICE, "pc3")
    r.send("<iq type='set' id='gone1'><enable xmlns='urn:xmpp:push:0' jid='push.b.test' node='gone-node'/></iq>")
    out = await loop.run_in_executor(None, r.recv_until, "gone1")
    out += await loop.run_in_executor(None, r.recv_until, ">")
    r.send("</stream:stream>")
    r.close()
    gone = lambda: sum(1 for p in app.published if "gone-node" in str(p))  # noqa: E731
    await asyncio.sleep(1)
    bob.send_message(mto=ALICE[0], mbody="to a gone device", mtype="chat")
    got = await bob.wait_until(lambda: gone() == 1, timeout=30)
    removed = await loop.run_in_executor(None, wait_log, A, r"xmpp\.push\.disabled .*why=")
    check("type='result'" in out and got and removed,
          "a notification the app server answers with an error removes that registration")
    bob.send_message(mto=ALICE[0], mbody="to a gone device again", mtype="chat")
    await asyncio.sleep(3)
    check(gone() == 1, "and the next message sends it nothing")
    bob.disconnect()
    app.disconnect()
    await asyncio.sleep(0.3)


run(scenario())
check("xmpp.component.connected" in A.log(), "the log says when a component connects")
check("xmpp.component.auth_failed" in A.log(), "the log says when a component's handshake fails")
for inst in (A, B):
    inst.stop()
finish()
