"""slixmpp against hearth (RFC 6121 + the IM modules): disco, the subscription state machine
(request, approval, pre-approval, unsubscribe), presence, messages, carbons between two
resources, offline delivery, blocking, vCard, private storage, ping/version/time/last,
roster versioning and service-unavailable for unknown namespaces."""
import asyncio
import os
import sys

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import error_condition, instance_with_users, login, raw_iq, roster_of, run  # noqa: E402

from slixmpp.exceptions import IqError  # noqa: E402

inst, users = instance_with_users("bob", "carol", "dave")
A, B, C, D = (users[n] for n in ("demo", "bob", "carol", "dave"))
PLUGINS = ("xep_0030", "xep_0199", "xep_0280", "xep_0191", "xep_0054", "xep_0092", "xep_0202", "xep_0012",
           "xep_0049")


async def scenario():
    a = await login(inst, *A, resource="a1", plugins=PLUGINS)
    b = await login(inst, *B, resource="b1", plugins=PLUGINS)
    for c in (a, b):
        c.auto_authorize = None
        c.auto_subscribe = False

    # --- disco (XEP-0030) ---
    info = await a["xep_0030"].get_info(jid=inst.domain)
    feats = set(info["disco_info"]["features"])
    for f in ("urn:xmpp:ping", "urn:xmpp:carbons:2", "urn:xmpp:blocking", "vcard-temp", "jabber:iq:version",
              "urn:xmpp:time", "jabber:iq:last", "jabber:iq:private", "http://jabber.org/protocol/disco#info"):
        check(f in feats, f"server disco#info lists {f}")
    check(("server", "im", "Hearth", None) in info["disco_info"]["identities"] or
          any(i[0] == "server" and i[1] == "im" for i in info["disco_info"]["identities"]), "server identity server/im")
    own = await a["xep_0030"].get_info(jid=A[0])
    ofeats = set(own["disco_info"]["features"])
    check("http://jabber.org/protocol/pubsub#publish-options" in ofeats, "account disco#info lists pubsub#publish-options")
    check("urn:xmpp:mam:2" in ofeats, "account disco#info lists urn:xmpp:mam:2")

    # --- entity capabilities (XEP-0115): the stream feature's node#ver answers disco#info ---
    import base64
    import hashlib
    from xmpp_util import Raw
    raw = Raw(inst)
    feats_xml = raw.starttls()
    raw.close()
    import re
    m = re.search(r"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='([^']+)' ver='([^']+)'", feats_xml)
    check(m is not None, "stream features carry the server's caps")
    if m:
        node, ver = m.group(1), m.group(2)
        ninfo = await a["xep_0030"].get_info(jid=inst.domain, node=f"{node}#{ver}")
        nfeats = sorted(ninfo["disco_info"]["features"])
        s = "server/im//Hearth<" + "".join(f + "<" for f in nfeats)
        check(base64.b64encode(hashlib.sha1(s.encode()).digest()).decode() == ver,
              "caps ver is the XEP-0115 hash of the server's disco#info")

    # --- ping, version, time, last ---
    await a["xep_0199"].ping(inst.domain, timeout=5)
    check(True, "ping to the server answered")
    v = await a["xep_0092"].get_version(inst.domain)
    check(v["software_version"]["name"] == "Hearth", "software version is Hearth")
    t = await raw_iq(a, "get", "<time xmlns='urn:xmpp:time'/>", to=inst.domain)
    check(t.xml.find("{urn:xmpp:time}time/{urn:xmpp:time}utc") is not None, "entity time answered")
    la = await a["xep_0012"].get_last_activity(inst.domain)
    check(int(la["last_activity"]["seconds"]) >= 0, "last activity (uptime) answered")

    # --- unknown namespace ---
    try:
        await raw_iq(a, "get", "<query xmlns='urn:example:nothing'/>", to=inst.domain)
        check(False, "unknown namespace gets an error")
    except IqError as e:
        check(error_condition(e) == "service-unavailable", f"unknown namespace -> service-unavailable ({error_condition(e)})")

    # --- subscription state machine (RFC 6121 §3) ---
    a.send_presence_subscription(pto=B[0], ptype="subscribe")
    got = await b.wait_until(lambda: any(p["type"] == "subscribe" and p["from"].bare == A[0] for p in b.presences))
    check(got, "B receives A's subscription request")
    ra = await roster_of(a)
    check(ra.get(B[0]) == ("none", "subscribe"), f"A's roster: B none + ask=subscribe ({ra.get(B[0])})")
    b.send_presence_subscription(pto=A[0], ptype="subscribed")
    got = await a.wait_until(lambda: any(p["type"] == "subscribed" and p["from"].bare == B[0] for p in a.presences))
    check(got, "A receives subscribed")
    got = await a.wait_until(lambda: any(p["type"] == "available" and p["from"].bare == B[0] for p in a.presences))
    check(got, "A receives B's presence after approval")
    ra, rb = await roster_of(a), await roster_of(b)
    check(ra.get(B[0], ("?",))[0] == "to", f"A's roster: B to ({ra.get(B[0])})")
    check(rb.get(A[0], ("?",))[0] == "from", f"B's roster: A from ({rb.get(A[0])})")
    b.send_presence_subscription(pto=A[0], ptype="subscribe")
    await a.wait_until(lambda: any(p["type"] == "subscribe" and p["from"].bare == B[0] for p in a.presences))
    a.send_presence_subscription(pto=B[0], ptype="subscribed")
    await asyncio.sleep(0.5)
    ra, rb = await roster_of(a), await roster_of(b)
    check(ra.get(B[0], ("?",))[0] == "both" and rb.get(A[0], ("?",))[0] == "both", "A and B: both")

    # pre-approval (RFC 6121 §3.4): C approves A before A asks
    c = await login(inst, *C, resource="c1", plugins=PLUGINS)
    c.auto_authorize = None
    c.auto_subscribe = False
    c.send_presence_subscription(pto=A[0], ptype="subscribed")
    await asyncio.sleep(0.3)
    a.send_presence_subscription(pto=C[0], ptype="subscribe")
    got = await a.wait_until(lambda: any(p["type"] == "subscribed" and p["from"].bare == C[0] for p in a.presences))
    check(got, "pre-approved subscription is answered by the server")
    ra = await roster_of(a)
    check(ra.get(C[0], ("?",))[0] == "to", f"A's roster: C to after pre-approval ({ra.get(C[0])})")

    # unsubscribe
    a.send_presence_subscription(pto=C[0], ptype="unsubscribe")
    await asyncio.sleep(0.3)
    ra, rc = await roster_of(a), await roster_of(c)
    check(ra.get(C[0], ("?",))[0] == "none", f"after unsubscribe A's roster: C none ({ra.get(C[0])})")
    check(rc.get(A[0], ("none",))[0] == "none", f"after unsubscribe C's roster: A none ({rc.get(A[0])})")

    # --- roster versioning (XEP-0237) ---
    res = await raw_iq(a, "get", "<query xmlns='jabber:iq:roster'/>")
    ver = res.xml.find("{jabber:iq:roster}query").get("ver")
    res2 = await raw_iq(a, "get", f"<query xmlns='jabber:iq:roster' ver='{ver}'/>")
    check(ver and res2.xml.find("{jabber:iq:roster}query") is None, "roster get with the current ver: empty result")

    # --- messages and carbons (XEP-0280) ---
    a2 = await login(inst, *A, resource="a2", plugins=PLUGINS)
    await a2["xep_0280"].enable()
    received, sent = [], []
    a2.add_event_handler("carbon_received", lambda m: received.append(m))
    a2.add_event_handler("carbon_sent", lambda m: sent.append(m))
    b.send_message(mto=A[0] + "/a1", mbody="to a1 directly", mtype="chat")
    got = await a.wait_until(lambda: any(m["body"] == "to a1 directly" for m in a.messages))
    check(got, "message to a full JID delivered")
    got = await a2.wait_until(lambda: len(received) > 0)
    check(got and received[0]["carbon_received"]["body"] == "to a1 directly", "a2 gets a received carbon")
    a.send_message(mto=B[0], mbody="from a1", mtype="chat")
    got = await b.wait_until(lambda: any(m["body"] == "from a1" for m in b.messages))
    check(got, "message to a bare JID delivered")
    got = await a2.wait_until(lambda: len(sent) > 0)
    check(got and sent[0]["carbon_sent"]["body"] == "from a1", "a2 gets a sent carbon")

    # --- offline storage (XEP-0160) ---
    a.send_message(mto=D[0], mbody="stored for later", mtype="chat")
    await asyncio.sleep(0.5)
    d = await login(inst, *D, resource="d1", plugins=PLUGINS)
    got = await d.wait_until(lambda: any(m["body"] == "stored for later" for m in d.messages))
    check(got, "offline message delivered at login")
    if got:
        m = next(m for m in d.messages if m["body"] == "stored for later")
        check(m.xml.find("{urn:xmpp:delay}delay") is not None, "offline message carries a delay stamp")

    # --- blocking (XEP-0191) ---
    await b["xep_0191"].block([A[0]])
    bl = await b["xep_0191"].get_blocked()
    check(A[0] in [str(j) for j in bl["blocklist"]["items"]], "block list holds A")
    errors = []
    a.add_event_handler("message_error", lambda m: errors.append(m))
    a.send_message(mto=B[0], mbody="you blocked me", mtype="chat")
    got = await a.wait_until(lambda: len(errors) > 0, timeout=5)
    check(got, "message to a blocker bounces with an error")
    check(not any(m["body"] == "you blocked me" for m in b.messages), "the blocker gets nothing")
    await b["xep_0191"].unblock([A[0]])
    a.send_message(mto=B[0], mbody="unblocked now", mtype="chat")
    check(await b.wait_until(lambda: any(m["body"] == "unblocked now" for m in b.messages)), "after unblock, delivered")

    # --- vCard (XEP-0054) ---
    vc = a["xep_0054"].make_vcard()
    vc["FN"] = "Demo User"
    vc["NICKNAME"] = "demo"
    await a["xep_0054"].publish_vcard(vc)
    got = await b["xep_0054"].get_vcard(A[0], cached=False, local=False)
    check(got["vcard_temp"]["FN"] == "Demo User", "B reads A's vCard")
    try:
        await raw_iq(b, "set", "<vCard xmlns='vcard-temp'><FN>evil</FN></vCard>", to=A[0])
        check(False, "setting someone else's vCard is refused")
    except IqError as e:
        check(True, f"setting someone else's vCard is refused ({error_condition(e)})")

    # --- private storage (XEP-0049) ---
    await raw_iq(a, "set", "<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'><x>1</x></prefs></query>")
    res = await raw_iq(a, "get", "<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>")
    check(res.xml.find(".//{urn:example:prefs}x") is not None, "private XML stored and read back")

    for cl in (a, a2, b, c, d):
        cl.disconnect()
    await asyncio.sleep(0.5)


run(scenario())
finish()
