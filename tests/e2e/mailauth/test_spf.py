"""SPF: a suite of cases served by knot, covering every mechanism (ip4, a, mx, ptr with a
reverse zone, include, exists with macros and %{p}, redirect, all with -/~/?; ip6 is in the
unit tests: loopback has one IPv6 address), include
loops, the 10-lookup and the void-lookup limits, several records, no record. Each message comes
from its own loopback address to A's MX port; the spf= in A's Authentication-Results is
compared with python3-spf (spf.check2) on the same records, and with the expected result.
The HELO identity is checked for a null reverse-path.
"""
import spf

from hearth_test import NET, check, finish
from knot import Knot
from mailauth_lib import (DNS_ADDR, DNS_PORT, Instance, configure, find, mx_send, result_map, results_of,
                          use_knot_for_python, wait_for)

a = Instance("alice@a.test", host=2)
ip = lambda n: f"{NET}.{n}"  # noqa: E731
zone = f"""
pass TXT "v=spf1 ip4:{ip(10)} -all"
soft TXT "v=spf1 ip4:{ip(10)} ~all"
neutral TXT "v=spf1 ip4:{ip(10)} ?all"
amech TXT "v=spf1 a:host.spf.test -all"
host A {ip(12)}
mxmech TXT "v=spf1 mx:mxhost.spf.test/24 -all"
mxhost MX 10 relay.spf.test.
relay A {ip(99)}
inc TXT "v=spf1 include:pass.spf.test -all"
red TXT "v=spf1 redirect=pass.spf.test"
ex TXT "v=spf1 exists:%{{i}}.%{{l}}.ok.spf.test -all"
{ip(14)}.friend.ok A 127.0.0.2
loop TXT "v=spf1 include:loop.spf.test -all"
many TXT "v=spf1 a:h1.spf.test a:h2.spf.test a:h3.spf.test a:h4.spf.test a:h5.spf.test a:h6.spf.test a:h7.spf.test a:h8.spf.test a:h9.spf.test a:h10.spf.test a:h11.spf.test -all"
void TXT "v=spf1 a:n1.spf.test a:n2.spf.test a:n3.spf.test -all"
two TXT "v=spf1 -all"
two TXT "v=spf1 +all"
bad TXT "v=spf1 ip4:{ip(10)} frobnicate -all"
other TXT "just text"
ptrmech TXT "v=spf1 ptr:spf.test -all"
host15 A {ip(15)}
pmacro TXT "v=spf1 exists:%{{p}}.ok.spf.test -all"
host15.spf.test.ok A 127.0.0.2
heloname TXT "v=spf1 ip4:{ip(17)} -all"
"""
for i in range(1, 12):
    zone += f"h{i} A 192.0.2.{i}\n"
# The reverse zone of the test network: .15 has a forward-confirmed name, .16 a PTR that does
# not point back.
rev = NET.split(".")
rev_zone = f"{rev[2]}.{rev[1]}.{rev[0]}.in-addr.arpa"
knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones={"a.test": f"@ MX 10 mail\nmail A {NET}.2\n", "spf.test": zone,
                                                 rev_zone: "15 PTR host15.spf.test.\n16 PTR host16.spf.test.\n"}).start()
configure(a)
a.start(wait_for="smtp")
use_knot_for_python()

cases = [
    # (name, local part, source host number, expected)
    ("pass", "x", 10, "pass"),
    ("pass", "x", 11, "fail"),
    ("soft", "x", 11, "softfail"),
    ("neutral", "x", 11, "neutral"),
    ("amech", "x", 12, "pass"),
    ("amech", "x", 13, "fail"),
    ("mxmech", "x", 50, "pass"),  # relay is .99, /24 covers the whole test network
    ("inc", "x", 10, "pass"),
    ("inc", "x", 11, "fail"),
    ("red", "x", 10, "pass"),
    ("red", "x", 11, "fail"),
    ("ex", "friend", 14, "pass"),
    ("ex", "stranger", 14, "fail"),
    ("loop", "x", 10, "permerror"),
    ("many", "x", 10, "permerror"),
    ("void", "x", 10, "permerror"),
    ("two", "x", 10, "permerror"),
    ("bad", "x", 10, "permerror"),
    ("other", "x", 10, "none"),
    ("nothing", "x", 10, "none"),
    ("ptrmech", "x", 15, "pass"),
    ("ptrmech", "x", 16, "fail"),
    ("pmacro", "x", 15, "pass"),
    ("pmacro", "x", 16, "fail"),
]
for n, (label, local, host, expected) in enumerate(cases):
    sender = f"{local}@{label}.spf.test"
    subject = f"spf case {n}"
    code, text = mx_send(a, sender, "alice@a.test",
                         f"From: {sender}\r\nTo: alice@a.test\r\nSubject: {subject}\r\n\r\nx\r\n".encode(),
                         source=ip(host), helo="client.spf.test")
    check(code == 250, f"{subject} accepted ({code} {text!r})")
    got = wait_for(lambda: find(a, "alice@a.test", f"Subject: {subject}\r\n"), timeout=10)
    ars = results_of(got) if got else []
    ours = result_map(ars[0]).get("spf") if ars else None
    theirs, _ = spf.check2(i=ip(host), s=sender, h="client.spf.test")
    check(ours == [expected], f"{label} from .{host}: hearth spf={ours} (expected {expected})")
    check(theirs == expected, f"{label} from .{host}: python3-spf says {theirs} (expected {expected})")
    if ars:
        props = {p.name: p.value for r in ars[0].results if r.method == "spf" for p in r.properties}
        check(props.get("mailfrom") == sender, f"smtp.mailfrom={sender} ({props})")
# HELO identity (RFC 7208 §2.3/§2.4): a null reverse-path is checked as postmaster@HELO.
for host, expected in ((17, "pass"), (18, "fail")):
    subject = f"helo case {host}"
    code, text = mx_send(a, "", "alice@a.test",
                         f"From: mailer@heloname.spf.test\r\nTo: alice@a.test\r\nSubject: {subject}\r\n\r\nx\r\n".encode(),
                         source=ip(host), helo="heloname.spf.test")
    check(code == 250, f"{subject} accepted ({code} {text!r})")
    got = wait_for(lambda: find(a, "alice@a.test", f"Subject: {subject}\r\n"), timeout=10)
    ars = results_of(got) if got else []
    ours = result_map(ars[0]).get("spf") if ars else None
    theirs, _ = spf.check2(i=ip(host), s="", h="heloname.spf.test")
    check(ours == [expected], f"HELO from .{host}: hearth spf={ours} (expected {expected})")
    check(theirs == expected, f"HELO from .{host}: python3-spf says {theirs} (expected {expected})")
    if ars:
        props = {p.name: p.value for r in ars[0].results if r.method == "spf" for p in r.properties}
        check(props.get("helo") == "heloname.spf.test", f"smtp.helo=heloname.spf.test ({props})")
finish()
