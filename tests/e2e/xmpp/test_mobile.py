"""The mobile pieces against hearth: MAM (XEP-0313: by with, by date, RSM paging), stream
management resumption after the TCP connection is cut (XEP-0198), PEP publish/notify with
publish-options (XEP-0163/0060, avatar metadata, nick, OMEMO device list) and CSI (XEP-0352)."""
import asyncio
import os
import re
import sys

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import Raw, instance_with_users, login, raw_iq, roster_of, run  # noqa: E402

from slixmpp.exceptions import IqError  # noqa: E402

inst, users = instance_with_users("bob", "carol")
A, B, C = users["demo"], users["bob"], users["carol"]
MAM = "urn:xmpp:mam:2"


def mam_results(c, queryid):
    out = []
    for m in c.all_messages:
        r = m.xml.find(f"{{{MAM}}}result")
        if r is not None and r.get("queryid") == queryid:
            out.append(r)
    return out


async def mam_query(c, queryid, fields="", rsm=""):
    form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
            f"<value>{MAM}</value></field>{fields}</x>")
    res = await raw_iq(c, "set", f"<query xmlns='{MAM}' queryid='{queryid}'>{form}"
                                 f"<set xmlns='http://jabber.org/protocol/rsm'>{rsm}</set></query>")
    fin = res.xml.find(f"{{{MAM}}}fin")
    await asyncio.sleep(0.2)
    return fin, mam_results(c, queryid)


async def scenario():
    a = await login(inst, *A, resource="phone", plugins=("xep_0030",))
    b = await login(inst, *B, resource="laptop", plugins=("xep_0030",))
    c = await login(inst, *C, resource="c", plugins=("xep_0030",))

    # --- MAM ---
    # One at a time: a message is archived on both sides before it is delivered, so waiting for
    # each delivery fixes the archive order.
    for i in range(12):
        sender, receiver, to = (a, b, B[0]) if i % 2 == 0 else (b, a, A[0])
        sender.send_message(mto=to, mbody=f"mam {i}", mtype="chat")
        await receiver.wait_until(lambda: any(m["body"] == f"mam {i}" for m in receiver.messages))
    a.send_message(mto=C[0], mbody="to carol", mtype="chat")
    await c.wait_until(lambda: any(m["body"] == "to carol" for m in c.messages))
    with_b = f"<field var='with'><value>{B[0]}</value></field>"
    fin, res = await mam_query(a, "q1", with_b, "<max>5</max>")
    check(len(res) == 5, f"MAM page 1: 5 results ({len(res)})")
    check(fin is not None and fin.get("complete") != "true", "MAM page 1 not complete")
    bodies = [r.find(".//{jabber:client}body").text for r in res]
    check(bodies == [f"mam {i}" for i in range(5)], f"MAM page 1 in order ({bodies})")
    last = fin.find(".//{http://jabber.org/protocol/rsm}last").text
    fin2, res2 = await mam_query(a, "q2", with_b, f"<max>5</max><after>{last}</after>")
    last2 = fin2.find(".//{http://jabber.org/protocol/rsm}last").text
    fin3, res3 = await mam_query(a, "q3", with_b, f"<max>5</max><after>{last2}</after>")
    check(len(res2) == 5 and len(res3) == 2, f"MAM paging 5/5/2 ({len(res2)}/{len(res3)})")
    check(fin3.get("complete") == "true", "MAM last page complete")
    count = fin.find(".//{http://jabber.org/protocol/rsm}count")
    check(count is not None and count.text == "12", f"MAM count with B = 12 ({count.text if count is not None else None})")
    fin4, res4 = await mam_query(a, "q4", "", "<max>50</max>")
    check(len(res4) == 13, f"MAM without filter: 13 messages ({len(res4)})")
    # by date: from the stamp of the 4th message on
    stamp = res[3].find(".//{urn:xmpp:delay}delay").get("stamp")
    fin5, res5 = await mam_query(a, "q5", with_b + f"<field var='start'><value>{stamp}</value></field>", "<max>50</max>")
    check(len(res5) == 9, f"MAM start={stamp}: 9 results ({len(res5)})")
    fin6, res6 = await mam_query(a, "q6", with_b + f"<field var='end'><value>{stamp}</value></field>", "<max>50</max>")
    check(len(res6) == 4, f"MAM end={stamp}: 4 results ({len(res6)})")
    fin7, res7 = await mam_query(a, "q7", with_b, "<max>3</max><before/>")
    bodies7 = [r.find(".//{jabber:client}body").text for r in res7]
    check(bodies7 == ["mam 9", "mam 10", "mam 11"], f"MAM last page with <before/> ({bodies7})")
    got_sid = any(m.xml.find("{urn:xmpp:sid:0}stanza-id") is not None for m in a.messages if m["body"].startswith("mam "))
    check(got_sid, "received messages carry a stanza-id")

    # --- PEP ---
    info = await b["xep_0030"].get_info(jid=A[0])
    check("http://jabber.org/protocol/pubsub#publish-options" in info["disco_info"]["features"],
          "A's bare JID advertises pubsub#publish-options to B")
    # A and B subscribe to each other so that B gets A's notifications.
    for x, y in ((a, B[0]), (b, A[0])):
        x.send_presence_subscription(pto=y, ptype="subscribe")
    await asyncio.sleep(0.5)
    for x, y in ((b, A[0]), (a, B[0])):
        x.send_presence_subscription(pto=y, ptype="subscribed")
    # The server's rosters, not the clients' caches: those follow roster pushes, which slixmpp's
    # own automatic answers to the subscribe requests race under load.
    views = {}
    for _ in range(100):
        views = {"A": (await roster_of(a)).get(B[0]), "B": (await roster_of(b)).get(A[0])}
        if all(v and v[0] == "both" for v in views.values()):
            break
        await asyncio.sleep(0.1)
    check(all(v and v[0] == "both" for v in views.values()), f"A and B are subscribed to each other ({views})")
    nick_node = "http://jabber.org/protocol/nick"
    await raw_iq(a, "set", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='{nick_node}'>"
                           f"<item id='current'><nick xmlns='{nick_node}'>Demo</nick></item></publish></pubsub>")
    got = await b.wait_until(lambda: any(m.xml.find(".//{http://jabber.org/protocol/nick}nick") is not None
                                         for m in b.all_messages))
    check(got, "B is notified of A's nick")
    dl = "eu.siacs.conversations.axolotl.devicelist"
    opts = ("<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
            "<value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
            "<field var='pubsub#access_model'><value>open</value></field></x></publish-options>")
    res = await raw_iq(a, "set", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='{dl}'>"
                                 f"<item id='current'><list xmlns='eu.siacs.conversations.axolotl'><device id='42'/>"
                                 f"</list></item></publish>{opts}</pubsub>")
    check(res.xml.find(".//{http://jabber.org/protocol/pubsub}publish") is not None, "OMEMO device list published with publish-options")
    got = await raw_iq(c, "get", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='{dl}'/></pubsub>", to=A[0])
    check(got.xml.find(".//{eu.siacs.conversations.axolotl}device") is not None, "C (no subscription) reads the open device list")
    try:
        await raw_iq(c, "get", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='{nick_node}'/></pubsub>", to=A[0])
        check(False, "C may not read A's presence-access nick")
    except IqError:
        check(True, "C may not read A's presence-access nick")
    got = await raw_iq(b, "get", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='{nick_node}'/></pubsub>", to=A[0])
    check(got.xml.find(".//{http://jabber.org/protocol/nick}nick") is not None, "B (subscribed) reads A's nick")
    meta = "urn:xmpp:avatar:metadata"
    await raw_iq(a, "set", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='{meta}'>"
                           f"<item id='abc'><metadata xmlns='{meta}'><info id='abc' bytes='1' type='image/png'/></metadata>"
                           f"</item></publish></pubsub>")
    got = await b.wait_until(lambda: any(m.xml.find(f".//{{{meta}}}metadata") is not None for m in b.all_messages))
    check(got, "B is notified of A's avatar metadata")

    for cl in (a, b, c):
        cl.disconnect()
    await asyncio.sleep(0.3)


run(scenario())

# --- stream management resumption, CSI (raw client: the TCP connection is really cut) ---
r = Raw(inst)
r.login(*A, resource="sm")
r.send("<presence/>")
r.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
out = r.recv_until("resume='true'")
m = re.search(r"<enabled[^>]*id='([^']+)'", out)
check(m is not None, "SM enabled with resumption")
previd = m.group(1) if m else ""
r.send("<inactive xmlns='urn:xmpp:csi:0'/>")
sender = Raw(inst)
sender.login(*B, resource="sender")
# CSI: while A/sm is inactive, B's directed presence waits; a message does not.
sender.send(f"<presence to='{A[0]}/sm'><status>held back</status></presence>")
sender.send(f"<message to='{A[0]}/sm' type='chat'><body>csi message</body></message>")
out = r.recv_until("csi message")
check("csi message" in out and "held back" not in out, "CSI inactive: the message arrives, the presence waits")
r.send("<active xmlns='urn:xmpp:csi:0'/>")
out = r.recv_until("held back")
check("held back" in out, "CSI active: the held presence is delivered")
sender.send(f"<message to='{A[0]}/sm' type='chat'><body>before cut</body></message>")
out = r.recv_until("before cut")
check("before cut" in out, "message received before the cut")
r.sock.close()  # cut without closing the stream, without acknowledging
sender.send(f"<message to='{A[0]}/sm' type='chat'><body>while cut</body></message>")
sender.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
sender.recv_until("p1")
r2 = Raw(inst)
r2.starttls()
import base64  # noqa: E402
cred = base64.b64encode(f"\0{A[0]}\0{A[1]}".encode()).decode()
r2.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
r2.recv_until("</success>")
r2.send(r2.header())
r2.recv_until("</stream:features>")
r2.send(f"<resume xmlns='urn:xmpp:sm:3' h='0' previd='{previd}'/>")
out = r2.recv_until("while cut")
check("<resumed" in out, "session resumed")
check("before cut" in out and "while cut" in out, "unacknowledged and queued messages are delivered after resume")
r2.send("<a xmlns='urn:xmpp:sm:3' h='2'/><r xmlns='urn:xmpp:sm:3'/>")
out = r2.recv_until("<a ")
check("<a " in out, "server answers <r/> with <a/>")
r3 = Raw(inst)
r3.starttls()
r3.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
r3.recv_until("</success>")
r3.send(r3.header())
r3.recv_until("</stream:features>")
r3.send("<resume xmlns='urn:xmpp:sm:3' h='0' previd='nonexistent'/>")
check("item-not-found" in r3.recv_until("</failed>"), "resuming an unknown session fails with item-not-found")
for x in (r2, r3, sender):
    x.send("</stream:stream>")
    x.close()
finish()
