#!/usr/bin/python3
"""Our own TLSA record (DANE, RFC 7672) in `hearth dns zone` and `hearth dns check`, against
knotd on NET.53:5353 serving what `dns zone` prints.

- zone.tlsa = true: `dns zone` prints `_25._tcp.mail.example.test TLSA 3 1 1 <digest>`, the
  digest equal to the one the openssl tool computes from the served certificate's key.
- Served as printed: `dns check` says OK for the TLSA record.
- The TLSA record replaced by another key's: a FAIL for it, naming the record to publish and
  the "current + next" advice, exit 1. (Only the TLSA lines are judged here: e2e.dns_check
  covers the rest of the zone.)
- zone.tlsa_next set to a new key: `dns zone` prints both; `dns check` warns while DNS has only
  the current one.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearth_test import NET, Instance, check, finish, set_key  # noqa: E402
from knot import Knot  # noqa: E402

KNOT_ADDR = f"{NET}.53"
KNOT_PORT = 5353
DOMAIN = "example.test"
TLSA_NAME = f"_25._tcp.mail.{DOMAIN}"

inst = Instance(f"demo@{DOMAIN}", host=10, extra=["--ip4", f"{NET}.10", "--dns-server", f"{KNOT_ADDR}:{KNOT_PORT}"])
set_key(inst.config, "zone", "tlsa", "true")


def spki_sha256(pem_file, is_key=False):
    """SHA-256 of the SubjectPublicKeyInfo, by the openssl tool."""
    if is_key:
        der = subprocess.run(["openssl", "pkey", "-in", pem_file, "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout
    else:
        pub = subprocess.run(["openssl", "x509", "-in", pem_file, "-noout", "-pubkey"], capture_output=True, check=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True, check=True).stdout
    return subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=der, capture_output=True, check=True).stdout.split()[0].decode()


def tlsa_lines(zone):
    return [l for l in zone.splitlines() if re.search(r"\sTLSA\s", l) and not l.startswith(";")]


zone = inst.cli(["dns", "zone", DOMAIN]).stdout
want = spki_sha256(inst.cert_file())
lines = tlsa_lines(zone)
check(len(lines) == 1 and lines[0].split()[0] in ("_25._tcp.mail", TLSA_NAME + ".") and lines[0].split()[-5:] == ["TLSA", "3", "1", "1", want],
      f"dns zone publishes TLSA 3 1 1 of the certificate's key: {lines}")

serial = [1]


def with_soa(text):
    serial[0] += 1
    return (f"$ORIGIN {DOMAIN}.\n{text}\n$ORIGIN {DOMAIN}.\n"
            f"@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. {serial[0]} 3600 600 86400 300\n"
            f"@ IN NS ns.{DOMAIN}.\nns IN A 127.0.0.1\n")


knot = Knot(KNOT_ADDR, KNOT_PORT, {DOMAIN: with_soa(zone)}).start()


def tlsa_findings():
    cp = inst.cli(["dns", "check", DOMAIN], check_rc=False, timeout=120)
    return cp, [l for l in cp.stdout.splitlines() if f"TLSA {TLSA_NAME}" in l]


cp, found = tlsa_findings()
check(found == [f"OK   TLSA {TLSA_NAME}"], f"dns check: the published TLSA matches the key: {found}")

# Another key's record only.
other = "3 1 1 " + "ab" * 32
knot.update(DOMAIN, with_soa(zone.replace(f"3 1 1 {want}", other)))
cp, found = tlsa_findings()
fails = [l for l in found if l.startswith("FAIL ")]
check(cp.returncode == 1 and len(fails) == 1 and len(found) == 1, f"a TLSA of another key: FAIL, exit 1: {found}")
if fails:
    check(f"publish {TLSA_NAME}. TLSA 3 1 1 {want}" in fails[0] and "current + next" in fails[0],
          "the fix names the record to publish and the rotation advice")

# The next key, configured before a rotation.
key = os.path.join(inst.dir, "next.key")
subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
               check=True, capture_output=True)
set_key(inst.config, "zone", "tlsa_next", f'"{key}"')
nxt = spki_sha256(key, is_key=True)
lines = tlsa_lines(inst.cli(["dns", "zone", DOMAIN]).stdout)
check(len(lines) == 2 and lines[0].endswith(want) and lines[1].endswith(nxt), "dns zone publishes current + next")
knot.update(DOMAIN, with_soa(zone))
cp, found = tlsa_findings()
check(len(found) == 1 and found[0].startswith(f"WARN TLSA {TLSA_NAME}") and nxt in found[0],
      f"dns check warns while the next key is not published: {found}")
knot.stop()
finish()
