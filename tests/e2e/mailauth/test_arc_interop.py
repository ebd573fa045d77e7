"""ARC with another implementation: chains sealed by python3-dkim's arc_sign
(the role of a mailing list or another forwarder) are verified by hearth at its MX, and hearth
continues them when it forwards, so that Debian's arcverify accepts a chain of two implementations.

knot serves a.test (A, NET.2), b.test (B, NET.3), list.test (the foreign sealers' keys, made by
openssl) and orig.test (SPF: NET.20 only). A has a catch-all @c.test pointing at bob@b.test.
  1. one set by python3-dkim: A says arc=pass; the body changed after sealing: arc=fail; a key
     that is not the signer's: arc=fail;
  2. two sets by python3-dkim (two sealers): A says arc=pass;
  3. a sealed message to the catch-all: A forwards it with SRS and adds i=2; B says spf=pass and
     arc=pass, arcverify says cv=pass for the mixed chain.
"""
import base64
import re
import subprocess
import tempfile

import dkim

from hearth_test import NET, check, finish
from knot import Knot
from mailauth_lib import (DNS_ADDR, DNS_PORT, Instance, configure, dkim_records, find, mx_send, result_map,
                          results_of, txt_rdata, use_knot_for_python, wait_for)

ip = lambda n: f"{NET}.{n}"  # noqa: E731
a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)


def zone_for(inst, host):
    z = f'@ MX 10 mail\nmail A {ip(host)}\n@ TXT "v=spf1 ip4:127.0.0.1 ip4:{ip(host)} -all"\n'
    for sel, value in dkim_records(inst, inst.domain).items():
        z += f"{sel}._domainkey TXT {txt_rdata(value)}\n"
    return z


def rsa_key(path):
    subprocess.run(["openssl", "genrsa", "-out", path, "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return open(path, "rb").read(), "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


tmp = tempfile.mkdtemp(prefix="hearth-arc-")
lst_priv, lst_rec = rsa_key(f"{tmp}/lst.pem")
fwd_priv, fwd_rec = rsa_key(f"{tmp}/fwd.pem")
_, other_rec = rsa_key(f"{tmp}/other.pem")
knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones={
    "a.test": zone_for(a, 2), "b.test": zone_for(b, 3),
    "list.test": (f"lst._domainkey TXT {txt_rdata(lst_rec)}\nfwd._domainkey TXT {txt_rdata(fwd_rec)}\n"
                  f"wrong._domainkey TXT {txt_rdata(other_rec)}\n"),
    "orig.test": f'@ TXT "v=spf1 ip4:{ip(20)} -all"\n'}).start()
configure(a, outbound_port=b.port("smtp"))
configure(b)
a.cli(["domain", "add", "c.test"])
a.cli(["alias", "add", "@c.test", "bob@b.test"])
b.start(wait_for="smtp")
a.start(wait_for="smtp")
use_knot_for_python()


def sealed(subject, to, sealers, body="Hello from the list.\r\n"):
    """The message as python3-dkim seals it, once per (selector, authserv-id, key) in sealers."""
    msg = (f"From: Joe <joe@orig.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.replace(' ', '.')}@orig.test>\r\n\r\n{body}").encode()
    arc = "none"
    for sel, srv, key in sealers:
        msg = (f"Authentication-Results: {srv}; spf=pass smtp.mailfrom=joe@orig.test; arc={arc}\r\n").encode() + msg
        fields = dkim.arc_sign(msg, sel.encode(), b"list.test", key, srv.encode(), timestamp=None)
        check(len(fields) == 3, f"{subject}: python3-dkim sealed as {srv}")
        msg = b"".join(fields) + msg
        arc = "pass"
    return msg


def ours(msg, host):
    for ar in results_of(msg):
        if ar.authserv_id == host:
            return result_map(ar), ar
    return {}, None


def deliver(msg, to, subject):
    code, text = mx_send(a, "list-bounces@orig.test", to, msg, source=ip(20), helo="lists.orig.test")
    check(code == 250, f"{subject}: accepted ({code} {text!r})")


def arc_at_a(subject):
    got = wait_for(lambda: find(a, "alice@a.test", f"Subject: {subject}\r\n"), timeout=30)
    check(got is not None, f"{subject}: delivered")
    r, ar = ours(got, a.hostname) if got else ({}, None)
    return r.get("arc"), ar


# 1. One set.
msg = sealed("one set", "alice@a.test", [("lst", "lists.list.test", lst_priv)])
deliver(msg, "alice@a.test", "one set")
res, ar = arc_at_a("one set")
check(res == ["pass"], f"one set by python3-dkim: hearth says arc=pass ({res})")
if ar:
    props = {p.name: p.value for x in ar.results if x.method == "arc" for p in x.properties}
    check(props.get("oldest-pass") == "0" and props.get("remote-ip") == ip(20), f"with oldest-pass and remote-ip ({props})")
changed = sealed("changed body", "alice@a.test", [("lst", "lists.list.test", lst_priv)]).replace(
    b"Hello from the list.", b"Hello from a forger.")
deliver(changed, "alice@a.test", "changed body")
res, _ = arc_at_a("changed body")
check(res == ["fail"], f"a body changed after sealing: arc=fail ({res})")
wrong = sealed("wrong key", "alice@a.test", [("lst", "lists.list.test", lst_priv)]).replace(b"s=lst", b"s=wrong")
deliver(wrong, "alice@a.test", "wrong key")
res, _ = arc_at_a("wrong key")
check(res == ["fail"], f"signatures that the named key did not make: arc=fail ({res})")

# 2. Two sets by python3-dkim.
msg = sealed("two sets", "alice@a.test", [("lst", "lists.list.test", lst_priv), ("fwd", "fwd.list.test", fwd_priv)])
check(len(re.findall(rb"(?m)^ARC-Seal: i=", msg)) == 2, "python3-dkim made two sets")
deliver(msg, "alice@a.test", "two sets")
res, _ = arc_at_a("two sets")
check(res == ["pass"], f"two sets by python3-dkim: hearth says arc=pass ({res})")

# 3. The catch-all forwards the foreign chain with its own set on top.
msg = sealed("catch-all", "anyone@c.test", [("lst", "lists.list.test", lst_priv)])
deliver(msg, "anyone@c.test", "catch-all")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: catch-all\r\n"), timeout=40)
check(got is not None, "catch-all: forwarded to bob@b.test")
if got:
    rp = re.match(rb"Return-Path: <([^>]*)>", got)
    sender = rp.group(1).decode() if rp else ""
    check(sender.startswith("SRS0=") and sender.endswith("=orig.test=list-bounces@a.test"),
          f"catch-all: SRS sender at A's primary domain ({sender})")
    r, _ = ours(got, b.hostname)
    check(r.get("spf") == ["pass"], f"catch-all: spf=pass at B ({r.get('spf')})")
    check(r.get("arc") == ["pass"], f"catch-all: arc=pass at B over python3-dkim's set and A's ({r.get('arc')})")
    check(b"ARC-Seal: i=2; a=rsa-sha256;" in got and b"d=a.test" in got, "catch-all: A's set is i=2, signed for a.test")
    boot = ("import sys, runpy, dns.resolver\n"
            "r = dns.resolver.Resolver(configure=False)\n"
            f"r.nameservers = ['{DNS_ADDR}']\nr.port = {DNS_PORT}\n"
            "dns.resolver.default_resolver = r\n"
            "sys.argv = ['arcverify']\n"
            "runpy.run_path('/usr/bin/arcverify', run_name='__main__')\n")
    cp = subprocess.run(["/usr/bin/python3", "-c", boot], input=got, capture_output=True, timeout=30)
    out = (cp.stdout + cp.stderr).decode(errors="replace").strip()
    check("cv=b'pass'" in out, f"catch-all: arcverify accepts the mixed two-set chain ({out})")
finish()
