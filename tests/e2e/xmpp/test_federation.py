"""Federation: two hearth instances for a.test and b.test on two loopback
addresses, knot serving their _xmpp-server._tcp SRV records. A user of each, with slixmpp:
subscription across servers (request, approval, presence both ways), messages both ways,
a message to a domain whose server is unreachable bounces with remote-server-not-found.

Mode "dialback" (default): the instances' certificates come from two different dev CAs that
neither side trusts, so the streams are authenticated by Server Dialback (XEP-0220); a.test
publishes _xmpps-server only, so b.test uses direct TLS (XEP-0368) to reach it. A forged
dialback key and a stanza on an unauthenticated stream are refused.
Mode "verified" (argument): both trust a bundle of both dev CAs (xmpp.s2s_ca_file), so the
certificates verify and the streams are authenticated by SASL EXTERNAL."""
import asyncio
import os
import re
import sys

from hearth_test import NET, check, finish
from knot import Knot

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import Instance  # noqa: E402
from xmpp_util import login, raw_iq, roster_of, run, set_key, stanza_error_condition  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

S2S_PORT = 5269 + 20000
MODE = sys.argv[1] if len(sys.argv) > 1 else "dialback"
# In dialback mode a.test publishes only _xmpps-server (XEP-0368 direct TLS on 5270), so b.test
# reaches it without STARTTLS; a.test reaches b.test through _xmpp-server (STARTTLS on 5269).
# MODE "verified_direct": as "verified", but a.test publishes only _xmpps-server, so b.test
# authenticates to it with SASL EXTERNAL over direct TLS on 5270 (the client certificate is
# requested in that handshake too).
DIRECT = MODE in ("dialback", "verified_direct")
VERIFIED = MODE in ("verified", "verified_direct")
A_SRV = (f"_xmpps-server._tcp SRV 0 5 {S2S_PORT + 1} xmpp" if DIRECT
         else f"_xmpp-server._tcp SRV 0 5 {S2S_PORT} xmpp")
zones = {
    "a.test": f"{A_SRV}\nxmpp A {NET}.2\n",
    "b.test": (f"_xmpp-server._tcp SRV 0 5 {S2S_PORT} xmpp\nxmpp A {NET}.3\n"
               # down.b.test: a domain whose server does not listen (connection refused).
               f"_xmpp-server._tcp.down SRV 0 5 {S2S_PORT} nowhere\nnowhere A {NET}.9\n"),
}
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()


A_inst = Instance("alice@a.test", host=2)
B_inst = Instance("bob@b.test", host=3)
bundle = os.path.join(A_inst.dir, "both-cas.pem")
with open(bundle, "w") as out:
    for inst in (A_inst, B_inst):
        with open(inst.ca_file()) as f:
            out.write(f.read())
for inst in (A_inst, B_inst):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
    if VERIFIED:
        set_key(inst.config, "xmpp", "s2s_ca_file", f'"{bundle}"')
    inst.cli(["config", "check"])
    inst.start(wait_for="xmpp_client")
ALICE, BOB = (A_inst.email, A_inst.password), (B_inst.email, B_inst.password)


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

    # Queries from a user of the other domain get real answers (same rules as local askers).
    # Alice is subscribed to bob's presence (bob's roster: from), so she may read his
    # presence-access PEP nick and his last activity.
    nick = "http://jabber.org/protocol/nick"
    await raw_iq(b, "set", f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='{nick}'>"
                           f"<item id='current'><nick xmlns='{nick}'>Bobby</nick></item></publish></pubsub>")
    await raw_iq(b, "set", "<vCard xmlns='vcard-temp'><FN>Bob of B</FN></vCard>")

    async def remote(what, xml, to, find):
        try:
            res = await raw_iq(a, "get", xml, to=to, timeout=20)
            check(res.xml.find(find) is not None, f"over s2s: {what}")
        except IqError as e:
            check(False, f"over s2s: {what} ({stanza_error_condition(e.iq)})")
        except Exception as e:  # noqa: BLE001
            check(False, f"over s2s: {what} ({e!r})")

    await remote("disco#info of bob's account", "<query xmlns='http://jabber.org/protocol/disco#info'/>", BOB[0],
                 ".//{http://jabber.org/protocol/disco#info}identity")
    await remote("disco#items of b.test", "<query xmlns='http://jabber.org/protocol/disco#items'/>", "b.test",
                 "{http://jabber.org/protocol/disco#items}query")
    await remote("bob's vCard", "<vCard xmlns='vcard-temp'/>", BOB[0], ".//{vcard-temp}FN")
    await remote("bob's PEP nick (presence access, alice subscribed)",
                 f"<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='{nick}'/></pubsub>", BOB[0],
                 f".//{{{nick}}}nick")
    await remote("bob's last activity (alice subscribed)", "<query xmlns='jabber:iq:last'/>", BOB[0],
                 "{jabber:iq:last}query")
    await remote("b.test's software version", "<query xmlns='jabber:iq:version'/>", "b.test",
                 ".//{jabber:iq:version}name")
    await remote("ping of b.test", "<ping xmlns='urn:xmpp:ping'/>", "b.test", ".")
    # Bob is not subscribed to alice: her last activity is refused to him, as to a local user.
    try:
        await raw_iq(b, "get", "<query xmlns='jabber:iq:last'/>", to=ALICE[0], timeout=20)
        check(False, "over s2s: alice's last activity is refused to bob (no subscription)")
    except IqError as e:
        check(stanza_error_condition(e.iq) == "forbidden",
              f"over s2s: alice's last activity is refused to bob with forbidden ({stanza_error_condition(e.iq)})")

    # A message to a domain whose server is unreachable bounces after the connection fails.
    a.send_message(mto="someone@down.b.test", mbody="nobody home", mtype="chat")
    got = await a.wait_until(lambda: any(m["type"] == "error" and m["from"].bare == "someone@down.b.test"
                                         for m in a.all_messages), timeout=30)
    check(got, "a message to an unreachable server bounces to the sender")
    err = next((m for m in a.all_messages if m["type"] == "error" and m["from"].bare == "someone@down.b.test"), None)
    check(err is not None and stanza_error_condition(err) == "remote-server-not-found",
          f"the bounce is remote-server-not-found ({err is not None and stanza_error_condition(err)})")

    a.disconnect()
    b.disconnect()
    await asyncio.sleep(0.3)


run(scenario())


def raw_s2s(inst, claimed_from, payload, until):
    """A hand-driven server on B's 5269: STARTTLS, a stream from `claimed_from`, then `payload`;
    returns what came back until `until` (or the end)."""
    import socket
    import ssl
    sock = socket.create_connection((inst.addr, inst.port("xmpp_server")), timeout=15)
    hdr = (f"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
           f"xmlns:db='jabber:server:dialback' from='{claimed_from}' to='{inst.domain}' version='1.0'>")
    def recv_until(s, needle):
        buf = ""
        while needle not in buf:
            try:
                chunk = s.recv(65536)
            except (OSError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk.decode(errors="replace")
        return buf
    sock.sendall(hdr.encode())
    recv_until(sock, "</stream:features>")
    sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    recv_until(sock, "<proceed")
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    tls = ctx.wrap_socket(sock, server_hostname=inst.domain)
    tls.sendall(hdr.encode())
    recv_until(tls, "</stream:features>")
    tls.sendall(payload.encode())
    out = recv_until(tls, until)
    tls.close()
    return out


# A forged dialback key is refused (B asks a.test's server, which does not know the key), and
# a stanza on an unauthenticated stream ends it with not-authorized.
out = raw_s2s(B_inst, "a.test", "<db:result from='a.test' to='b.test'>00deadbeef</db:result>", "type=")
check("type='invalid'" in out, f"a forged dialback key is answered invalid ({out[-120:]!r})")
out = raw_s2s(B_inst, "a.test", "<message from='alice@a.test/x' to='bob@b.test'><body>forged</body></message>",
              "</stream:error>")
check("<not-authorized" in out, f"a stanza before authentication gets not-authorized ({out[-120:]!r})")
for inst, peer in ((A_inst, "b.test"), (B_inst, "a.test")):
    log = inst.log()
    if VERIFIED:
        check(re.search(r"xmpp\.s2s\.in\.external .*from=" + re.escape(peer), log) is not None,
              f"{inst.domain} authenticated {peer} by its certificate, SASL EXTERNAL (log)")
        check(re.search(r"xmpp\.s2s\.out\.open .*to=" + re.escape(peer) + r".*verified=yes", log) is not None,
              f"{inst.domain} verified {peer}'s certificate (log)")
        check(re.search(r"xmpp\.s2s\.out\.ready .*auth=external", log) is not None,
              f"{inst.domain}'s outgoing stream used SASL EXTERNAL (log)")
    else:
        check(re.search(r"xmpp\.s2s\.in\.dialback .*from=" + re.escape(peer) + r".*valid=yes", log) is not None,
              f"{inst.domain} authenticated {peer} by dialback (log)")
        check(re.search(r"xmpp\.s2s\.out\.open .*to=" + re.escape(peer) + r".*verified=no", log) is not None,
              f"{inst.domain} did not trust {peer}'s certificate (log)")
        check(re.search(r"xmpp\.s2s\.out\.ready .*auth=dialback", log) is not None,
              f"{inst.domain}'s outgoing stream used dialback (log)")
if DIRECT:
    check(re.search(r"xmpp\.s2s\.out\.open .*to=a\.test.*port=" + str(S2S_PORT + 1), B_inst.log()) is not None,
          "b.test reached a.test by direct TLS through _xmpps-server (log)")
if MODE == "verified_direct":
    check(re.search(r"xmpp\.s2s\.out\.ready .*to=a\.test.*auth=external", B_inst.log()) is not None,
          "b.test's stream to a.test over direct TLS (5270) used SASL EXTERNAL (log)")
finish()
