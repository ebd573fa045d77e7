"""A room message that the room's home node handled and then died (-9) before its
acknowledgement reached the sending node (README "Several nodes"): the sending node sends it
again to the room's new home, which finds it in the room's archive and neither sends nor
stores it a second time.

A private PostgreSQL cluster (pg_cluster.py) listens on NET.10; node A serves on NET.1 and node
B on NET.2 (xmpp_nodes.Node). Node A runs with the test hook HEARTH_TEST_XMPP_UNACKED=message:
it handles the room messages other nodes forward to it and never acknowledges them, as if it
were killed between the two each time, so node B holds each such message until it sees A
gone. slixmpp clients:

- alice on A creates a persistent room (A is its home); bob and carol on B join;
- bob sends a message from B: A archives it and sends it to alice, bob and carol, and sends
  no acknowledgement;
- A is killed with -9; B sees A gone, takes the room over and sends the message it held to
  the room (now on B) again, marked as resent: the room finds it in its archive and drops it;
- bob and carol got it once, also after bob's next message has gone round; alice, back on B,
  finds it once in the history sent on joining and once in the room's archive (MAM).

A binary without the hook acknowledges, B resends nothing, and the check that B sent it again
fails: the test needs the window to have happened.
"""
import asyncio

import hearth_test as ht
from hearth_test import check  # noqa: E402
from xmpp_nodes import ALICE, BOB, BOB_PW, require_postgres, run_killing_a  # noqa: E402

require_postgres()
from xmpp_util import login, raw_iq  # noqa: E402

CAROL = "carol@home.test"
CAROL_PW = "pw-carol-secret"
ROOM = "hall@conference.home.test"
MAM = "urn:xmpp:mam:2"
PLUGINS = ("xep_0030", "xep_0045", "xep_0004", "xep_0203")
SENT = "handled by A, then A was killed"


def configure(a):
    a.cli(["user", "add", CAROL, "--password-stdin"], input=CAROL_PW + "\n")


def room_bodies(c):
    return [str(m["body"]) for m in c.messages if m["type"] == "groupchat" and str(m["from"]).startswith(ROOM + "/")]


def in_log(node, text, timeout):
    return asyncio.get_event_loop().run_in_executor(None, lambda: ht.wait_for(lambda: text in node.log(), timeout=timeout))


async def archived_bodies(c):
    start = len(c.all_messages)
    await raw_iq(c, "set", f"<query xmlns='{MAM}' queryid='q1'/>", to=ROOM)
    out = []
    for m in c.all_messages[start:]:
        r = m.xml.find(f"{{{MAM}}}result")
        if r is not None and r.get("queryid") == "q1":
            b = r.find(".//{jabber:client}body")
            out.append(b.text if b is not None else None)
    return out


async def scenario(a, b):
    alice = await login(a, ALICE, a.password, resource="pc", plugins=PLUGINS)
    await alice.plugin["xep_0045"].join_muc_wait(ROOM, "Alice", timeout=15)
    form = await alice.plugin["xep_0045"].get_room_config(ROOM)
    form.set_values({"muc#roomconfig_persistentroom": True})
    await alice.plugin["xep_0045"].set_room_config(ROOM, form)
    check(await in_log(a, f"xmpp.muc.create room={ROOM}", 10), "node A created the room (its home)")
    check("xmpp.cluster.test_hook unacked=message" in a.log(), "node A runs with the test hook")

    bob = await login(b, BOB, BOB_PW, resource="phone", plugins=PLUGINS)
    carol = await login(b, CAROL, CAROL_PW, resource="web", plugins=PLUGINS)
    # The MUC plugin turns a room's presence into this event, not "presence".
    carol.add_event_handler("groupchat_presence", lambda p: carol.presences.append(p))
    await bob.plugin["xep_0045"].join_muc_wait(ROOM, "Bob", timeout=15)
    await carol.plugin["xep_0045"].join_muc_wait(ROOM, "Carol", timeout=15)

    bob.send_message(mto=ROOM, mbody=SENT, mtype="groupchat")
    check(await carol.wait_until(lambda: SENT in room_bodies(carol), timeout=15), "carol (B) gets bob's message from A")
    check(await bob.wait_until(lambda: SENT in room_bodies(bob)), "it comes back to bob (B)")
    check(await alice.wait_until(lambda: SENT in room_bodies(alice)), "alice (A) gets it")

    # Within the hold (15 s): B still holds the message, unacknowledged.
    a.proc.kill()
    a.proc.wait(timeout=30)
    check(await in_log(b, f"xmpp.cluster.rerouted room={ROOM} node=", 20),
          "B sees A gone and sends the message it held to the room's new home again")
    check(await in_log(b, f"xmpp.muc.rehome room={ROOM} stored=yes", 10), "B took the room over")
    bob.send_message(mto=ROOM, mbody="after the take-over", mtype="groupchat")
    check(await carol.wait_until(lambda: "after the take-over" in room_bodies(carol), timeout=15),
          "carol gets bob's next message through the room on B")
    check(await bob.wait_until(lambda: "after the take-over" in room_bodies(bob)), "and bob gets it back")
    check(room_bodies(carol).count(SENT) == 1, f"carol got the resent message once ({room_bodies(carol).count(SENT)})")
    check(room_bodies(bob).count(SENT) == 1, f"bob got it back once ({room_bodies(bob).count(SENT)})")
    check(f"xmpp.muc.duplicate room={ROOM} origin=" in b.log(), "B's room logged the resent copy as a duplicate")

    # Alice's seat went with A (B seats her out once it expires A's sessions): she joins anew.
    check(await carol.wait_until(lambda: any(str(p["from"]) == ROOM + "/Alice" and p["type"] == "unavailable"
                                             for p in carol.presences), timeout=20), "carol sees alice leave")
    alice2 = await login(b, ALICE, a.password, resource="laptop", plugins=PLUGINS)
    _, _, _, history = await alice2.plugin["xep_0045"].join_muc_wait(ROOM, "Alice", timeout=15)
    got = [str(h["body"]) for h in history if str(h["body"])]
    check(got == [SENT, "after the take-over"], f"the history sent on joining holds it once ({got})")
    archived = await archived_bodies(alice2)
    check(archived == [SENT, "after the take-over"], f"the room's archive holds it once ({archived})")
    for c in (alice2, bob, carol, alice):
        c.disconnect()


run_killing_a(scenario, configure, a_env={"HEARTH_TEST_XMPP_UNACKED": "message"})
