"""Forwarding that passes: SRS and ARC between two real instances.

knot serves a.test (A, NET.2), b.test (B, NET.3) and orig.test, the original sender's domain:
its SPF allows only NET.20, its MX is B (joe@orig.test has his mailbox at B). Cases:
  1. joe -> fwd@a.test, an alias of bob@b.test: B sees an SRS0 sender at a.test, spf=pass and
     arc=pass in its Authentication-Results; Debian's arcverify (python3-dkim) says cv=pass.
  2. a bounce (null sender) to that SRS address at A's MX reaches joe at B;
  3. forged and tampered SRS addresses are refused at RCPT with 550;
  4. a real bounce: fwd-dead@a.test points at nobody@b.test, B refuses, A's notice goes to the
     SRS sender and from there back to joe;
  5. carol@a.test's Sieve redirect to bob@b.test gets SRS and ARC the same way;
  6. two hops: list@a.test -> relay@b.test -> alice@a.test: B rewrites A's SRS0 into SRS1 and
     adds the second ARC set; A verifies the two-set chain (arc=pass) and so does arcverify;
     a bounce to B's SRS1 address travels back through A to joe;
  7. what postsrsd leaves alone stays alone: a sender at one of our own domains (alice, through
     submission) and the null sender keep their envelope sender when forwarded.
"""
import os
import re
import subprocess
import tempfile

from hearth_test import NET, check, finish
from knot import Knot
from mailauth_lib import (DNS_ADDR, DNS_PORT, Instance, configure, dkim_records, find, mx_send, result_map,
                          results_of, submit, txt_rdata, use_knot_for_python, wait_for)

ip = lambda n: f"{NET}.{n}"  # noqa: E731
a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)


def zone_for(inst, host):
    # Outbound connections leave from 127.0.0.1 (the loopback route's source address).
    z = f'@ MX 10 mail\nmail A {ip(host)}\n@ TXT "v=spf1 ip4:127.0.0.1 ip4:{ip(host)} -all"\n'
    for sel, value in dkim_records(inst, inst.domain).items():
        z += f"{sel}._domainkey TXT {txt_rdata(value)}\n"
    return z


knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones={
    "a.test": zone_for(a, 2), "b.test": zone_for(b, 3),
    "orig.test": f'@ MX 10 mail.b.test.\n@ TXT "v=spf1 ip4:{ip(20)} -all"\n'}).start()
configure(a, outbound_port=b.port("smtp"))
configure(b, outbound_port=a.port("smtp"))  # the same offset: both MX ports are equal
b.cli(["domain", "add", "orig.test"])
b.cli(["user", "add", "joe@orig.test", "--password-stdin"], input="joe-password-123\n")
b.cli(["alias", "add", "relay@b.test", "alice@a.test"])
a.cli(["alias", "add", "fwd@a.test", "bob@b.test"])
a.cli(["alias", "add", "fwd-dead@a.test", "nobody@b.test"])
a.cli(["alias", "add", "list@a.test", "relay@b.test"])
a.cli(["user", "add", "carol@a.test", "--password-stdin"], input="carol-password-123\n")
script = os.path.join(tempfile.mkdtemp(prefix="hearth-fwd-"), "redirect.sieve")
with open(script, "w") as f:
    f.write('redirect "bob@b.test";\n')
cp = a.cli(["sieve", "put", "carol@a.test", "fwd", script, "--activate"], check_rc=False)
check(cp.returncode == 0, f"carol's redirect script stored ({cp.stderr.strip()})")
b.start(wait_for="smtp")
a.start(wait_for="smtp")
use_knot_for_python()


def from_joe(to, subject, body="Forward me.\r\n"):
    msg = (f"From: Joe <joe@orig.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.replace(' ', '.')}@orig.test>\r\n\r\n{body}").encode()
    return mx_send(a, "joe@orig.test", to, msg, source=ip(20), helo="mail.orig.test")


def arcverify(message):
    """Debian's /usr/bin/arcverify (python3-dkim) with dnspython pointed at knot: (cv, output)."""
    boot = ("import sys, runpy, dns.resolver\n"
            "r = dns.resolver.Resolver(configure=False)\n"
            f"r.nameservers = ['{DNS_ADDR}']\nr.port = {DNS_PORT}\n"
            "dns.resolver.default_resolver = r\n"
            "sys.argv = ['arcverify']\n"
            "runpy.run_path('/usr/bin/arcverify', run_name='__main__')\n")
    cp = subprocess.run(["/usr/bin/python3", "-c", boot], input=message, capture_output=True, timeout=30)
    out = (cp.stdout + cp.stderr).decode(errors="replace").strip()
    m = re.search(r"cv=(b')?(\w+)", out)
    return (m.group(2) if m else None), out


def return_path(msg):
    m = re.match(rb"Return-Path: <([^>]*)>", msg)
    return m.group(1).decode() if m else None


def ours(msg, host):
    """{method: [results]} and the parsed header of host's Authentication-Results in msg."""
    for ar in results_of(msg):
        if ar.authserv_id == host:
            return result_map(ar), ar
    return {}, None


def arc_instances(msg):
    head = msg.split(b"\r\n\r\n", 1)[0]
    return sorted(int(i) for i in re.findall(rb"(?mi)^ARC-Seal:\s*i=(\d+);", head))


def forwarded_ok(got, what, hops=1):
    check(got is not None, f"{what}: arrived")
    if not got:
        return None
    sender = return_path(got)
    check(sender is not None and sender.startswith("SRS0=") and sender.endswith("=orig.test=joe@a.test"),
          f"{what}: the envelope sender was rewritten with SRS at a.test ({sender})")
    r, ar = ours(got, b.hostname)
    check(r.get("spf") == ["pass"], f"{what}: spf=pass at B for the SRS sender ({r.get('spf')})")
    check(r.get("arc") == ["pass"], f"{what}: arc=pass at B ({r.get('arc')})")
    check(arc_instances(got) == list(range(1, hops + 1)), f"{what}: ARC sets {arc_instances(got)}")
    check(b"ARC-Authentication-Results: i=1; mail.a.test;" in got and b"smtp.mailfrom=joe@orig.test" in got,
          f"{what}: A's ARC-Authentication-Results records its own SPF check of joe@orig.test")
    cv, out = arcverify(got)
    check(cv == "pass", f"{what}: arcverify says cv=pass ({out})")
    return sender


# 1. Alias to another domain.
code, text = from_joe("fwd@a.test", "case alias")
check(code == 250, f"A accepted joe's mail for fwd@a.test ({code} {text!r})")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: case alias"), timeout=40)
srs = forwarded_ok(got, "alias")

# 2. A bounce to the SRS address comes back to joe (at B).
if srs:
    dsn = (b"From: MAILER-DAEMON@b.test\r\nTo: " + srs.encode() + b"\r\nSubject: bounce case\r\n"
           b"Auto-Submitted: auto-replied\r\n\r\nYour message could not be delivered.\r\n")
    code, text = mx_send(a, "", srs, dsn, source=ip(30), helo="mail.b.test")
    check(code == 250, f"A accepts a bounce to its SRS address ({code} {text!r})")
    back = wait_for(lambda: find(b, "joe@orig.test", "Subject: bounce case"), timeout=40)
    check(back is not None, "the bounce reached the original sender joe@orig.test")
    if back:
        check(return_path(back) == "", "still from the null sender")

# 3. Forged and tampered SRS addresses are refused at RCPT.
for bad, what in (("SRS0=AAAA=ZZ=orig.test=joe@a.test", "forged"),
                  ((srs or "SRS0=x=y=orig.test=joe@a.test").replace("=joe@", "=eve@"), "tampered"),
                  ("SRS1=AAAA=b.test==x=y=orig.test=joe@a.test", "forged SRS1")):
    code, text = mx_send(a, "", bad, b"Subject: x\r\n\r\nx\r\n", source=ip(30), helo="mail.b.test")
    check(code == 550 and b"SRS" in text, f"{what} SRS address refused at RCPT ({code} {text!r})")

# 4. A real bounce: B refuses nobody@b.test, A's notice goes to its SRS sender, then to joe.
code, text = from_joe("fwd-dead@a.test", "case dead end")
check(code == 250, f"A accepted joe's mail for fwd-dead@a.test ({code} {text!r})")
back = wait_for(lambda: find(b, "joe@orig.test", "nobody@b.test"), timeout=40)
check(back is not None, "A's delivery failure notice about nobody@b.test reached joe@orig.test")
if back:
    check(return_path(back) == "", "the notice comes from the null sender")

# 5. Sieve redirect: the same forwarding.
code, text = from_joe("carol@a.test", "case redirect")
check(code == 250, f"A accepted joe's mail for carol@a.test ({code} {text!r})")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: case redirect"), timeout=40)
forwarded_ok(got, "sieve redirect")

# 6. Two hops: A seals i=1, B seals i=2 and rewrites SRS0 into SRS1, A verifies the chain.
code, text = from_joe("list@a.test", "case two hops")
check(code == 250, f"A accepted joe's mail for list@a.test ({code} {text!r})")
got = wait_for(lambda: find(a, "alice@a.test", "Subject: case two hops"), timeout=40)
check(got is not None, "two hops: arrived back at A")
if got:
    sender = return_path(got)
    check(sender is not None and sender.startswith("SRS1=") and "=a.test==" in sender and sender.endswith("@b.test"),
          f"two hops: B turned A's SRS0 into SRS1 ({sender})")
    r, ar = ours(got, a.hostname)
    check(r.get("spf") == ["pass"], f"two hops: spf=pass at A for B's SRS1 sender ({r.get('spf')})")
    check(r.get("arc") == ["pass"], f"two hops: arc=pass at A ({r.get('arc')})")
    props = {p.name: p.value for x in (ar.results if ar else []) if x.method == "arc" for p in x.properties}
    check(props.get("oldest-pass") == "0", f"two hops: header.oldest-pass=0 ({props})")
    check(arc_instances(got) == [1, 2], f"two hops: ARC sets {arc_instances(got)}")
    check(b"ARC-Seal: i=2; a=rsa-sha256;" in got and b"cv=pass" in got, "two hops: B's seal says cv=pass")
    cv, out = arcverify(got)
    check(cv == "pass", f"two hops: arcverify says cv=pass ({out})")
    # Changing the body breaks the newest signature: arcverify and we must both see it.
    broken = got.replace(b"Forward me.", b"Forward you.")
    cv, out = arcverify(broken)
    check(cv == "fail", f"two hops: a changed body fails arcverify ({out})")
    # A bounce to B's SRS1 address: B sends it to A's SRS0 address, A to joe.
    if sender:
        code, text = mx_send(b, "", sender, b"Subject: bounce two hops\r\n\r\nundeliverable\r\n", source=ip(31),
                             helo="mail.a.test")
        check(code == 250, f"B accepts a bounce to its SRS1 address ({code} {text!r})")
        back = wait_for(lambda: find(b, "joe@orig.test", "Subject: bounce two hops"), timeout=40)
        check(back is not None, "the bounce went B -> A -> joe@orig.test")

# 7. No rewriting for our own senders and for the null sender.
submit(a, "fwd@a.test", b"From: alice@a.test\r\nTo: fwd@a.test\r\nSubject: case own sender\r\n\r\nmine\r\n")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: case own sender"), timeout=40)
check(got is not None and return_path(got) == "alice@a.test",
      f"a sender at our own domain is not rewritten ({return_path(got)})")
code, text = mx_send(a, "", "fwd@a.test", b"From: MAILER-DAEMON@orig.test\r\nSubject: case null sender\r\n\r\nx\r\n",
                     source=ip(30), helo="mail.orig.test")
check(code == 250, f"a null-sender message for fwd@a.test is accepted ({code} {text!r})")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: case null sender"), timeout=40)
check(got is not None and return_path(got) == "", f"the null sender stays null ({return_path(got)})")
if got:
    r, _ = ours(got, b.hostname)
    check(r.get("arc") == ["pass"], f"null sender: still sealed, arc=pass at B ({r.get('arc')})")
finish()
