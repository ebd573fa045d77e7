"""DMARC: pass with aligned SPF (relaxed, subdomain MAIL FROM) and with aligned DKIM
(python3-dkim signature, unaligned MAIL FROM); fail with p=reject refused with 550 5.7.1 (and
nothing stored); fail with p=quarantine delivered to Junk; fail with p=none delivered to the
INBOX; the organizational domain's record (Public Suffix List) with sp= for a subdomain; no
record: dmarc=none; a failure with a DKIM key lookup error: temperror, deferred with 451 4.7.5.
An Authentication-Results claiming our host name is removed, a foreign one
kept. Every Authentication-Results is parsed with python3-authres.
"""
import os
import sqlite3
import subprocess
import tempfile
import base64

import dkim

from hearth_test import NET, check, finish
from mailbox import blob_bytes
from knot import Knot
from mailauth_lib import (DNS_ADDR, DNS_PORT, Instance, configure, find, mx_send, result_map, results_of,
                          txt_rdata, use_knot_for_python, wait_for)

a = Instance("alice@a.test", host=2)
ip = lambda n: f"{NET}.{n}"  # noqa: E731
tmp = tempfile.mkdtemp(prefix="hearth-dmarc-")
subprocess.run(["openssl", "genrsa", "-out", f"{tmp}/k.pem", "2048"], check=True, capture_output=True)
priv = open(f"{tmp}/k.pem", "rb").read()
der = subprocess.run(["openssl", "rsa", "-in", f"{tmp}/k.pem", "-pubout", "-outform", "DER"],
                     check=True, capture_output=True).stdout
zones = {
    "a.test": f"@ MX 10 mail\nmail A {NET}.2\n",
    "rej.test": (f'@ TXT "v=spf1 ip4:{ip(20)} -all"\nbounce TXT "v=spf1 ip4:{ip(20)} -all"\n'
                 '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:d@rej.test"\n'
                 f"sel._domainkey TXT {txt_rdata('v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode())}\n"),
    "quar.test": f'@ TXT "v=spf1 ip4:{ip(20)} -all"\n_dmarc TXT "v=DMARC1; p=quarantine"\n',
    "none.test": f'@ TXT "v=spf1 ip4:{ip(20)} -all"\n_dmarc TXT "v=DMARC1; p=none"\n',
    "org.test": f'_dmarc TXT "v=DMARC1; p=reject; sp=quarantine"\nsub TXT "v=spf1 ip4:{ip(20)} -all"\n',
    "other.test": f'@ TXT "v=spf1 ip4:{ip(21)} -all"\n',
    "plain.test": f'@ TXT "v=spf1 ip4:{ip(20)} -all"\n',
    # The DKIM key is behind a CNAME into a zone nobody serves: the lookup fails (SERVFAIL).
    "tmp.test": '_dmarc TXT "v=DMARC1; p=reject"\nsel._domainkey CNAME key.notserved.zz.\n',
}
knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones=zones).start()
configure(a)
a.start(wait_for="smtp")
use_knot_for_python()


def folder_messages(account, folder):
    con = sqlite3.connect(os.path.join(a.dir, "data", "hearth.db"), timeout=10)
    try:
        rows = con.execute("SELECT m.blob_id FROM mail_messages m JOIN mail_mailboxes x ON x.id = m.mailbox_id "
                           "WHERE x.account = ? AND x.name = ?", (account, folder)).fetchall()
    finally:
        con.close()
    return [blob_bytes(a, b) for (b,) in rows]


def send(n, from_hdr, mail_from, source, extra=b"", sign=False, domain=b"rej.test"):
    subject = f"dmarc case {n}"
    msg = extra + f"From: <{from_hdr}>\r\nTo: alice@a.test\r\nSubject: {subject}\r\n\r\nhello\r\n".encode()
    if sign:
        msg = dkim.sign(msg, b"sel", domain, priv, canonicalize=(b"relaxed", b"relaxed")) + msg
    return subject, mx_send(a, mail_from, "alice@a.test", msg, source=ip(source))


def dmarc_of(msg):
    ars = results_of(msg)
    return (result_map(ars[0]).get("dmarc"), ars) if len(ars) == 1 else (None, ars)


cases = [
    # n, From, MAIL FROM, source, extra, sign, expected dmarc, where ("INBOX"/"Junk"/"refused")
    (1, "x@rej.test", "x@rej.test", 20, b"", False, "pass", "INBOX"),
    (2, "x@rej.test", "b@bounce.rej.test", 20, b"", False, "pass", "INBOX"),  # relaxed SPF alignment
    (3, "x@rej.test", "y@other.test", 21, b"", True, "pass", "INBOX"),        # aligned DKIM only
    (4, "x@rej.test", "y@other.test", 21, b"", False, "fail", "refused"),
    (5, "x@quar.test", "y@other.test", 21, b"", False, "fail", "Junk"),
    (6, "x@none.test", "y@other.test", 21, b"", False, "fail", "INBOX"),
    (7, "x@sub.org.test", "y@other.test", 21, b"", False, "fail", "Junk"),     # org record, sp=quarantine
    (8, "x@sub.org.test", "x@sub.org.test", 20, b"", False, "pass", "INBOX"),
    (9, "x@plain.test", "y@other.test", 21, b"", False, "none", "INBOX"),
]
for n, frm, mfrom, src, extra, sign, expected, where in cases:
    subject, (code, text) = send(n, frm, mfrom, src, extra, sign)
    if where == "refused":
        check(code == 550 and text.startswith(b"5.7.1"), f"case {n}: refused 550 5.7.1 ({code} {text!r})")
        check(find(a, "alice@a.test", f"Subject: {subject}\r\n") is None, f"case {n}: nothing stored")
        continue
    check(code == 250, f"case {n}: accepted ({code} {text!r})")
    got = wait_for(lambda: [m for m in folder_messages("alice@a.test", where) if f"Subject: {subject}\r\n".encode() in m],
                   timeout=10)
    check(bool(got), f"case {n}: delivered to {where}")
    if got:
        d, ars = dmarc_of(got[0])
        check(d == [expected], f"case {n}: dmarc={d} (expected {expected})")

# Forged results claiming our host name go; a foreign one stays.
forged = (b"Authentication-Results: mail.a.test; dkim=pass header.d=rej.test; dmarc=pass\r\n"
          b"Authentication-Results: elsewhere.example; spf=pass smtp.mailfrom=x@rej.test\r\n")
subject, (code, _) = send(10, "x@plain.test", "x@plain.test", 20, extra=forged)
got = wait_for(lambda: find(a, "alice@a.test", f"Subject: {subject}\r\n"))
check(got is not None, "forged case delivered")
if got:
    ars = results_of(got)
    ids = [x.authserv_id for x in ars]
    check(ids == ["mail.a.test", "elsewhere.example"], f"ours replaced the forged one, the foreign one kept ({ids})")
    check(result_map(ars[0]).get("dkim") == ["none"], "our dkim=none (no signature)")
    check(result_map(ars[0]).get("spf") == ["pass"], "our spf=pass")
# A DMARC failure that came with a DNS error is temperror: p=reject defers (451) instead.
subject, (code, text) = send(11, "x@tmp.test", "y@other.test", 21, sign=True, domain=b"tmp.test")
check(code == 451 and text.startswith(b"4.7.5"), f"DNS trouble with p=reject: deferred 451 4.7.5 ({code} {text!r})")
check(find(a, "alice@a.test", f"Subject: {subject}\r\n") is None, "nothing stored")
check(any("dmarc=temperror" in l and "dkim=temperror" in l for l in a.log().splitlines()), "logged as temperror")

check(any("dmarc=fail" in l and "policy=reject" in l for l in a.log().splitlines()), "the refusal is logged")
finish()
