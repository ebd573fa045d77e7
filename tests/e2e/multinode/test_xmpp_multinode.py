"""XMPP across two nodes on one PostgreSQL (README "Several nodes"): a session registry says
which node holds which resource, and stanzas for a resource on the other node are forwarded
there through NOTIFY.

A private PostgreSQL cluster (pg_cluster.py) listens on NET.10; node A serves on NET.1 and node
B on NET.2 with their own data directories and A's configuration otherwise (as in
test_multinode.py). slixmpp clients:

- alice on A and bob on B subscribe to each other and see each other's presence;
- they chat both ways, once with a message longer than a NOTIFY payload;
- bob's second resource on A, with carbons (XEP-0280), gets copies of what bob on B receives and
  sends;
- both join one room (XEP-0045) from their nodes and see each other's messages and presence;
- node B is killed with -9: alice gets bob's unavailable presence from A, a message for bob
  is stored offline on A, and bob finds it when he logs in on A.
"""
import asyncio

from hearth_test import check, finish, pg_query  # noqa: E402
from xmpp_nodes import ALICE, BOB, BOB_PW, require_postgres, start_two_nodes  # noqa: E402

require_postgres()
from xmpp_util import login, run  # noqa: E402

PLUGINS = ("xep_0030", "xep_0004", "xep_0045", "xep_0280", "xep_0203")


def bodies(c, kind):
    return [str(m["body"]) for m in c.messages if m["type"] == kind]


async def scenario(a, b, url):
    alice = await login(a, ALICE, a.password, resource="a", plugins=PLUGINS)
    bob = await login(b, BOB, BOB_PW, resource="b", plugins=PLUGINS)
    # slixmpp approves a subscription request and asks back (auto_authorize, auto_subscribe).
    alice.send_presence(pto=BOB, ptype="subscribe")
    got = await alice.wait_until(lambda: any(str(p["from"]) == BOB + "/b" and p["type"] in ("", "available")
                                             for p in alice.presences), timeout=15)
    check(got, "alice on A sees bob on B available")
    got = await bob.wait_until(lambda: any(str(p["from"]) == ALICE + "/a" and p["type"] in ("", "available")
                                           for p in bob.presences), timeout=15)
    check(got, "bob on B sees alice on A available")

    alice.send_message(mto=BOB, mbody="hello from node A", mtype="chat")
    check(await bob.wait_until(lambda: "hello from node A" in bodies(bob, "chat")), "A -> B: bob gets alice's message")
    bob.send_message(mto=ALICE + "/a", mbody="hello from node B", mtype="chat")
    check(await alice.wait_until(lambda: "hello from node A" not in bodies(alice, "chat") and
                                 "hello from node B" in bodies(alice, "chat")), "B -> A: alice gets bob's answer")

    # Longer than a NOTIFY payload: it waits in the relay table for node B.
    long_text = "long " + "x" * 12000
    alice.send_message(mto=BOB, mbody=long_text, mtype="chat")
    check(await bob.wait_until(lambda: long_text in bodies(bob, "chat")), "a 12 KB message crosses from A to B")

    # Bob's second resource, on node A, with carbons.
    bob2 = await login(a, BOB, BOB_PW, resource="b2", plugins=PLUGINS)
    await bob2.plugin["xep_0280"].enable()
    start = len(bob2.all_messages)
    alice.send_message(mto=BOB + "/b", mbody="for bob's first resource", mtype="chat")
    check(await bob.wait_until(lambda: "for bob's first resource" in bodies(bob, "chat")), "bob/b gets a full-JID message")

    def carbon(kind, text):
        for m in bob2.all_messages[start:]:
            c = m.xml.find(f"{{urn:xmpp:carbons:2}}{kind}")
            if c is not None and any(b.text == text for b in c.iter("{jabber:client}body")):
                return True
        return False

    check(await bob2.wait_until(lambda: carbon("received", "for bob's first resource")),
          "bob/b2 on A gets the received carbon of what bob/b on B got")
    bob.send_message(mto=ALICE, mbody="sent from bob's first resource", mtype="chat")
    check(await bob2.wait_until(lambda: carbon("sent", "sent from bob's first resource")),
          "bob/b2 on A gets the sent carbon of what bob/b on B sent")
    bob2.disconnect()
    await bob2.disconnected

    # One room, an occupant on each node.
    room = "nodes@conference.home.test"
    # slixmpp's MUC plugin takes room presences as "groupchat_presence" events.
    alice.add_event_handler("groupchat_presence", lambda p: alice.presences.append(p))
    await alice.plugin["xep_0045"].join_muc_wait(room, "Alice", timeout=10)
    # XEP-0045 §10.1: a new room stays locked until its owner accepts a configuration.
    form = await alice.plugin["xep_0045"].get_room_config(room)
    await alice.plugin["xep_0045"].set_room_config(room, form)
    await bob.plugin["xep_0045"].join_muc_wait(room, "Bob", timeout=10)
    check(await alice.wait_until(lambda: any(str(p["from"]) == room + "/Bob" for p in alice.presences)),
          "alice (A) sees bob (B) join the room")
    alice.send_message(mto=room, mbody="room message from A", mtype="groupchat")
    bob.send_message(mto=room, mbody="room message from B", mtype="groupchat")
    check(await bob.wait_until(lambda: "room message from A" in bodies(bob, "groupchat")),
          "bob (B) sees alice's room message")
    check(await alice.wait_until(lambda: "room message from B" in bodies(alice, "groupchat")),
          "alice (A) sees bob's room message")

    # Node B dies: its sessions are gone for A as soon as its database connection is.
    node_b = b.node_id()
    backend = []
    for _ in range(50):  # recorded at its first heartbeat after its listener connected
        backend = pg_query(url, f"SELECT backend FROM xmpp_node WHERE node = '{node_b}'")
        if backend and backend[0] != "0":
            break
        await asyncio.sleep(0.2)
    check(backend and backend[0] != "0", f"node B recorded its listening connection ({backend})")
    b.proc.kill()
    b.proc.wait(timeout=30)
    gone = False
    for _ in range(150):
        if backend and pg_query(url, f"SELECT count(*) FROM pg_stat_activity WHERE pid = {backend[0]}") == ["0"]:
            gone = True
            break
        await asyncio.sleep(0.2)
    check(gone, "node B's database connection ended with it")
    # A notices at its next heartbeat and says so for B: bob/b is unavailable for alice.
    check(await alice.wait_until(lambda: any(str(p["from"]) == BOB + "/b" and p["type"] == "unavailable"
                                             for p in alice.presences), timeout=20),
          "alice on A gets bob/b's unavailable presence after node B died")
    alice.send_message(mto=BOB, mbody="while node B is down", mtype="chat")
    # A handles a session's stanzas in order: once this answer is in, the message was routed.
    await alice.plugin["xep_0030"].get_info(jid="home.test", timeout=10)
    bob3 = await login(a, BOB, BOB_PW, resource="back", plugins=PLUGINS)

    def offline_copy():
        for m in bob3.messages:
            if str(m["body"]) == "while node B is down":
                return m.xml.find("{urn:xmpp:delay}delay") is not None
        return False

    check(await bob3.wait_until(offline_copy),
          "bob, back on A, gets the message sent while B was down, from offline storage (delay stamp)")
    for c in (alice, bob3):
        c.disconnect()


pg, url, a, b = start_two_nodes()
try:
    run(scenario(a, b, url), timeout=150)
    rc, _ = a.stop()
    check(rc == 0, "A stops cleanly")
finally:
    pg.stop()
finish()
