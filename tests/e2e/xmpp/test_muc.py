"""Group chat (XEP-0045) with slixmpp's xep_0045 plugin against one hearth: discovery of
conference.DOMAIN, creating and configuring a room, joins, a nick conflict, messages and their
history on join, private messages, the subject, MAM on the room with RSM paging, kicks, bans,
members-only rooms with a mediated invitation, password-protected rooms, a direct invitation
(XEP-0249), self-ping (XEP-0410), occupant ids (XEP-0421), a temporary room vanishing when
empty, and a persistent room surviving a restart of the server."""
import asyncio
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import check, finish  # noqa: E402
from xmpp_util import instance_with_users, login as plain_login, raw_iq, run, set_key, stanza_error_condition  # noqa: E402
from slixmpp.exceptions import IqError, PresenceError  # noqa: E402

MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
PLUGINS = ("xep_0030", "xep_0045", "xep_0004", "xep_0249", "xep_0199", "xep_0203")

inst, users = instance_with_users(
    "bob", "carol", configure=lambda i: set_key(i.config, "xmpp", "muc_max_rooms_per_user", "4"))
ALICE, BOB, CAROL = users["demo"], users["bob"], users["carol"]
SERVICE = "conference." + inst.domain
TEAM = "team@" + SERVICE


async def login(*args, **kw):
    """A client whose room presences (which slixmpp's MUC plugin keeps from the "presence"
    event) are collected in .presences too."""
    c = await plain_login(*args, **kw)
    c.add_event_handler("groupchat_presence", lambda p: c.presences.append(p))
    return c


def statuses(pres):
    x = pres.xml.find(f"{{{MUC_USER}}}x")
    return set() if x is None else {int(s.get("code")) for s in x.findall(f"{{{MUC_USER}}}status")}


async def join(c, room, nick, **kw):
    try:
        pres, subject, occupants, history = await c.plugin["xep_0045"].join_muc_wait(room, nick, timeout=10, **kw)
        return pres, subject, occupants, history, None
    except PresenceError as e:
        return None, None, None, None, e.condition


async def configure(c, room, values):
    form = await c.plugin["xep_0045"].get_room_config(room)
    form.set_values(values)
    await c.plugin["xep_0045"].set_room_config(room, form)


async def mam_all(c, room, page_size):
    """Reads the room's whole archive page by page (RSM after=last); returns (bodies, pages)."""
    bodies, pages, after, n = [], 0, None, 0
    while pages < 20:
        n += 1
        qid = f"q{n}"
        rsm = f"<set xmlns='{RSM}'><max>{page_size}</max>" + (f"<after>{after}</after>" if after else "") + "</set>"
        start = len(c.all_messages)
        res = await raw_iq(c, "set", f"<query xmlns='{MAM}' queryid='{qid}'>{rsm}</query>", to=room)
        pages += 1
        for m in c.all_messages[start:]:
            r = m.xml.find(f"{{{MAM}}}result")
            if r is not None and r.get("queryid") == qid:
                b = r.find(".//{jabber:client}body")
                bodies.append(b.text if b is not None else None)
        fin = res.xml.find(f"{{{MAM}}}fin")
        last = fin.find(f"{{{RSM}}}set/{{{RSM}}}last")
        if fin.get("complete") == "true" or last is None:
            return bodies, pages, fin.find(f"{{{RSM}}}set/{{{RSM}}}count").text
        after = last.text
    return bodies, pages, None


async def part_one():
    a = await login(inst, *ALICE, resource="pc", plugins=PLUGINS)
    b = await login(inst, *BOB, resource="phone", plugins=PLUGINS)
    c = await login(inst, *CAROL, resource="web", plugins=PLUGINS)

    items = await raw_iq(a, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", to=inst.domain)
    jids = [i.get("jid") for i in items.xml.iter("{http://jabber.org/protocol/disco#items}item")]
    check(SERVICE in jids, f"the domain's disco#items lists {SERVICE} ({jids})")
    info = await raw_iq(a, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=SERVICE)
    feats = {f.get("var") for f in info.xml.iter("{http://jabber.org/protocol/disco#info}feature")}
    ident = info.xml.find(".//{http://jabber.org/protocol/disco#info}identity")
    check(MUC in feats and ident is not None and ident.get("category") == "conference",
          "the service's disco#info: identity conference/text and the muc feature")

    # Create: the owner's self-presence says 110 and 201; then a reserved room's configuration.
    pres, _, _, _, err = await join(a, TEAM, "Alice")
    check(err is None and {110, 201} <= statuses(pres), f"alice creates {TEAM} (status 110 and 201, {err})")
    await configure(a, TEAM, {"muc#roomconfig_persistentroom": True, "muc#roomconfig_roomname": "The Team",
                              "muc#maxhistoryfetch": "10"})
    info = await raw_iq(b, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=TEAM)
    feats = {f.get("var") for f in info.xml.iter("{http://jabber.org/protocol/disco#info}feature")}
    check({"muc_persistent", "muc_public", "muc_open", "muc_unsecured", MUC, MAM, "urn:xmpp:occupant-id:0"} <= feats,
          f"the room's disco#info shows the configuration ({sorted(feats)})")
    items = await raw_iq(b, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", to=SERVICE)
    names = {i.get("jid"): i.get("name") for i in items.xml.iter("{http://jabber.org/protocol/disco#items}item")}
    check(names.get(TEAM) == "The Team", f"the service lists the public room with its name ({names})")

    # A nick in use: 409 conflict.
    _, _, _, _, err = await join(b, TEAM, "Alice")
    check(err == "conflict", f"joining with a nick in use is refused with conflict ({err})")
    pres, _, occupants, _, err = await join(b, TEAM, "Bob")
    check(err is None and 110 in statuses(pres), f"bob joins (self-presence with 110, {err})")
    check(any(p["from"].resource == "Alice" for p in occupants), "bob receives alice's presence on join")
    got = await a.wait_until(lambda: any(p["from"] == TEAM + "/Bob" and p["type"] != "unavailable" for p in a.presences))
    check(got, "alice sees bob arrive")

    # Messages: reflected to everyone with the room's stanza-id and an occupant-id.
    for i in range(1, 6):
        a.send_message(mto=TEAM, mbody=f"team message {i}", mtype="groupchat")
    got = await b.wait_until(lambda: sum(1 for m in b.messages if m["type"] == "groupchat" and
                                         str(m["body"]).startswith("team message")) >= 5)
    check(got, "bob receives alice's five groupchat messages")
    m = next((m for m in b.messages if m["body"] == "team message 1"), None)
    sid = m is not None and m.xml.find("{urn:xmpp:sid:0}stanza-id")
    oid = m is not None and m.xml.find("{urn:xmpp:occupant-id:0}occupant-id")
    check(m is not None and m["from"] == TEAM + "/Alice" and sid is not None and sid.get("by") == TEAM,
          "a reflected message comes from room/nick with the room's stanza-id")
    check(oid is not None and oid.get("id"), "and carries an occupant id (XEP-0421)")
    got = await a.wait_until(lambda: any(m["body"] == "team message 5" for m in a.messages))
    check(got, "alice gets her own messages reflected")

    # History on join, limited to 3 stanzas, delayed by the room.
    _, _, _, history, err = await join(c, TEAM, "Carol", maxstanzas=3)
    bodies = [str(h["body"]) for h in history]
    check(err is None and bodies == ["team message 3", "team message 4", "team message 5"],
          f"carol joins and gets the last 3 messages as history ({bodies}, {err})")

    # The subject: the owner sets it, a participant may not.
    a.plugin["xep_0045"].set_subject(TEAM, "Q3 planning")
    got = await c.wait_until(lambda: any(m["subject"] == "Q3 planning" and m["from"] == TEAM + "/Alice" for m in c.all_messages))
    check(got, "the subject set by the owner reaches the occupants")
    b.plugin["xep_0045"].set_subject(TEAM, "bob's topic")
    got = await b.wait_until(lambda: any(m["type"] == "error" and stanza_error_condition(m) == "forbidden"
                                         for m in b.all_messages))
    check(got, "a participant changing the subject gets forbidden")

    # A private message between occupants.
    b.send_message(mto=TEAM + "/Carol", mbody="psst carol", mtype="chat")
    got = await c.wait_until(lambda: any(m["body"] == "psst carol" and m["from"] == TEAM + "/Bob" for m in c.messages))
    check(got, "a private message from room/Bob reaches carol")

    # MAM on the room, two per page.
    bodies, pages, count = await mam_all(b, TEAM, 2)
    want = [f"team message {i}" for i in range(1, 6)]
    check(bodies == want and pages == 3 and count == "5",
          f"the room's archive pages 2 at a time: {pages} pages, count {count}, {bodies}")

    # A room vCard (its avatar): the owner sets it, anyone reads it.
    await raw_iq(a, "set", "<vCard xmlns='vcard-temp'><FN>The Team</FN><DESC>team room</DESC></vCard>", to=TEAM)
    res = await raw_iq(c, "get", "<vCard xmlns='vcard-temp'/>", to=TEAM)
    fn = res.xml.find(".//{vcard-temp}FN")
    check(fn is not None and fn.text == "The Team", "the room's vCard set by its owner is read by an occupant")
    try:
        await raw_iq(b, "set", "<vCard xmlns='vcard-temp'><FN>mine</FN></vCard>", to=TEAM)
        check(False, "a participant cannot set the room's vCard")
    except IqError as e:
        check(e.iq["error"]["condition"] == "forbidden", "a participant cannot set the room's vCard (forbidden)")

    # Self-ping (XEP-0410): joined answers, not joined is not-acceptable.
    res = await raw_iq(b, "get", "<ping xmlns='urn:xmpp:ping'/>", to=TEAM + "/Bob")
    check(res["type"] == "result", "self-ping of a joined occupant is answered")

    # Kick, then ban.
    await a.plugin["xep_0045"].set_role(TEAM, "Carol", "none", reason="cool down")
    got = await c.wait_until(lambda: any(p["from"] == TEAM + "/Carol" and p["type"] == "unavailable" and
                                         {307, 110} <= statuses(p) for p in c.presences))
    check(got, "carol is kicked (307, 110)")
    try:
        await raw_iq(c, "get", "<ping xmlns='urn:xmpp:ping'/>", to=TEAM + "/Carol")
        check(False, "self-ping after a kick fails")
    except IqError as e:
        check(e.iq["error"]["condition"] == "not-acceptable", f"self-ping after the kick: not-acceptable")
    _, _, _, _, err = await join(c, TEAM, "Carol")
    check(err is None, f"a kicked user may join again ({err})")
    await a.plugin["xep_0045"].set_affiliation(TEAM, "outcast", jid=CAROL[0], reason="spam")
    got = await c.wait_until(lambda: any(p["from"] == TEAM + "/Carol" and 301 in statuses(p) for p in c.presences))
    check(got, "carol is banned (301)")
    _, _, _, _, err = await join(c, TEAM, "Carol2")
    check(err == "forbidden", f"a banned user cannot join ({err})")

    # A members-only room: refused until a mediated invitation makes bob a member.
    club = "club@" + SERVICE
    await join(a, club, "Alice")
    await configure(a, club, {"muc#roomconfig_membersonly": True})
    _, _, _, _, err = await join(b, club, "Bob")
    check(err == "registration-required", f"a non-member is refused by a members-only room ({err})")
    a.plugin["xep_0045"].invite(club, BOB[0], reason="join the club")
    got = await b.wait_until(lambda: any(m.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}invite") is not None and
                                         m["from"] == club for m in b.all_messages))
    check(got, "bob receives the mediated invitation from the room")
    _, _, _, _, err = await join(b, club, "Bob")
    check(err is None, f"the invitation made bob a member: he joins ({err})")

    # A password-protected room.
    vault = "vault@" + SERVICE
    await join(a, vault, "Alice")
    await configure(a, vault, {"muc#roomconfig_passwordprotectedroom": True, "muc#roomconfig_roomsecret": "open sesame"})
    _, _, _, _, err = await join(b, vault, "Bob")
    check(err == "not-authorized", f"no password: not-authorized ({err})")
    _, _, _, _, err = await join(b, vault, "Bob", password="wrong")
    check(err == "not-authorized", f"a wrong password: not-authorized ({err})")
    _, _, _, _, err = await join(b, vault, "Bob", password="open sesame")
    check(err is None, f"the right password lets bob in ({err})")

    # The message rate per occupant (10/s, bursts of 40): a flood is refused in part.
    for i in range(60):
        b.send_message(mto=vault, mbody=f"flood {i}", mtype="groupchat")
    got = await b.wait_until(lambda: any(m["type"] == "error" and stanza_error_condition(m) == "resource-constraint"
                                         for m in b.all_messages))
    check(got, "an occupant flooding a room gets resource-constraint")

    # A direct invitation (XEP-0249) travels as a message between the users.
    a.plugin["xep_0249"].send_invitation(CAROL[0], vault, password="open sesame", reason="come")
    got = await c.wait_until(lambda: any(m.xml.find("{jabber:x:conference}x") is not None for m in c.all_messages))
    check(got, "carol receives alice's direct invitation")

    # A temporary (instant) room vanishes when its last occupant leaves.
    tmp = "tmp@" + SERVICE
    await join(a, tmp, "Alice")
    await raw_iq(a, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>",
                 to=tmp)
    a.plugin["xep_0045"].leave_muc(tmp, "Alice")
    await asyncio.sleep(0.5)
    try:
        await raw_iq(a, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=tmp)
        check(False, "the empty temporary room is gone")
    except IqError as e:
        check(e.iq["error"]["condition"] == "item-not-found", "the empty temporary room is gone (item-not-found)")

    # Nick change (303).
    b.send_presence(pto=TEAM + "/Bobby")
    got = await a.wait_until(lambda: any(p["from"] == TEAM + "/Bob" and 303 in statuses(p) for p in a.presences))
    check(got, "bob's nick change is announced with 303")
    for x in (a, b, c):
        x.disconnect()
    await asyncio.sleep(0.3)


async def part_two():
    b = await login(inst, *BOB, resource="phone2", plugins=PLUGINS)
    a = await login(inst, *ALICE, resource="pc2", plugins=PLUGINS)
    pres, subject, _, history, err = await join(b, TEAM, "Bob", maxstanzas=2)
    check(err is None, f"after the restart bob joins the persistent room ({err})")
    check(subject is not None and subject["subject"] == "Q3 planning", "the subject survived the restart")
    bodies = [str(h["body"]) for h in history or []]
    check(bodies == ["team message 4", "team message 5"], f"the history survived the restart ({bodies})")
    try:
        form = await a.plugin["xep_0045"].get_room_config(TEAM)
        check(form is not None, "alice is still the owner (she reads the configuration)")
    except IqError as e:
        check(False, f"alice is still the owner ({e.iq['error']['condition']})")
    _, _, _, _, err = await join(a, TEAM, "Alice")
    a.send_message(mto=TEAM, mbody="after restart", mtype="groupchat")
    got = await b.wait_until(lambda: any(m["body"] == "after restart" for m in b.messages))
    check(got, "messages flow after the restart")
    bodies, _, count = await mam_all(b, TEAM, 50)
    check(count == "6" and bodies[-1] == "after restart", f"the archive kept everything ({count})")
    c = await login(inst, *CAROL, resource="again", plugins=PLUGINS)
    _, _, _, _, err = await join(c, TEAM, "C")
    check(err == "forbidden", f"the ban survived the restart ({err})")
    # xmpp.muc_max_rooms_per_user = 4: alice owns the team room (the temporary ones of part
    # one are gone), may create three more, not four.
    errs = [(await join(a, f"extra{i}@" + SERVICE, "Alice"))[4] for i in range(4)]
    check(errs == [None, None, None, "not-allowed"],
          f"a fifth room of one owner is refused (not-allowed) by muc_max_rooms_per_user ({errs})")
    for x in (a, b, c):
        x.disconnect()
    await asyncio.sleep(0.3)


run(part_one())
inst.stop()
inst.start(wait_for="xmpp_client")
run(part_two())
finish()
