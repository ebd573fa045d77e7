"""DANE (RFC 7672) when sending: A (alice@a.test) delivers to B, which hosts dane.test,
bad.test and plain.test on one MX address. knot serves all zones; dane.test and bad.test are
signed by knot itself (automatic signing, key made at start) and A's resolver takes their DS
records as its trust anchor (dns.trust_anchor_file), so only their answers are DNSSEC-secure.

- dane.test: TLSA 3 1 1 of B's certificate key at _PORT._tcp.mx.dane.test: delivered over
  DANE-authenticated TLS (B's certificate is from a private CA A does not trust, and names
  another host: DANE-EE ignores both).
- bad.test: a TLSA 3 1 1 that matches no key: deferred with 4.7.5 and the reason in the log,
  `hearth queue list` and the delay DSN; B never gets the message.
- plain.test: unsigned, with the same wrong TLSA record: ignored (RFC 7672 §2.2: insecure),
  delivered with opportunistic TLS.
- REQUIRETLS (RFC 8689) to dane.test, which has no MTA-STS policy: DANE authenticates B, which
  advertises REQUIRETLS: delivered.
- pkix.test: signed, with only a PKIX-EE record (usage 1, not usable for SMTP): TLS is still
  required but not authenticated: delivered, the policy line says dane.
- bogus.test: signed, but the anchor A gets for it is a DS of another key: every answer is
  bogus, and the message is deferred (never sent in the clear to the unverified MX).
"""
import smtplib
import ssl
import re
import subprocess

from hearth_test import NET, Instance, check, finish, set_key
from knot import Knot
from queue_lib import find, log_lines, submit, wait_for

DNS_PORT = 5353
A_ADDR, B_ADDR = f"{NET}.2", f"{NET}.3"

a = Instance("alice@a.test", host=2)
b = Instance("bob@dane.test", host=3, hostname="mail.b.test")
for d, user in (("bad.test", "bob@bad.test"), ("plain.test", "bob@plain.test"), ("bogus.test", "bob@bogus.test"),
                ("pkix.test", "bob@pkix.test")):
    b.cli(["domain", "add", d])
    b.cli(["user", "add", user, "--password-stdin"], input="bob-password-12345\n")
port = b.port("smtp")  # A's smtp.outbound.port, so the TLSA name is _PORT._tcp.HOST


def spki_sha256(cert_file):
    """The DANE 3 1 1 data of a PEM certificate, computed with the openssl tool."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_file, "-noout", "-pubkey"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True, check=True).stdout
    out = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=der, capture_output=True, check=True).stdout
    return out.decode().split()[0]


good = spki_sha256(b.cert_file())
wrong = "0" * 64
check(re.fullmatch(r"[0-9a-f]{64}", good) is not None, f"B's key digest: {good}")


def zone(tlsa):
    return f"@ MX 10 mx\nmx A {B_ADDR}\n_{port}._tcp.mx TLSA 3 1 1 {tlsa}\n"


dns = Knot(addr=f"{NET}.1", port=DNS_PORT, signed=("dane.test", "bad.test", "bogus.test", "pkix.test"), zones={
    "a.test": f"@ MX 10 mail\nmail A {A_ADDR}\n",
    "dane.test": zone(good),
    "bad.test": zone(wrong),
    "plain.test": zone(wrong),
    "bogus.test": zone(good),
    "pkix.test": zone(wrong).replace("TLSA 3 1 1", "TLSA 1 1 1"),
}).start()
anchor = f"{a.dir}/anchor.ds"
with open(anchor, "w") as f:
    # bogus.test: the DS digest with its last hex digit changed, so nothing validates.
    forged = re.sub(r"([0-9a-f])$", lambda m: "0" if m.group(1) != "0" else "1",
                    dns.trust_anchor("bogus.test").splitlines()[0].strip())
    f.write(dns.trust_anchor("dane.test") + dns.trust_anchor("bad.test") + dns.trust_anchor("pkix.test") + forged + "\n")

for inst in (a, b):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
    set_key(inst.config, "smtp.queue", "bind_addresses", f'["{inst.addr}"]')
set_key(a.config, "dns", "trust_anchor_file", f'"{anchor}"')
set_key(a.config, "smtp.outbound", "port", str(port))
set_key(a.config, "smtp.queue", "first_retry", "1")
set_key(a.config, "smtp.queue", "max_retry", "2")
set_key(a.config, "smtp.queue", "delay_warning", "1")
a.cli(["config", "check"])

# The resolver validates the signed zones against the test's anchor, and only those.
look = a.cli(["dns", "lookup", "TLSA", f"_{port}._tcp.mx.dane.test"], check_rc=False).stdout
check(f"3 1 1 {good}" in look and "secure=yes" in look, "A's resolver validates dane.test's TLSA: " + look.strip()[-60:])
look = a.cli(["dns", "lookup", "TLSA", f"_{port}._tcp.mx.plain.test"], check_rc=False).stdout
check("status=ok" in look and "secure=no" in look, "and sees plain.test's as insecure: " + look.strip()[-60:])

b.start(wait_for="smtp")
a.start(wait_for="submission")

# 1. A matching TLSA record.
check(submit(a, "bob@dane.test", "dane good") == {}, "A accepted mail for bob@dane.test")
check(wait_for(lambda: find(b, "bob@dane.test", "Subject: dane good")) is not None, "it reached B")
pol = [l for l in log_lines(a, "smtp.out.tls_policy") if "domain=dane.test" in l]
check(bool(pol) and "policy=dane" in pol[-1] and "result=ok" in pol[-1], "over DANE: " + (pol[-1][:200] if pol else "no line"))

# REQUIRETLS with DANE and no MTA-STS policy.
def submit_requiretls(to, subject):
    ctx = ssl.create_default_context(cafile=a.ca_file())
    ctx.check_hostname = False
    msg = f"From: <alice@a.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\r\nbody\r\n"
    with smtplib.SMTP(a.addr, a.port("submission"), timeout=30) as s:
        s.starttls(context=ctx)
        s.login(a.email, a.password)
        return s.sendmail("alice@a.test", [to], msg.encode(), mail_options=["REQUIRETLS"])


check(submit_requiretls("bob@dane.test", "dane requiretls") == {}, "A accepted a REQUIRETLS message for dane.test")
check(wait_for(lambda: find(b, "bob@dane.test", "Subject: dane requiretls")) is not None,
      "DANE authenticated B for REQUIRETLS: delivered")

# Only unusable records: encrypted, unauthenticated.
check(submit(a, "bob@pkix.test", "dane pkix") == {}, "A accepted mail for bob@pkix.test")
check(wait_for(lambda: find(b, "bob@pkix.test", "Subject: dane pkix")) is not None,
      "a TLSA set of PKIX usages only does not stop delivery")
pol = [l for l in log_lines(a, "smtp.out.tls_policy") if "domain=pkix.test" in l]
check(bool(pol) and "policy=dane" in pol[-1] and "result=ok" in pol[-1], "under the DANE policy (TLS required)")

# 3. (before 2, whose retries keep the queue busy) An unsigned zone's TLSA record is ignored.
check(submit(a, "bob@plain.test", "dane plain") == {}, "A accepted mail for bob@plain.test")
check(wait_for(lambda: find(b, "bob@plain.test", "Subject: dane plain")) is not None,
      "the wrong TLSA record of the unsigned zone is ignored: delivered")
pol = [l for l in log_lines(a, "smtp.out.tls_policy") if "domain=plain.test" in l]
check(bool(pol) and "policy=none" in pol[-1] and "result=ok" in pol[-1], "with no policy: " + (pol[-1][:200] if pol else "no line"))

# 2. A TLSA record that matches no key.
check(submit(a, "bob@bad.test", "dane bad") == {}, "A accepted mail for bob@bad.test")
deferred = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l and "bob@bad.test" in l])
check(bool(deferred), "A deferred it")
if deferred:
    check("dsn=4.7.5" in deferred[0] and "DANE" in deferred[0] and "matches none of the TLSA records" in deferred[0],
          "with 4.7.5 and the reason: " + deferred[0][:300])
pol = [l for l in log_lines(a, "smtp.out.tls_policy") if "domain=bad.test" in l]
check(bool(pol) and "policy=dane" in pol[-1] and "result=fail" in pol[-1] and "type=tlsa-invalid" in pol[-1],
      "the policy line says dane, fail, tlsa-invalid")


def queue_list_with(word):
    """`hearth queue list`, or "" while it lacks WORD: the smtp.out line is logged before
    the outcome is recorded, so the row may lag the log by a moment."""
    out = a.cli(["queue", "list"]).stdout
    return out if word in out else ""


listing = wait_for(lambda: queue_list_with("DANE")) or ""
check("DANE" in listing and "bob@bad.test" in listing, "hearth queue list shows the reason")
dsn = wait_for(lambda: find(a, "alice@a.test", "dane bad"))
check(dsn is not None and b"DANE" in dsn and b"4.7.5" in dsn, "the delay DSN carries the reason")
check(find(b, "bob@bad.test", "Subject: dane bad") is None, "and the message did not reach B")
# 4. Bogus answers.
check(submit(a, "bob@bogus.test", "dane bogus") == {}, "A accepted mail for bob@bogus.test")
deferred = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l and "bob@bogus.test" in l])
check(bool(deferred) and "bogus" in deferred[0], "bogus DNS answers defer it: " + (deferred[0][:260] if deferred else "no line"))
check(find(b, "bob@bogus.test", "Subject: dane bogus") is None, "and it did not reach B")
a.stop()
b.stop()
finish()
