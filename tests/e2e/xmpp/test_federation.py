"""Federation (issue 6 step 4): two hearth instances for a.test and b.test on two loopback
addresses, knot serving their _xmpp-server._tcp SRV records. A user of each, with slixmpp:
subscription across servers (request, approval, presence both ways), messages both ways,
a message to a domain whose server is unreachable bounces with remote-server-not-found.
The instances' certificates are signed by two different dev CAs that neither side trusts,
so the streams are authenticated by Server Dialback (XEP-0220)."""
import asyncio
import os
import re
import sys

from hearth_test import NET, check, finish
from knot import Knot

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import instance_with_users, login, roster_of, run, set_key  # noqa: E402

S2S_PORT = 5269 + 20000
zones = {
    "a.test": f"_xmpp-server._tcp SRV 0 5 {S2S_PORT} xmpp\nxmpp A {NET}.2\n",
    "b.test": (f"_xmpp-server._tcp SRV 0 5 {S2S_PORT} xmpp\nxmpp A {NET}.3\n"
               # down.b.test: a domain whose server does not listen (connection refused).
               f"_xmpp-server._tcp.down SRV 0 5 {S2S_PORT} nowhere\nnowhere A {NET}.9\n"),
}
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()


def configure(inst):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')


A_inst, A_users = instance_with_users(email="alice@a.test", host=2, configure=configure)
B_inst, B_users = instance_with_users(email="bob@b.test", host=3, configure=configure)
ALICE, BOB = A_users["demo"], B_users["demo"]


def error_condition(stanza):
    try:
        return stanza["error"]["condition"]
    except Exception:
        return None


async def scenario():
    a = await login(A_inst, *ALICE, resource="pc")
    b = await login(B_inst, *BOB, resource="phone")
    for c in (a, b):
        c.auto_authorize = None
        c.auto_subscribe = False

    # Subscription across servers (RFC 6121 §3.1 over s2s).
    a.send_presence_subscription(pto=BOB[0], ptype="subscribe")
    got = await b.wait_until(lambda: any(p["type"] == "subscribe" and p["from"].bare == ALICE[0] for p in b.presences),
                             timeout=30)
    check(got, "bob@b.test receives alice@a.test's subscription request through s2s")
    b.send_presence_subscription(pto=ALICE[0], ptype="subscribed")
    got = await a.wait_until(lambda: any(p["type"] == "subscribed" and p["from"].bare == BOB[0] for p in a.presences),
                             timeout=20)
    check(got, "alice receives subscribed from bob")
    got = await a.wait_until(lambda: any(p["type"] == "available" and p["from"].bare == BOB[0] for p in a.presences),
                             timeout=20)
    check(got, "alice receives bob's presence after the approval")
    ra = await roster_of(a)
    check(ra.get(BOB[0], ("", ""))[0] == "to", f"alice's roster: bob subscription=to ({ra.get(BOB[0])})")
    rb = await roster_of(b)
    check(rb.get(ALICE[0], ("", ""))[0] == "from", f"bob's roster: alice subscription=from ({rb.get(ALICE[0])})")

    # Presence updates follow the subscription.
    b.send_presence(pshow="away", pstatus="at lunch")
    got = await a.wait_until(lambda: any(p["from"].bare == BOB[0] and p["status"] == "at lunch" for p in a.presences),
                             timeout=20)
    check(got, "alice sees bob's presence update (away, 'at lunch')")

    # Messages both ways.
    a.send_message(mto=BOB[0], mbody="hello bob, from a.test", mtype="chat")
    got = await b.wait_until(lambda: any(m["body"] == "hello bob, from a.test" for m in b.messages), timeout=20)
    check(got, "bob receives alice's message")
    m = next((m for m in b.messages if m["body"] == "hello bob, from a.test"), None)
    check(m is not None and m["from"].full == ALICE[0] + "/pc", f"the message is from alice's full JID ({m and m['from']})")
    b.send_message(mto=ALICE[0] + "/pc", mbody="hi alice, from b.test", mtype="chat")
    got = await a.wait_until(lambda: any(m["body"] == "hi alice, from b.test" for m in a.messages), timeout=20)
    check(got, "alice receives bob's answer")

    # A message to a domain whose server is unreachable bounces after the connection fails.
    a.send_message(mto="someone@down.b.test", mbody="nobody home", mtype="chat")
    got = await a.wait_until(lambda: any(m["type"] == "error" and m["from"].bare == "someone@down.b.test"
                                         for m in a.all_messages), timeout=30)
    check(got, "a message to an unreachable server bounces to the sender")
    err = next((m for m in a.all_messages if m["type"] == "error" and m["from"].bare == "someone@down.b.test"), None)
    check(err is not None and error_condition(err) == "remote-server-not-found",
          f"the bounce is remote-server-not-found ({err is not None and error_condition(err)})")

    a.disconnect()
    b.disconnect()
    await asyncio.sleep(0.3)


run(scenario())
for inst, peer in ((A_inst, "b.test"), (B_inst, "a.test")):
    log = inst.log()
    check(re.search(r"xmpp\.s2s\.in\.dialback .*from=" + re.escape(peer) + r".*valid=yes", log) is not None,
          f"{inst.domain} authenticated {peer} by dialback (log)")
    check("xmpp.s2s.out.ready" in log, f"{inst.domain} brought up an outgoing stream (log)")
finish()
