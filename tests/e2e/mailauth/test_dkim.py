"""DKIM: signatures made by hearth verify with python3-dkim for RSA and Ed25519, for
messages with long folded headers, 8-bit bodies and trailing blank lines; hearth verifies
messages signed by python3-dkim (dkim.sign and the dkimsign command, RSA and Ed25519) and by
OpenDKIM (opendkim -t, three canonicalizations) on its MX port and reports a
changed message as dkim=fail, in an Authentication-Results field that python3-authres parses.
"""
import base64
import subprocess
import tempfile

import dkim
import nacl.signing

from hearth_test import NET, check, finish
from knot import Knot
from mailauth_lib import (DNS_ADDR, DNS_PORT, Instance, configure, dkim_dnsfunc, dkim_records, dkimsign_cli,
                          dkimverify_cli, find, mx_send,
                          result_map, results_of, submit, txt_rdata, use_knot_for_python, wait_for)

a = Instance("alice@a.test", host=2)
keys = dkim_records(a, "a.test")
zone_a = f"@ MX 10 mail\nmail A {NET}.2\n"
for sel, value in keys.items():
    zone_a += f"{sel}._domainkey TXT {txt_rdata(value)}\n"

# Keys of a remote domain, made by independent tools (openssl for RSA, PyNaCl for Ed25519).
tmp = tempfile.mkdtemp(prefix="hearth-dkim-")
subprocess.run(["openssl", "genrsa", "-out", f"{tmp}/rsa.pem", "2048"], check=True, capture_output=True)
rsa_priv = open(f"{tmp}/rsa.pem", "rb").read()
der = subprocess.run(["openssl", "rsa", "-in", f"{tmp}/rsa.pem", "-pubout", "-outform", "DER"],
                     check=True, capture_output=True).stdout
ed = nacl.signing.SigningKey.generate()
ed_priv = base64.b64encode(bytes(ed))
ed_pub = base64.b64encode(bytes(ed.verify_key)).decode()
zone_ext = (f"rsa._domainkey TXT {txt_rdata('v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode())}\n"
            f'ed._domainkey TXT "v=DKIM1; k=ed25519; p={ed_pub}"\n')
knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones={"a.test": zone_a, "ext.test": zone_ext}).start()
configure(a)
a.start(wait_for="submission")
use_knot_for_python()

# 1. hearth signs; python3-dkim verifies.
long_subject = b"Subject: " + b" ".join([b"word%d" % i for i in range(60)]) + b"\r\n"
cases = {
    "long headers": (b"From: Alice <alice@a.test>\r\nTo: alice@a.test\r\n" + long_subject.replace(b"word30 ", b"word30\r\n\t") +
                     b"X-Long: " + b"x" * 900 + b"\r\n\r\nshort body\r\n"),
    "8-bit body": ("From: alice@a.test\r\nTo: alice@a.test\r\nSubject: 8bit\r\nMIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                   "Grüße aus Köln — ça va ?\r\n").encode(),
    "trailing blank lines": b"From: alice@a.test\r\nTo: alice@a.test\r\nSubject: trailing\r\n\r\nbody   \r\n\r\n\r\n\r\n",
}
for name, body in cases.items():
    marker = f"X-Case: {name}".encode()
    submit(a, "alice@a.test", marker + b"\r\n" + body)
for name in cases:
    got = wait_for(lambda: find(a, "alice@a.test", f"X-Case: {name}"))
    check(got is not None, f"{name}: delivered")
    if not got:
        continue
    d = dkim.DKIM(got)
    n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
    check(n == 2, f"{name}: two signatures")
    for i in range(n):
        check(dkim.DKIM(got).verify(idx=i, dnsfunc=dkim_dnsfunc), f"{name}: signature {i} verifies (python3-dkim)")
        cli_ok, out = dkimverify_cli(got, index=i)
        check(cli_ok, f"{name}: dkimverify --index {i}: {out}")

# 2. python3-dkim signs; hearth verifies on its MX port.
base = (b"From: Eve <eve@ext.test>\r\nTo: alice@a.test\r\nSubject: signed elsewhere %s\r\n"
        b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@ext.test>\r\n\r\nHello from ext.\r\n\r\n")
for tag, sel, key, sign_alg in ((b"rsa", b"rsa", rsa_priv, b"rsa-sha256"), (b"ed", b"ed", ed_priv, b"ed25519-sha256")):
    for canon in ((b"relaxed", b"relaxed"), (b"simple", b"simple")):
        subj = tag + b"-" + canon[0]
        m = base % (subj, subj)
        sig = dkim.sign(m, sel, b"ext.test", key, canonicalize=canon, signature_algorithm=sign_alg,
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        code, _ = mx_send(a, "eve@ext.test", "alice@a.test", sig + m, source=f"{NET}.50")
        check(code == 250, f"{subj.decode()}: accepted")
        got = wait_for(lambda: find(a, "alice@a.test", "signed elsewhere " + subj.decode()))
        ars = results_of(got) if got else []
        check(len(ars) == 1 and result_map(ars[0]).get("dkim") == ["pass"],
              f"{subj.decode()}: dkim=pass ({[result_map(x) for x in ars]})")
        if ars:
            props = {p.name: p.value for r in ars[0].results if r.method == "dkim" for p in r.properties}
            check(props.get("d") == "ext.test", f"header.d=ext.test ({props})")

# 2b. The dkimsign command (RSA and Ed25519 keys in files, as a sender's admin would use it).
open(f"{tmp}/ed.key", "wb").write(ed_priv)
for alg, sel, keyfile in (("rsa-sha256", "rsa", f"{tmp}/rsa.pem"), ("ed25519-sha256", "ed", f"{tmp}/ed.key")):
    subj = ("cli-" + sel).encode()
    signed = dkimsign_cli(base % (subj, subj), sel, "ext.test", keyfile, signalg=alg)
    check(signed.startswith(b"DKIM-Signature:"), f"dkimsign {alg} signed")
    code, _ = mx_send(a, "eve@ext.test", "alice@a.test", signed, source=f"{NET}.50")
    got = wait_for(lambda: find(a, "alice@a.test", "signed elsewhere " + subj.decode()))
    ars = results_of(got) if got else []
    check(len(ars) == 1 and result_map(ars[0]).get("dkim") == ["pass"],
          f"dkimsign {alg}: hearth says dkim=pass ({[result_map(x) for x in ars]})")

# 2c. OpenDKIM (the opendkim milter's test mode, libopendkim's signer) signs; hearth verifies.
for canon in ("relaxed/relaxed", "simple/simple", "relaxed/simple"):
    subj = ("opendkim-" + canon.replace("/", "-")).encode()
    m = base % (subj, subj)
    with open(f"{tmp}/od.msg", "wb") as f:
        f.write(m)
    with open(f"{tmp}/od.conf", "w") as f:
        f.write(f"Domain ext.test\nSelector rsa\nKeyFile {tmp}/rsa.pem\nMode s\nCanonicalization {canon}\n"
                "Syslog no\nRequireSafeKeys no\nSignHeaders From,To,Subject,Date,Message-ID\n")
    cp = subprocess.run(["/usr/sbin/opendkim", "-x", f"{tmp}/od.conf", "-t", f"{tmp}/od.msg"],
                        capture_output=True, timeout=30)
    out = (cp.stdout + cp.stderr).decode(errors="replace")
    at = out.find("DKIM-Signature:")
    check(at >= 0, f"opendkim {canon} signed ({out[:200]!r})")
    if at < 0:
        continue
    field = "\r\n".join(l.rstrip("\r") for l in out[at:].strip().split("\n")) + "\r\n"
    code, _ = mx_send(a, "eve@ext.test", "alice@a.test", field.encode() + m, source=f"{NET}.50")
    got = wait_for(lambda: find(a, "alice@a.test", "signed elsewhere " + subj.decode()))
    ars = results_of(got) if got else []
    check(len(ars) == 1 and result_map(ars[0]).get("dkim") == ["pass"],
          f"opendkim {canon}: hearth says dkim=pass ({[result_map(x) for x in ars]})")

# 3. A changed body is dkim=fail; a signature whose key is absent is permerror.
m = base % (b"tampered", b"tampered")
sig = dkim.sign(m, b"rsa", b"ext.test", rsa_priv, canonicalize=(b"relaxed", b"relaxed"))
mx_send(a, "eve@ext.test", "alice@a.test", sig + m.replace(b"Hello", b"Jello"), source=f"{NET}.50")
got = wait_for(lambda: find(a, "alice@a.test", "signed elsewhere tampered"))
ars = results_of(got) if got else []
check(len(ars) == 1 and result_map(ars[0]).get("dkim") == ["fail"], f"tampered: dkim=fail ({[result_map(x) for x in ars]})")
m = base % (b"nokey", b"nokey")
sig = dkim.sign(m, b"missing", b"ext.test", rsa_priv, canonicalize=(b"relaxed", b"relaxed"))
mx_send(a, "eve@ext.test", "alice@a.test", sig + m, source=f"{NET}.50")
got = wait_for(lambda: find(a, "alice@a.test", "signed elsewhere nokey"))
ars = results_of(got) if got else []
check(len(ars) == 1 and result_map(ars[0]).get("dkim") == ["permerror"], f"no key: dkim=permerror ({[result_map(x) for x in ars]})")
# 4. l=: a signature covering the whole body passes; content added after l= is "policy".
for subj, extra in ((b"lfull", b""), (b"lextra", b"Appended by someone else.\r\n")):
    m = base % (subj, subj)
    sig = dkim.sign(m, b"rsa", b"ext.test", rsa_priv, canonicalize=(b"relaxed", b"relaxed"), length=True)
    mx_send(a, "eve@ext.test", "alice@a.test", sig + m + extra, source=f"{NET}.50")
    got = wait_for(lambda: find(a, "alice@a.test", "signed elsewhere " + subj.decode()))
    ars = results_of(got) if got else []
    want = "pass" if not extra else "policy"
    check(len(ars) == 1 and result_map(ars[0]).get("dkim") == [want], f"{subj.decode()}: dkim={want} ({[result_map(x) for x in ars]})")
finish()
