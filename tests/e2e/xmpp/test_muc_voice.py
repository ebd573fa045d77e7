"""Group chat gaps (XEP-0045) with slixmpp against one hearth: voice requests in a moderated
room (§7.13: the visitor's request reaches the moderator as a form; §8.6: the moderator's
approval gives voice, seen in the visitor's presence, and the visitor may then speak);
registration with a room (§7.10: the form, a reserved nick refused to others, <registered/>,
<remove/>); and carbons (XEP-0280 §6) of private messages between occupants, both received and
sent, to a resource of the same account that is not in the room."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import check, finish  # noqa: E402
from xmpp_util import instance_with_users, login, raw_iq, run  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

MUC_USER = "http://jabber.org/protocol/muc#user"
DATA = "jabber:x:data"
CARBONS = "urn:xmpp:carbons:2"
FORWARD = "urn:xmpp:forward:0"
PLUGINS = ("xep_0030", "xep_0045", "xep_0004")

inst, users = instance_with_users("bob", "carol")
ALICE, BOB, CAROL = users["demo"], users["bob"], users["carol"]
ROOM = "stage@conference." + inst.domain


def form_fields(x):
    return {f.get("var"): [v.text for v in f.findall(f"{{{DATA}}}value")] for f in x.findall(f"{{{DATA}}}field")}


def request_form(extra=""):
    return (f"<x xmlns='{DATA}' type='submit'>"
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
            f"<field var='muc#role'><value>participant</value></field>{extra}</x>")


def send_raw_message(c, to, payload_xml):
    import xml.etree.ElementTree as ET
    m = c.Message()
    m["to"] = to
    m.append(ET.fromstring(payload_xml))
    m.send()


async def voice(a, b):
    await a.plugin["xep_0045"].join_muc_wait(ROOM, "Alice", timeout=10)
    form = await a.plugin["xep_0045"].get_room_config(ROOM)
    form.set_values({"muc#roomconfig_moderatedroom": True})
    await a.plugin["xep_0045"].set_room_config(ROOM, form)
    pres, _, _, _ = await b.plugin["xep_0045"].join_muc_wait(ROOM, "Bob", timeout=10)
    item = pres.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}item")
    check(item is not None and item.get("role") == "visitor", "in a moderated room, bob joins as a visitor")
    info = await raw_iq(b, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=ROOM)
    feats = {f.get("var") for f in info.xml.iter("{http://jabber.org/protocol/disco#info}feature")}
    check({"jabber:iq:register", "http://jabber.org/protocol/muc#request"} <= feats,
          "the room announces registration and voice requests")

    send_raw_message(b, ROOM, request_form())
    got = await a.wait_until(lambda: any(m.xml.find(f"{{{DATA}}}x") is not None for m in a.all_messages))
    approval = next((m for m in a.all_messages if m.xml.find(f"{{{DATA}}}x") is not None), None)
    fields = form_fields(approval.xml.find(f"{{{DATA}}}x")) if approval is not None else {}
    check(got and approval["from"] == ROOM and fields.get("muc#roomnick") == ["Bob"]
          and fields.get("FORM_TYPE") == ["http://jabber.org/protocol/muc#request"]
          and fields.get("muc#request_allow") == ["false"],
          f"the moderator gets the voice request as an approval form naming Bob ({fields})")
    check(fields.get("muc#jid") == [f"{BOB[0]}/phone"], "the moderator sees the requester's real JID")

    before = len(b.raw_presences)
    send_raw_message(a, ROOM, request_form("<field var='muc#roomnick'><value>Bob</value></field>"
                                           "<field var='muc#request_allow'><value>true</value></field>"))

    def has_voice():
        for p in b.raw_presences[before:]:
            it = p.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}item")
            if str(p["from"]) == ROOM + "/Bob" and it is not None and it.get("role") == "participant":
                return True
        return False
    check(await b.wait_until(has_voice), "after the approval bob's presence shows the participant role")
    b.send_message(mto=ROOM, mbody="now I may speak", mtype="groupchat")
    check(await a.wait_until(lambda: any(m["body"] == "now I may speak" for m in a.messages)),
          "bob, given voice, speaks in the room")


async def registration(b, c):
    form = await raw_iq(c, "get", "<query xmlns='jabber:iq:register'/>", to=ROOM)
    x = form.xml.find(f"{{jabber:iq:register}}query/{{{DATA}}}x")
    check(x is not None and "muc#register_roomnick" in form_fields(x), "the room offers its registration form")
    submit = ("<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
              "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
              "<field var='muc#register_roomnick'><value>{}</value></field></x></query>")
    res = await raw_iq(c, "set", submit.format("Caro"), to=ROOM)
    check(res["type"] == "result", "carol registers the nick Caro")
    again = await raw_iq(c, "get", "<query xmlns='jabber:iq:register'/>", to=ROOM)
    q = again.xml.find("{jabber:iq:register}query")
    check(q is not None and q.find("{jabber:iq:register}registered") is not None
          and q.findtext("{jabber:iq:register}username") == "Caro", "the room says carol is registered as Caro")
    try:
        await raw_iq(b, "set", submit.format("Caro"), to=ROOM)
        check(False, "another user cannot register a reserved nick")
    except IqError as e:
        check(e.iq["error"]["condition"] == "conflict", "another user cannot register a reserved nick (conflict)")
    # Bob (in the room as Bob) may not take the reserved nick.
    b.send_presence(pto=ROOM + "/Caro")
    got = await b.wait_until(lambda: any(p["type"] == "error" and p["error"]["condition"] == "conflict"
                                         and str(p["from"]) == ROOM + "/Caro" for p in b.raw_presences))
    check(got, "a nick change to a reserved nick is refused with conflict")
    res = await raw_iq(c, "set", "<query xmlns='jabber:iq:register'><remove/></query>", to=ROOM)
    check(res["type"] == "result", "carol gives the nick back")
    res = await raw_iq(b, "set", submit.format("Caro"), to=ROOM)
    check(res["type"] == "result", "after <remove/> the nick may be registered by someone else")


async def carbons(a, b, a2):
    await raw_iq(a2, "set", f"<enable xmlns='{CARBONS}'/>")
    b.send_message(mto=ROOM + "/Alice", mbody="psst, alice", mtype="chat")
    check(await a.wait_until(lambda: any(m["body"] == "psst, alice" for m in a.messages)),
          "alice's resource in the room gets bob's private message")

    def carbon(kind, body):
        for m in a2.all_messages:
            c = m.xml.find(f"{{{CARBONS}}}{kind}/{{{FORWARD}}}forwarded/{{jabber:client}}message")
            if c is not None and c.findtext("{jabber:client}body") == body:
                return c
        return None
    got = await a2.wait_until(lambda: carbon("received", "psst, alice") is not None)
    c = carbon("received", "psst, alice")
    check(got and c.get("from") == ROOM + "/Bob" and c.find(f"{{{MUC_USER}}}x") is not None,
          "alice's other resource gets a received carbon of the MUC private message, with muc#user x")
    a.send_message(mto=ROOM + "/Bob", mbody="psst, bob", mtype="chat")
    check(await b.wait_until(lambda: any(m["body"] == "psst, bob" for m in b.messages)), "bob gets alice's reply")
    got = await a2.wait_until(lambda: carbon("sent", "psst, bob") is not None)
    check(got and carbon("sent", "psst, bob").get("to") == ROOM + "/Bob",
          "alice's other resource gets a sent carbon of her private message")


async def scenario():
    a = await login(inst, *ALICE, resource="pc", plugins=PLUGINS)
    b = await login(inst, *BOB, resource="phone", plugins=PLUGINS)
    c = await login(inst, *CAROL, resource="web", plugins=PLUGINS)
    a2 = await login(inst, *ALICE, resource="tablet", plugins=PLUGINS)
    # Every presence bob gets, errors included (slixmpp's MUC plugin takes the room's).
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath
    b.raw_presences = []
    b.register_handler(Callback("all presences", MatchXPath("{jabber:client}presence"),
                                lambda p: b.raw_presences.append(p)))
    await voice(a, b)
    await registration(b, c)
    await carbons(a, b, a2)
    for cl in (a, b, c, a2):
        cl.disconnect()
    await asyncio.sleep(0.3)


run(scenario())
inst.stop()
finish()
