"""SASL2 (XEP-0388), Bind2 (XEP-0386) and FAST tokens (XEP-0484) against one hearth, with a
hand-written client (slixmpp 1.8 has none of them; the exchanges are written from the XEPs):
the <authentication/> feature with Bind2 and FAST inline; a PLAIN login that binds inline and
asks for a token; a SCRAM-SHA-256 login with its challenge, response and server signature;
a FAST login with the token (HT-SHA-256-NONE, both proofs checked) that binds and exchanges
messages with a slixmpp user; SCRAM-SHA-256-PLUS with the tls-server-end-point channel binding
(RFC 5929); refusals (the token from another client, a wrong token) logged as
failed logins; rotation (the old token works until the new one is used) and invalidation.
And Debian's slixmpp with its default settings logs in on its first try."""
import base64
import hashlib
import hmac
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import NET, check, finish  # noqa: E402
from xmpp_util import Raw, instance_with_users, login, run  # noqa: E402

inst, users = instance_with_users("bob")
ALICE, BOB = users["demo"], users["bob"]
LOCAL = ALICE[0].split("@")[0]
AGENT = "d4565fa7-4d72-4749-b3d3-740edbf87770"
b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
source_n = [10]


def connect(source=None):
    """A raw client after STARTTLS; returns (client, features)."""
    c = Raw(inst, source=source, timeout=15)
    feats = c.starttls()
    return c, feats


def fresh_source():
    """Each refused login from its own address, so the throttle's delays do not slow the test."""
    source_n[0] += 1
    return f"{NET}.{source_n[0]}"


def authenticate(c, mech, initial, extra="", agent=AGENT):
    ua = f"<user-agent id='{agent}'><software>hearth-test</software><device>ci</device></user-agent>" if agent else ""
    c.send(f"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='{mech}'>"
           f"<initial-response>{b64(initial)}</initial-response>{ua}{extra}</authenticate>")


def outcome(c):
    """Reads up to the end of <success/>+features or <failure/>; returns the text."""
    out = ""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        out += c.recv_until(">", timeout=max(0.1, deadline - time.monotonic()))
        if "</failure>" in out or ("</success>" in out and "</stream:features>" in out) or "<challenge" in out and "</challenge>" in out:
            return out
    return out


def token_of(text):
    m = re.search(r"<token xmlns=['\"]urn:xmpp:fast:0['\"][^>]*token=['\"]([^'\"]+)['\"]", text)
    return m.group(1) if m else None


def additional_data(text):
    m = re.search(r"<additional-data>([^<]*)</additional-data>", text)
    return base64.b64decode(m.group(1)) if m else None


def fast_login(token, extra="", agent=AGENT, source=None):
    c, _ = connect(source)
    proof = hmac.new(token.encode(), b"Initiator", hashlib.sha256).digest()
    authenticate(c, "HT-SHA-256-NONE", ALICE[0].encode() + b"\0" + proof, "<fast xmlns='urn:xmpp:fast:0'/>" + extra, agent)
    return c, outcome(c)


def end_point_binding(c):
    """RFC 5929 tls-server-end-point of the server's certificate (the dev certificate is
    signed with ECDSA-SHA-256, so SHA-256 of its DER)."""
    return hashlib.sha256(c.sock.getpeercert(binary_form=True)).digest()


def scram_login(c, cb_type=None, cb_data=b""):
    """SCRAM-SHA-256 (or -PLUS with cb_type) through SASL2 (RFC 5802/7677); returns (outcome
    text, expected server signature)."""
    cnonce = b64(os.urandom(18))
    first_bare = f"n={LOCAL},r={cnonce}"
    gs2 = f"p={cb_type},," if cb_type else "n,,"
    authenticate(c, "SCRAM-SHA-256-PLUS" if cb_type else "SCRAM-SHA-256", (gs2 + first_bare).encode())
    ch = outcome(c)
    m = re.search(r"<challenge xmlns=['\"]urn:xmpp:sasl:2['\"]>([^<]*)</challenge>", ch)
    if not m:
        return ch, None
    server_first = base64.b64decode(m.group(1)).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", ALICE[1].encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    final_wo_proof = f"c={b64(gs2.encode() + cb_data)},r={attrs['r']}"
    auth_msg = f"{first_bare},{server_first},{final_wo_proof}".encode()
    sig = hmac.new(hashlib.sha256(client_key).digest(), auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    c.send(f"<response xmlns='urn:xmpp:sasl:2'>{b64((final_wo_proof + ',p=' + b64(proof)).encode())}</response>")
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return outcome(c), b"v=" + base64.b64encode(hmac.new(server_key, auth_msg, hashlib.sha256).digest())


async def scenario():
    # The feature.
    c, feats = connect()
    check("<authentication xmlns='urn:xmpp:sasl:2'>" in feats and "<mechanism>SCRAM-SHA-256</mechanism>" in feats,
          "the features offer SASL2 with the SASL mechanisms")
    check("<bind xmlns='urn:xmpp:bind:0'/>" in feats and "<mechanism>HT-SHA-256-NONE</mechanism>" in feats,
          "with Bind2 and FAST (HT-SHA-256-NONE) inline")

    # PLAIN with an inline bind and a token request.
    authenticate(c, "PLAIN", f"\0{LOCAL}\0{ALICE[1]}".encode(),
                 "<bind xmlns='urn:xmpp:bind:0'><tag>Test</tag></bind>"
                 "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>")
    out = outcome(c)
    m = re.search(r"<authorization-identifier>([^<]+)</authorization-identifier>", out)
    check(m is not None and m.group(1).startswith(ALICE[0] + "/Test."), f"PLAIN: success, bound to a Test.* resource ({m and m.group(1)})")
    check("<bound xmlns='urn:xmpp:bind:0'/>" in out, "the success says <bound/>")
    token1 = token_of(out)
    check(token1 is not None and "expiry=" in out, "and carries a FAST token with its expiry")
    check("<sm xmlns='urn:xmpp:sm:3'/>" in out and "urn:ietf:params:xml:ns:xmpp-bind" not in out,
          "the features after it offer stream management, not another bind")
    c.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    check("type='result'" in c.recv_until("</iq>") or False, "the inline-bound session answers a ping")
    c.close()

    # SCRAM-SHA-256 through SASL2, without Bind2: a bare JID, then a classic bind.
    c, _ = connect()
    out, expected = scram_login(c)
    check("</success>" in out and additional_data(out) == expected, "SCRAM-SHA-256: success with the server's signature")
    m = re.search(r"<authorization-identifier>([^<]+)</authorization-identifier>", out)
    check(m is not None and m.group(1) == ALICE[0], "authorized as the bare JID without Bind2")
    c.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>classic</resource></bind></iq>")
    check(f"<jid>{ALICE[0]}/classic</jid>" in c.recv_until("</iq>"), "then a classic bind on the same stream")
    c.close()

    # SCRAM-SHA-256-PLUS with tls-server-end-point (RFC 5929), and with a wrong binding.
    c, _ = connect()
    out, expected = scram_login(c, "tls-server-end-point", end_point_binding(c))
    check("</success>" in out and additional_data(out) == expected, "SCRAM-SHA-256-PLUS with tls-server-end-point logs in")
    c.close()
    c, _ = connect(fresh_source())
    out, _ = scram_login(c, "tls-server-end-point", b"\0" * 32)
    check("<failure" in out, "a tls-server-end-point binding of another certificate is refused")
    c.close()

    # FAST with the token: both proofs, Bind2, and the session talks to a slixmpp user.
    bob = await login(inst, *BOB, resource="phone")
    c, out = fast_login(token1, "<bind xmlns='urn:xmpp:bind:0'><tag>Fast</tag></bind>")
    check("</success>" in out, f"a FAST login with the token succeeds: {out[:200]}")
    check(additional_data(out) == hmac.new(token1.encode(), b"Responder", hashlib.sha256).digest(),
          "with the server's proof HMAC(token, 'Responder')")
    m = re.search(r"<authorization-identifier>([^<]+)</authorization-identifier>", out)
    if m:
        c.send(f"<message to='{BOB[0]}' type='chat' id='m1'><body>fast hello</body></message>")
        check(await bob.wait_until(lambda: any(x["body"] == "fast hello" and str(x["from"]) == m.group(1) for x in bob.messages)),
              "bob receives a message from the FAST session's full JID")
    c.close()

    # Refusals: the token with another client's id, a wrong token. Counted as failed logins.
    _, out = fast_login(token1, agent="another-client", source=fresh_source())
    check("<failure xmlns='urn:xmpp:sasl:2'><not-authorized" in out, "the token from another user-agent id is refused")
    _, out = fast_login("not-the-token", source=fresh_source())
    check("<failure xmlns='urn:xmpp:sasl:2'><not-authorized" in out, "a wrong token is refused")
    check("reason=bad_token" in inst.log(), "the refusals are failed logins in the log (auth.fail reason=bad_token)")

    # Rotation: a new token while the old one still works; using the new one retires the old.
    c, out = fast_login(token1, "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>")
    token2 = token_of(out)
    check("</success>" in out and token2 and token2 != token1, "a FAST login that asks for a token gets a new one")
    c.close()
    c, out = fast_login(token1)
    check("</success>" in out, "the old token still works until the new one is used")
    c.close()
    c, out = fast_login(token2)
    check("</success>" in out, "the new token works")
    c.close()
    _, out = fast_login(token1, source=fresh_source())
    check("<failure" in out, "after the new token was used, the old one is refused")

    # Invalidation.
    c, _ = connect()
    proof = hmac.new(token2.encode(), b"Initiator", hashlib.sha256).digest()
    authenticate(c, "HT-SHA-256-NONE", ALICE[0].encode() + b"\0" + proof, "<fast xmlns='urn:xmpp:fast:0' invalidate='true'/>")
    out = outcome(c)
    check("</success>" in out and token_of(out) is None, "invalidate='true': success without a new token")
    c.close()
    _, out = fast_login(token2, source=fresh_source())
    check("<failure" in out, "the invalidated token is refused")

    # Debian's slixmpp with its defaults: one try, no failure.
    before = inst.log().count("auth.fail")
    carol = await login(inst, *BOB, resource="defaults", sasl_mech=None, presence=False, roster=False)
    check(carol is not None, "slixmpp with its default mechanism logs in")
    check(inst.log().count("auth.fail") == before, "on its first try (no failed attempt logged)")
    carol.disconnect()
    bob.disconnect()


run(scenario())
finish()
