#!/usr/bin/python3
"""`hearth dns check` against a local authoritative server (knotd on NET.53:5353).

Knot serves the zone that `hearth dns zone example.test` prints, the reverse zone of the
instance's public address (NET.10 -> mail.example.test) and two empty blocklist zones
(bl.test for addresses, dbl.test for domains) that the instance's config points at. The check
passes (exit 0, no FAIL); then each record is broken in turn -- missing SRV, wrong DKIM key,
PTR naming another host, the address listed on the blocklist, two SPF records, the CAA record
(zone.caa) missing, the autoconfig CNAME replaced by an A record of another address -- and each
time exactly that FAIL is reported with exit 1. Finally --connect reads the SMTP greeting of the
running instance.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearth_test import NET, Instance, check, finish, run  # noqa: E402
from knot import Knot  # noqa: E402

KNOT_ADDR = f"{NET}.53"
KNOT_PORT = 5353
PUBLIC_IP = f"{NET}.10"  # the instance listens here too, so --connect reaches it
DOMAIN = "example.test"
HOST = f"mail.{DOMAIN}"

inst = Instance(f"demo@{DOMAIN}", host=10,
                extra=["--ip4", PUBLIC_IP, "--dns-server", f"{KNOT_ADDR}:{KNOT_PORT}"])


def set_key(text, section, key, value):
    """Sets KEY = VALUE inside [SECTION] of a TOML text written by quickstart."""
    out, current, done = [], None, False
    for line in text.splitlines():
        m = re.match(r"^\[+([^\]]+)\]+\s*$", line)
        if m:
            current = m.group(1)
        elif current == section and re.match(rf"^{re.escape(key)}\s*=", line):
            line, done = f"{key} = {value}", True
        out.append(line)
    if not done:
        raise RuntimeError(f"no {section}.{key} in the config")
    return "\n".join(out) + "\n"


with open(inst.config) as f:
    toml = f.read()
toml = set_key(toml, "blocklists", "ip", '["bl.test"]')
toml = set_key(toml, "blocklists", "domain", '["dbl.test"]')
toml = set_key(toml, "smtp.outbound", "port", str(inst.port("smtp")))
toml = set_key(toml, "zone", "caa", '["letsencrypt.org"]')
with open(inst.config, "w") as f:
    f.write(toml)

ZONE = inst.cli(["dns", "zone", DOMAIN]).stdout
check("_imaps._tcp" in ZONE and "hearth._domainkey" in ZONE, "dns zone prints the records to serve")


def is_record(line, owner, rtype):
    """True for a zone line of OWNER (relative, as `dns zone` writes it) and type RTYPE."""
    f = line.split()
    return bool(f) and f[0] in (owner, f"{owner}.{DOMAIN}.") and rtype in f[1:4]


check(any(is_record(l, "@", "CAA") or is_record(l, f"{DOMAIN}.", "CAA") for l in ZONE.splitlines())
      and 'issue "letsencrypt.org"' in ZONE, "dns zone prints the CAA record of zone.caa")
check(any(is_record(l, "autoconfig", "CNAME") for l in ZONE.splitlines()), "dns zone prints the autoconfig CNAME")

serial = [1]


def with_soa(origin, text):
    """The zone text with a SOA whose serial grows at every update, so knot reloads it."""
    serial[0] += 1
    return (f"$ORIGIN {origin}.\n{text}\n$ORIGIN {origin}.\n"
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. {serial[0]} 3600 600 86400 300\n"
            f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n")


last = NET.split(".")[-1]
REVERSE_ORIGIN = f"{last}.0.127.in-addr.arpa"
REVERSE = f"10 IN PTR {HOST}.\n"
BL_NAME = f"10.{last}.0.127"  # RFC 5782 §2.1: the address's octets reversed, under the list

knot = Knot(KNOT_ADDR, KNOT_PORT, {
    DOMAIN: with_soa(DOMAIN, ZONE),
    REVERSE_ORIGIN: with_soa(REVERSE_ORIGIN, REVERSE),
    "bl.test": with_soa("bl.test", ""),
    "dbl.test": with_soa("dbl.test", ""),
})
knot.start()


def dns_check(*extra):
    return inst.cli(["dns", "check", DOMAIN, *extra], check_rc=False, timeout=120)


def fails(cp):
    return [l for l in cp.stdout.splitlines() if l.startswith("FAIL ")]


def expect_pass(what, *extra):
    cp = dns_check(*extra)
    ok = cp.returncode == 0 and not fails(cp) and cp.stdout.rstrip().endswith(" 0 failures")
    if not ok:
        print(f"  rc={cp.returncode}\n{cp.stdout}{cp.stderr}")
    check(ok, what)
    return cp


def expect_one_fail(what, prefix, extra_test=None):
    cp = dns_check()
    f = fails(cp)
    ok = cp.returncode == 1 and len(f) == 1 and f[0].startswith(prefix) and (extra_test is None or extra_test(f[0]))
    if not ok:
        print(f"  rc={cp.returncode} fails={f}\n{cp.stdout}{cp.stderr}")
    check(ok, f"{what}: exactly one FAIL, {prefix!r}, exit 1")


cp = expect_pass("dns check passes on the published zone")
for line in ["OK   MX example.test", "OK   SRV _imaps._tcp.example.test", f"OK   PTR {PUBLIC_IP} = {HOST}",
             f"OK   FCrDNS {HOST} -> {PUBLIC_IP}", "OK   DKIM key hearth (hearth._domainkey.example.test)",
             "OK   TXT example.test (SPF)", "OK   SPF lookups example.test (1 of 10)",
             f"OK   blocklist bl.test: {PUBLIC_IP} not listed", "OK   blocklist dbl.test: example.test not listed",
             "OK   CNAME autoconfig.example.test -> mail.example.test",
             "OK   TXT _caldavs._tcp.example.test (DAV path)", "OK   CAA example.test",
             "OK   TXT _xmppconnect.example.test (XMPP WebSocket)", "OK   TXT _xmppconnect.example.test (XMPP BOSH)"]:
    check(any(l.startswith(line) for l in cp.stdout.splitlines()), f"reported: {line}")
check(not any(l.startswith("WARN") for l in cp.stdout.splitlines()), "no warnings on the good zone")

# 1. The IMAPS SRV record is missing.
knot.update(DOMAIN, with_soa(DOMAIN, "\n".join(l for l in ZONE.splitlines() if not l.startswith("_imaps._tcp"))))
expect_one_fail("missing _imaps._tcp SRV", "FAIL SRV _imaps._tcp.example.test: no SRV record",
                lambda l: "publish SRV record _imaps._tcp.example.test: 0 1 20993 mail.example.test" in l)
knot.update(DOMAIN, with_soa(DOMAIN, ZONE))

# 2. The DKIM record carries another key.
other = subprocess.run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null"
                       " | openssl pkey -pubout -outform DER | base64 -w0",
                       shell=True, capture_output=True, text=True, check=True).stdout.strip()
chunks = " ".join(f'"{c}"' for c in re.findall(".{1,200}", "v=DKIM1; k=rsa; p=" + other))
broken = "\n".join(f"hearth._domainkey IN TXT {chunks}" if l.startswith("hearth._domainkey ") else l
                   for l in ZONE.splitlines())
check(broken != ZONE and other not in ZONE, "test set-up: a different DKIM key")
knot.update(DOMAIN, with_soa(DOMAIN, broken))
expect_one_fail("wrong DKIM key", "FAIL DKIM key hearth (hearth._domainkey.example.test): "
                "the public key in DNS does not match the private key on disk")
knot.update(DOMAIN, with_soa(DOMAIN, ZONE))

# 3. The PTR names another host.
knot.update(REVERSE_ORIGIN, with_soa(REVERSE_ORIGIN, "10 IN PTR host-10.provider.test.\n"))
expect_one_fail("PTR not matching", f"FAIL PTR {PUBLIC_IP} = {HOST}",
                lambda l: f"ask your hosting provider to set the PTR of {PUBLIC_IP} to {HOST}" in l)
knot.update(REVERSE_ORIGIN, with_soa(REVERSE_ORIGIN, REVERSE))

# 4. The address is on the blocklist, with a removal URL in the listing's TXT.
knot.update("bl.test", with_soa("bl.test", f'{BL_NAME} IN A 127.0.0.2\n'
                                           f'{BL_NAME} IN TXT "Listed: see https://bl.test/remove?ip={PUBLIC_IP}"\n'))
expect_one_fail("IP on the blocklist", f"FAIL blocklist bl.test: {PUBLIC_IP}: listed (127.0.0.2)",
                lambda l: f"ask for removal at https://bl.test/remove?ip={PUBLIC_IP}" in l)
knot.update("bl.test", with_soa("bl.test", ""))

# 5. Two SPF records.
knot.update(DOMAIN, with_soa(DOMAIN, ZONE + '\n@ IN TXT "v=spf1 ip4:192.0.2.1 -all"\n'))
expect_one_fail("two SPF records", "FAIL TXT example.test (SPF): 2 SPF records")
knot.update(DOMAIN, with_soa(DOMAIN, ZONE))

# 6. The CAA record is missing.
no_caa = "\n".join(l for l in ZONE.splitlines() if " CAA " not in f" {l} ")
check(no_caa != ZONE, "test set-up: a zone without the CAA record")
knot.update(DOMAIN, with_soa(DOMAIN, no_caa))
expect_one_fail("missing CAA", "FAIL CAA example.test: no CAA record",
                lambda l: 'publish CAA record example.test: 0 issue "letsencrypt.org"' in l)
knot.update(DOMAIN, with_soa(DOMAIN, ZONE))


def autoconfig_as_a(addr):
    return "\n".join(f"autoconfig IN A {addr}" if is_record(l, "autoconfig", "CNAME") else l
                      for l in ZONE.splitlines())


# 7. The autoconfig CNAME replaced by an A record of another address.
knot.update(DOMAIN, with_soa(DOMAIN, autoconfig_as_a(f"{NET}.99")))
expect_one_fail("autoconfig CNAME replaced by an A record", "FAIL CNAME autoconfig.example.test: "
                f"autoconfig.example.test has A/AAAA records ({NET}.99) instead of a CNAME to {HOST}")
# ... and by an A record of the host's own address: it works today, so a WARN, exit 0.
knot.update(DOMAIN, with_soa(DOMAIN, autoconfig_as_a(PUBLIC_IP)))
cp = dns_check()
warns = [l for l in cp.stdout.splitlines() if l.startswith("WARN ")]
ok = cp.returncode == 0 and not fails(cp) and len(warns) == 1 and \
    warns[0].startswith("WARN CNAME autoconfig.example.test: ") and "instead of a CNAME" in warns[0]
if not ok:
    print(f"  rc={cp.returncode}\n{cp.stdout}{cp.stderr}")
check(ok, "autoconfig as an A record of the host's address: one WARN explaining a CNAME is expected, exit 0")
knot.update(DOMAIN, with_soa(DOMAIN, ZONE))

expect_pass("dns check passes again after every repair")

# --connect: the running instance greets with "220 mail.example.test ...".
inst.start(wait_for="smtp")
cp = expect_pass("dns check --connect passes against the running instance", "--connect")
banner = f"OK   SMTP banner {HOST} [{PUBLIC_IP}]:{inst.port('smtp')}"
check(banner in cp.stdout.splitlines(), f"reported: {banner}")
inst.stop()
cp = dns_check("--connect")
check(cp.returncode == 1 and any(l.startswith(f"FAIL SMTP banner {HOST}") for l in fails(cp)),
      "--connect with the server stopped: FAIL, exit 1")

# Usage: --help, missing domain, unknown domain, bad options.
check(inst.cli(["dns", "check", "--help"], check_rc=False).returncode == 0, "dns check --help exits 0")
for args, what in [([], "no domain"), (["other.test"], "not our domain"), ([DOMAIN, "--ip4", "nope"], "bad --ip4"),
                   ([DOMAIN, "--server", "dns.example"], "bad --server"), ([DOMAIN, "--frob"], "unknown option")]:
    cp = inst.cli(["dns", "check", *args], check_rc=False)
    check(cp.returncode == 2 and cp.stderr.startswith("hearth:"), f"usage error: {what} -> exit 2")

knot.stop()
finish()
