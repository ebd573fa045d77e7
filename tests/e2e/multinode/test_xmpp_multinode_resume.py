"""XEP-0198 stream resumption on another node (README "Several nodes"): a client behind DNS
round robin or a load balancer reconnects to whichever node answers.

A private PostgreSQL cluster (pg_cluster.py) listens on NET.10; node A serves on NET.1 and node
B on NET.2 (xmpp_nodes.Node). slixmpp clients (slixmpp implements XEP-0198 resumption):

- bob connects to A with resumable stream management and gets a message from alice on B;
  his TCP connection is cut (no </stream>); alice sends him a message while he is detached;
  he reconnects to B and resumes: <resumed/> with the h of the stanzas he sent on A, the
  message arrives once, alice never sees him unavailable, and he stays reachable on B;
- alice's second client on A with stream management is cut, A is killed with -9, and her
  resumption on B fails (item-not-found) within a bounded time; she binds anew on B.
"""
import asyncio

import hearth_test as ht
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402
from hearth_test import check  # noqa: E402
from xmpp_nodes import ALICE, BOB, BOB_PW, require_postgres, run_killing_a  # noqa: E402

require_postgres()
from xmpp_util import login  # noqa: E402

PLUGINS = ("xep_0030", "xep_0198", "xep_0199")


def bodies(c):
    return [str(m["body"]) for m in c.messages]


async def round_trip(c):
    """A session's stanzas are handled in order: once the server answers this, what the client
    sent before (a message, an ack) has been handled."""
    await c.plugin["xep_0030"].get_info(jid="home.test", timeout=10)


async def cut(c):
    """Closes the client's TCP connection without </stream>, keeping its stream management state."""
    lost = asyncio.Event()
    c.add_event_handler("disconnected", lambda *_: lost.set(), disposable=True)
    c.abort()
    await asyncio.wait_for(lost.wait(), 10)


async def reconnect(c, node):
    """Connects `c` again, to `node`; returns ("resumed", <resumed/>) or ("bound", None)."""
    done = asyncio.get_event_loop().create_future()

    def resumed(st):
        if not done.done():
            done.set_result(("resumed", st))

    def started(_):
        if not done.done():
            done.set_result(("bound", None))

    c.add_event_handler("session_resumed", resumed, disposable=True)
    c.add_event_handler("session_start", started, disposable=True)
    c.connect(address=(node.addr, node.port("xmpp_client")), force_starttls=True)
    return await asyncio.wait_for(done, 30)


async def scenario(a, b):
    bob = await login(a, BOB, BOB_PW, resource="phone", plugins=PLUGINS)
    sm = bob.plugin["xep_0198"]
    check(await bob.wait_until(lambda: sm.sm_id is not None and sm.enabled_in),
          f"bob on A has resumable stream management (id {sm.sm_id})")
    alice = await login(b, ALICE, a.password, resource="b", plugins=PLUGINS)
    # slixmpp approves a subscription request and asks back (auto_authorize, auto_subscribe).
    alice.send_presence(pto=BOB, ptype="subscribe")
    check(await alice.wait_until(lambda: any(str(p["from"]) == BOB + "/phone" and p["type"] in ("", "available")
                                             for p in alice.presences), timeout=15),
          "alice on B sees bob on A available")

    alice.send_message(mto=BOB + "/phone", mbody="before the cut", mtype="chat")
    check(await bob.wait_until(lambda: "before the cut" in bodies(bob)), "bob on A gets alice's message from B")
    await round_trip(bob)  # his ack of it is in
    sent_on_a = sm.seq
    await cut(bob)
    # A sees the connection end and keeps the session for resumption.
    check(await asyncio.get_event_loop().run_in_executor(
        None, lambda: ht.wait_for(lambda: f"xmpp.detached jid={BOB}/phone" in a.log(), timeout=15)),
        "node A keeps bob's session detached")
    alice.send_message(mto=BOB + "/phone", mbody="while detached", mtype="chat")
    await round_trip(alice)  # routed (to A's detached session)

    how, resumed = await reconnect(bob, b)
    check(how == "resumed", f"bob resumes his session on node B ({how})")
    if resumed is not None:
        check(int(resumed["h"]) == sent_on_a,
              f"<resumed h='{resumed['h']}'/> counts the {sent_on_a} stanzas bob sent on A")
    check(await bob.wait_until(lambda: "while detached" in bodies(bob), timeout=15),
          "the message sent while bob was detached arrives after the resumption on B")
    await round_trip(bob)
    check(bodies(bob).count("while detached") == 1 and bodies(bob).count("before the cut") == 1,
          f"each message arrived exactly once ({bodies(bob)})")
    # The server's count of what it sent bob matches what bob counted (XEP-0198 §4).
    acked = asyncio.get_event_loop().create_future()
    bob.register_handler(Callback("server ack", MatchXPath("{urn:xmpp:sm:3}a"),
                                  lambda st: acked.done() or acked.set_result(int(st["h"]))))
    sm.request_ack()
    server_h = await asyncio.wait_for(acked, 10)
    check(server_h == sm.seq, f"the server's h ({server_h}) is what bob sent in all ({sm.seq})")
    check(not any(str(p["from"]) == BOB + "/phone" and p["type"] == "unavailable" for p in alice.presences),
          "alice never saw bob/phone unavailable: the session moved without ending")
    alice.send_message(mto=BOB + "/phone", mbody="after the move", mtype="chat")
    check(await bob.wait_until(lambda: "after the move" in bodies(bob)), "bob, now on B, gets alice's next message")
    check(f"xmpp.handover.taken jid={BOB}/phone" in b.log(), "node B logged the hand-over")

    # A resumption id naming a node that was killed: the resumption fails, the client binds anew.
    alice2 = await login(a, ALICE, a.password, resource="tablet", plugins=PLUGINS)
    sm2 = alice2.plugin["xep_0198"]
    check(await alice2.wait_until(lambda: sm2.sm_id is not None and sm2.enabled_in),
          "alice's tablet on A has resumable stream management")
    await cut(alice2)
    a.proc.kill()
    a.proc.wait(timeout=30)
    failed = asyncio.Event()
    alice2.add_event_handler("sm_failed", lambda *_: failed.set(), disposable=True)
    how, _ = await reconnect(alice2, b)
    check(failed.is_set() and how == "bound", f"resuming a session of the killed node fails and the tablet binds anew ({how})")
    alice2.send_message(mto=BOB + "/phone", mbody="from the tablet, bound anew", mtype="chat")
    check(await bob.wait_until(lambda: "from the tablet, bound anew" in bodies(bob)),
          "the tablet's new session on B works")
    for c in (alice, alice2, bob):
        c.disconnect()


run_killing_a(scenario)
