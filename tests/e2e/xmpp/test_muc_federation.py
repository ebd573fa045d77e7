"""Group chat across servers: alice@a.test owns a room on conference.a.test; bob@b.test, a user
of a second hearth instance, joins it over s2s, and they talk both ways, privately too. knot
serves the SRV records `hearth dns zone` publishes for both, including
_xmpp-server._tcp.conference.a.test, through which b.test reaches the room's service (and checks
its dialback key). A user of another server may join a room but not create one."""
import asyncio
import os
import re
import sys

from hearth_test import NET, check, finish
from knot import Knot

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import Instance  # noqa: E402
from xmpp_util import login as plain_login, raw_iq, run, set_key  # noqa: E402
from slixmpp.exceptions import PresenceError  # noqa: E402

S2S_PORT = 5269 + 20000
PLUGINS = ("xep_0030", "xep_0045", "xep_0004")
A_inst = Instance("alice@a.test", host=2)
B_inst = Instance("bob@b.test", host=3)


def srv_lines(inst, domain):
    """The SRV records `hearth dns zone` plans for the domain, pointed at the test address."""
    out = inst.cli(["dns", "zone", domain, "--ip4", inst.addr]).stdout
    lines = []
    for line in out.splitlines():
        m = re.match(r"^(_xmpps?-server\._tcp(?:\.\S+?)?)\.?\s+(?:\d+\s+)?IN\s+SRV\s+(\d+) (\d+) (\d+) (\S+)", line)
        if m:
            name = m.group(1)
            rel = name[: -len("." + domain)] if name.endswith("." + domain) else name
            lines.append(f"{rel} SRV {m.group(2)} {m.group(3)} {m.group(4)} xmpp")
    return lines


zones = {}
for inst in (A_inst, B_inst):
    recs = srv_lines(inst, inst.domain)
    zones[inst.domain] = "\n".join(recs) + f"\nxmpp A {inst.addr}\n"
check(any(r.startswith("_xmpp-server._tcp.conference ") for r in zones["a.test"].splitlines()),
      f"`hearth dns zone` publishes _xmpp-server._tcp.conference.a.test ({zones['a.test']!r})")
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()
for inst in (A_inst, B_inst):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
    inst.start(wait_for="xmpp_client")
ALICE, BOB = (A_inst.email, A_inst.password), (B_inst.email, B_inst.password)
ROOM = "lounge@conference.a.test"


async def login(*args, **kw):
    """A client whose room presences (which slixmpp's MUC plugin keeps from the "presence"
    event) are collected in .presences too."""
    c = await plain_login(*args, **kw)
    c.add_event_handler("groupchat_presence", lambda p: c.presences.append(p))
    return c


async def scenario():
    a = await login(A_inst, *ALICE, resource="pc", plugins=PLUGINS)
    b = await login(B_inst, *BOB, resource="phone", plugins=PLUGINS)
    muc_a, muc_b = a.plugin["xep_0045"], b.plugin["xep_0045"]
    await muc_a.join_muc_wait(ROOM, "Alice", timeout=10)
    await raw_iq(a, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>",
                 to=ROOM)

    info = await raw_iq(b, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=ROOM, timeout=30)
    feats = {f.get("var") for f in info.xml.iter("{http://jabber.org/protocol/disco#info}feature")}
    check("http://jabber.org/protocol/muc" in feats, "bob@b.test reads the room's disco#info over s2s")

    try:
        pres, _, occupants, _ = await muc_b.join_muc_wait(ROOM, "Bob", timeout=30)
        check(pres["from"] == ROOM + "/Bob", "bob@b.test joins the room on conference.a.test over s2s")
        check(any(p["from"].resource == "Alice" for p in occupants), "bob sees alice in the room")
    except (PresenceError, asyncio.TimeoutError) as e:
        check(False, f"bob@b.test joins over s2s ({e!r})")
    got = await a.wait_until(lambda: any(p["from"] == ROOM + "/Bob" for p in a.presences), timeout=20)
    check(got, "alice sees the remote user arrive")

    a.send_message(mto=ROOM, mbody="welcome, bob", mtype="groupchat")
    got = await b.wait_until(lambda: any(m["body"] == "welcome, bob" and m["from"] == ROOM + "/Alice" for m in b.messages),
                             timeout=20)
    check(got, "alice's groupchat message reaches bob on b.test")
    b.send_message(mto=ROOM, mbody="thanks, alice", mtype="groupchat")
    got = await a.wait_until(lambda: any(m["body"] == "thanks, alice" and m["from"] == ROOM + "/Bob" for m in a.messages),
                             timeout=20)
    check(got, "bob's groupchat message reaches alice")
    b.send_message(mto=ROOM + "/Alice", mbody="a private word", mtype="chat")
    got = await a.wait_until(lambda: any(m["body"] == "a private word" and m["from"] == ROOM + "/Bob" for m in a.messages),
                             timeout=20)
    check(got, "a private message from the remote occupant reaches alice")

    # Remote users do not create rooms here.
    try:
        await muc_b.join_muc_wait("newroom@conference.a.test", "Bob", timeout=20)
        check(False, "a remote user cannot create a room")
    except PresenceError as e:
        check(e.condition == "not-allowed", f"a remote user cannot create a room ({e.condition})")

    # When bob's session ends, his server tells the room and alice sees him leave.
    b.disconnect()
    got = await a.wait_until(lambda: any(p["from"] == ROOM + "/Bob" and p["type"] == "unavailable" for p in a.presences),
                             timeout=20)
    check(got, "bob leaving b.test removes him from the room")
    a.disconnect()
    await asyncio.sleep(0.3)


run(scenario())
check(re.search(r"xmpp\.s2s\.in\.dialback .*to=conference\.a\.test.*valid=yes", A_inst.log()) is not None or
      re.search(r"xmpp\.s2s\.verify .*about=conference\.a\.test.*valid=yes", A_inst.log()) is not None,
      "the streams of conference.a.test were authenticated by dialback (log)")
finish()
