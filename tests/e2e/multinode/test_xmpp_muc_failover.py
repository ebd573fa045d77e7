"""A group chat room whose home node is killed with -9 (README "Several nodes"): the room moves
to a surviving node with its occupants, and they go on chatting without joining again.

A private PostgreSQL cluster (pg_cluster.py) listens on NET.10; node A serves on NET.1 and node
B on NET.2 (xmpp_nodes.Node). A killed node is seen gone at the others' next heartbeat (its
database connection ends with it), not after the lease. slixmpp clients:

- alice on A creates a persistent room (so A is its home), sets its subject; bob and carol on B
  join; everyone chats;
- A is killed with -9 and bob sends to the room at once, before B has seen A gone (B checks
  which nodes live every second): B holds that message and, once it sees A gone, gives it to
  the room's new home (B itself), so carol gets it and bob gets it back, once each;
- bob and carol see alice leave with status 333 (her session died with A), and without
  joining again bob's message reaches carol and comes back to bob, through the room now on B;
  B logs the room's take-over with its occupants;
- alice connects to B and joins: the subject and the history (messages sent before and after
  the death) are there, and bob and carol see her arrive;
- a temporary room that alice created on A (bob and carol in it) is taken over the same way:
  bob and carol go on chatting in it without joining again, and when they leave it empties
  and B destroys it.
"""
import asyncio

import hearth_test as ht
from hearth_test import check  # noqa: E402
from xmpp_nodes import ALICE, BOB, BOB_PW, require_postgres, run_killing_a  # noqa: E402

require_postgres()
from xmpp_util import login  # noqa: E402

CAROL = "carol@home.test"
CAROL_PW = "pw-carol-secret"
ROOM = "hall@conference.home.test"
TEMP = "den@conference.home.test"
MUC_USER = "http://jabber.org/protocol/muc#user"
PLUGINS = ("xep_0030", "xep_0045", "xep_0004", "xep_0203")


def configure(a):
    a.cli(["user", "add", CAROL, "--password-stdin"], input=CAROL_PW + "\n")


def statuses(p):
    x = p.xml.find(f"{{{MUC_USER}}}x")
    return set() if x is None else {int(s.get("code")) for s in x.findall(f"{{{MUC_USER}}}status")}


def room_bodies(c, room=ROOM):
    return [str(m["body"]) for m in c.messages if m["type"] == "groupchat" and str(m["from"]).startswith(room + "/")]


async def joined(c, nick, room=ROOM):
    if not getattr(c, "watching_rooms", False):
        c.watching_rooms = True
        c.add_event_handler("groupchat_presence", lambda p: c.presences.append(p))
    return await c.plugin["xep_0045"].join_muc_wait(room, nick, timeout=15)


def left(c, nick, room=ROOM):
    return [p for p in c.presences if str(p["from"]) == f"{room}/{nick}" and p["type"] == "unavailable"]


async def scenario(a, b):
    alice = await login(a, ALICE, a.password, resource="pc", plugins=PLUGINS)
    await joined(alice, "Alice")
    form = await alice.plugin["xep_0045"].get_room_config(ROOM)
    form.set_values({"muc#roomconfig_persistentroom": True})
    await alice.plugin["xep_0045"].set_room_config(ROOM, form)
    alice.plugin["xep_0045"].set_subject(ROOM, "before the fall")
    check(await alice.wait_until(lambda: any(m["subject"] == "before the fall" for m in alice.all_messages)),
          "alice on A creates the persistent room and sets its subject")
    check(await asyncio.get_event_loop().run_in_executor(
        None, lambda: ht.wait_for(lambda: f"xmpp.muc.create room={ROOM}" in a.log(), timeout=10)),
        "node A created the room (its home)")

    # The temporary room: an instant room (the default form, submitted as it is).
    await joined(alice, "Alice", TEMP)
    temp_form = await alice.plugin["xep_0045"].get_room_config(TEMP)
    await alice.plugin["xep_0045"].set_room_config(TEMP, temp_form)

    bob = await login(b, BOB, BOB_PW, resource="phone", plugins=PLUGINS)
    carol = await login(b, CAROL, CAROL_PW, resource="web", plugins=PLUGINS)
    await joined(bob, "Bob")
    await joined(carol, "Carol")
    await joined(bob, "Bob", TEMP)
    await joined(carol, "Carol", TEMP)
    alice.send_message(mto=TEMP, mbody="den before", mtype="groupchat")
    check(await bob.wait_until(lambda: "den before" in room_bodies(bob, TEMP)),
          "bob (B) gets alice's message in the temporary room on A")
    check(await alice.wait_until(lambda: any(str(p["from"]) == ROOM + "/Carol" for p in alice.presences)),
          "alice (A) sees carol (B) join")
    alice.send_message(mto=ROOM, mbody="from A before", mtype="groupchat")
    check(await carol.wait_until(lambda: "from A before" in room_bodies(carol)), "carol (B) gets alice's message")
    bob.send_message(mto=ROOM, mbody="from B before", mtype="groupchat")
    check(await alice.wait_until(lambda: "from B before" in room_bodies(alice)), "alice (A) gets bob's message")
    check(await carol.wait_until(lambda: "from B before" in room_bodies(carol)), "carol (B) gets bob's message")

    a.proc.kill()
    a.proc.wait(timeout=30)
    # At once: B's cache still names A as the room's home.
    bob.send_message(mto=ROOM, mbody="in the window", mtype="groupchat")
    check(await carol.wait_until(lambda: "in the window" in room_bodies(carol), timeout=15),
          "bob's message sent right after A's death reaches carol once the room is on B")
    check(await bob.wait_until(lambda: "in the window" in room_bodies(bob), timeout=5),
          "and comes back to bob")
    # B sees A's database connection end at its next heartbeat; alice's seat goes with A.
    check(await carol.wait_until(lambda: any(333 in statuses(p) for p in left(carol, "Alice")), timeout=20),
          f"carol sees alice leave with status 333 ({[sorted(statuses(p)) for p in left(carol, 'Alice')]})")
    check(await bob.wait_until(lambda: bool(left(bob, "Alice")), timeout=10), "bob sees alice leave")
    check(f"xmpp.muc.rehome room={ROOM} stored=yes occupants=3" in b.log(),
          "node B took the room over with its three occupants")

    bob.send_message(mto=ROOM, mbody="from B after", mtype="groupchat")
    check(await carol.wait_until(lambda: "from B after" in room_bodies(carol), timeout=15),
          "without joining again, carol gets bob's message through the room on B")
    check(await bob.wait_until(lambda: "from B after" in room_bodies(bob)), "bob's message is reflected to him")
    carol.send_message(mto=ROOM, mbody="from carol after", mtype="groupchat")
    check(await bob.wait_until(lambda: "from carol after" in room_bodies(bob)), "bob gets carol's message")
    check(not left(carol, "Bob") and not left(bob, "Carol") and not left(carol, "Carol"),
          "nobody on B left the room")
    check(room_bodies(carol).count("in the window") == 1 and room_bodies(bob).count("in the window") == 1,
          f"the message sent in the window arrives once ({room_bodies(carol).count('in the window')} to carol, "
          f"{room_bodies(bob).count('in the window')} back to bob)")
    held = f"xmpp.cluster.rerouted room={ROOM} node=" in b.log()
    print(f"info: the message in the window was {'held and sent on' if held else 'sent after B saw A gone'}")

    check(await carol.wait_until(lambda: bool(left(carol, "Alice", TEMP)), timeout=10),
          "carol sees alice leave the temporary room")
    check(f"xmpp.muc.rehome room={TEMP} stored=yes occupants=3" in b.log(),
          "node B took the temporary room over with its three occupants")
    carol.send_message(mto=TEMP, mbody="den after", mtype="groupchat")
    check(await bob.wait_until(lambda: "den after" in room_bodies(bob, TEMP), timeout=15),
          "without joining again, bob gets carol's message in the temporary room on B")
    check(not left(bob, "Carol", TEMP) and not left(carol, "Bob", TEMP), "nobody on B left the temporary room")
    bob.plugin["xep_0045"].leave_muc(TEMP, "Bob")
    carol.plugin["xep_0045"].leave_muc(TEMP, "Carol")
    check(await asyncio.get_event_loop().run_in_executor(
        None, lambda: ht.wait_for(lambda: f"xmpp.muc.destroy room={TEMP}" in b.log(), timeout=10)),
        "once empty, the temporary room is destroyed on B")

    alice2 = await login(b, ALICE, a.password, resource="laptop", plugins=PLUGINS)
    _, subject, occupants, history = await joined(alice2, "Alice")
    got = [str(h["body"]) for h in history if str(h["body"])]
    check(subject is not None and str(subject["subject"]) == "before the fall",
          f"alice joining on B gets the subject set on A ({subject['subject'] if subject is not None else None})")
    check(got == ["from A before", "from B before", "in the window", "from B after", "from carol after"],
          f"and the history from before and after the death ({got})")
    nicks = sorted(str(p["from"].resource) for p in occupants)
    check(nicks == ["Alice", "Bob", "Carol"], f"and bob and carol as occupants, beside herself ({nicks})")
    def back(c):
        seen = [p for p in c.presences if str(p["from"]) == ROOM + "/Alice"]
        return bool(seen) and seen[-1]["type"] != "unavailable" and len(seen) > 1
    check(await bob.wait_until(lambda: back(bob)), "bob sees alice arrive again")
    for c in (alice2, bob, carol, alice):
        c.disconnect()


run_killing_a(scenario, configure)
