"""Outgoing hygiene: a message with internal Received lines and
X-Originating-IP, submitted at A for bob@b.test, arrives at B (A finds B through the MX record
served by knot) without them, with one Received line of A's submission hop that does not show
the client's address, with Message-ID and Date added, and with DKIM signatures (RSA and
Ed25519) that python3-dkim verifies with the key records served by knot. B's
Authentication-Results (parsed by python3-authres) says spf=pass dkim=pass dmarc=pass.
"""
import dkim

from hearth_test import NET, check, finish
from knot import Knot
from mailauth_lib import (DNS_ADDR, DNS_PORT, Instance, configure, dkim_dnsfunc, dkim_records, dkimverify_cli, find,
                          result_map, results_of, submit, txt_rdata, use_knot_for_python, wait_for)

a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)
keys = dkim_records(a, "a.test")
check(len(keys) == 2, f"A has an RSA and an Ed25519 key ({sorted(keys)})")
zone_a = f"@ MX 10 mail\nmail A {NET}.2\n"
# A's outbound connections leave from 127.0.0.1 (the loopback route's source address).
zone_a += f'@ TXT "v=spf1 ip4:127.0.0.1 ip4:{NET}.2 -all"\n'
zone_a += '_dmarc TXT "v=DMARC1; p=reject"\n'
for sel, value in keys.items():
    zone_a += f"{sel}._domainkey TXT {txt_rdata(value)}\n"
zone_b = f"@ MX 10 mail\nmail A {NET}.3\n"
knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones={"a.test": zone_a, "b.test": zone_b}).start()
configure(a, outbound_port=b.port("smtp"))
configure(b)
b.start(wait_for="smtp")
a.start(wait_for="submission")
use_knot_for_python()

msg = (b"Received: from laptop.internal (laptop.internal [10.9.8.7])\r\n"
       b"\tby gateway.internal with ESMTP id 1234; Sun, 22 Nov 2026 10:00:00 +0000\r\n"
       b"Received: from [10.9.8.7] by webmail.internal; Sun, 22 Nov 2026 09:59:59 +0000\r\n"
       b"X-Originating-IP: [10.9.8.7]\r\n"
       b"From: Alice <alice@a.test>\r\n"
       b"To: Bob <bob@b.test>\r\n"
       b"Subject: hygiene test\r\n"
       b"\r\n"
       b"Internal hops must not show.\r\n")
check(submit(a, "bob@b.test", msg) == {}, "A accepted the message for bob@b.test")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: hygiene test"), timeout=40)
check(got is not None, "the message reached bob's INBOX at B")
if got:
    head = got.split(b"\r\n\r\n", 1)[0]
    check(b"10.9.8.7" not in got, "no trace of the client's internal address")
    check(b"laptop.internal" not in got and b"webmail.internal" not in got, "no internal Received lines")
    check(b"X-Originating-IP" not in got, "X-Originating-IP removed")
    check(b"\r\nMessage-ID: <" in b"\r\n" + head, "Message-ID added")
    check(b"\r\nDate: " in b"\r\n" + head, "Date added")
    check(head.count(b"by mail.a.test") == 1, "one Received line for A's own hop")
    # B's own Received and Return-Path are on top; the signatures cover the rest.
    d = dkim.DKIM(got)
    sigs = [i for i, l in enumerate(d.headers) if l[0].lower() == b"dkim-signature"]
    check(len(sigs) == 2, f"two DKIM signatures ({len(sigs)})")
    algos = set()
    for i in range(len(sigs)):
        ok = dkim.DKIM(got).verify(idx=i, dnsfunc=dkim_dnsfunc)
        check(ok, f"signature {i} verifies with python3-dkim and the key from knot")
        cli_ok, out = dkimverify_cli(got, index=i)
        check(cli_ok, f"dkimverify --index {i}: {out}")
    for name, value in d.headers:
        if name.lower() == b"dkim-signature":
            t = dkim.util.parse_tag_value(value)
            algos.add(t[b"a"])
            check(t[b"c"] == b"relaxed/relaxed", "relaxed/relaxed")
            check(t[b"h"].replace(b" ", b"").replace(b"\r\n", b"").replace(b"\t", b"").lower().count(b"from") == 2,
                  "From is over-signed")
    check(algos == {b"rsa-sha256", b"ed25519-sha256"}, f"RSA and Ed25519 ({algos})")
    ars = results_of(got)
    check(len(ars) == 1, "one Authentication-Results")
    if ars:
        check(ars[0].authserv_id == "mail.b.test", "written by B")
        r = result_map(ars[0])
        check(r.get("spf") == ["pass"], f"spf=pass ({r.get('spf')})")
        check(r.get("dkim") == ["pass", "pass"], f"dkim=pass twice ({r.get('dkim')})")
        check(r.get("dmarc") == ["pass"], f"dmarc=pass ({r.get('dmarc')})")
finish()
