#!/usr/bin/python3
"""`hearth dns lookup` against a real authoritative server (knotd on NET.1:5353).

Checks every record type the resolver supports, printed in zone-file field order, through a
config whose dns.servers points at knot; NXDOMAIN/NODATA exit codes; a silent server gives
`temporary` (exit 3); usage errors exit 2.
"""
import atexit
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearth_test import NET, check, finish, run  # noqa: E402
from knot import Knot  # noqa: E402

KNOT_ADDR = f"{NET}.1"
KNOT_PORT = 5353
SILENT = f"{NET}.9"  # nothing listens here

ZONE = """
@        MX   10 Mail.Example.TEST.
@        MX   20 backup.example.test.
mail     A    192.0.2.10
mail     AAAA 2001:db8::10
@        TXT  "v=spf1 " "mx -all"
_imaps._tcp        SRV 0 1 993 mail.example.test.
_xmpp-client._tcp  SRV 5 0 5222 mail.example.test.
_25._tcp.mail      TLSA 3 1 1 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef
nomail   MX   0 .
autoconfig CNAME Mail.example.test.
@        CAA  0 issue "letsencrypt.org"
quoted   TXT  "say \\"hi\\"\\\\"
"""
SECOND = """
@        MX   5 mx.second.test.
mx       A    192.0.2.20
"""
# PTR for a loopback test address: unbound answers 127.in-addr.arpa itself unless told not to.
last = NET.split(".")[-1]
REVERSE_ORIGIN = f"{last}.0.127.in-addr.arpa"
REVERSE = f"""
@        SOA  ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@        NS   ns.example.test.
5        PTR  mail.example.test.
"""

knot = Knot(KNOT_ADDR, KNOT_PORT, {"example.test": ZONE, "second.test": SECOND,
                                   REVERSE_ORIGIN: REVERSE})
knot.start()

work = tempfile.mkdtemp(prefix="hearth-e2e-dns-")
atexit.register(shutil.rmtree, work, True)
config = os.path.join(work, "hearth.toml")
with open(config, "w") as f:
    f.write(f"""[server]
hostname = "mail.example.test"
data_dir = "{work}/data"

[dns]
servers = ["{KNOT_ADDR}:{KNOT_PORT}"]
""")


def lookup(*args, timeout=30):
    return run(["--config", config, "dns", "lookup", *args], check_rc=False, timeout=timeout)


def expect(rtype, name, records, status="ok", rc=0, extra=()):
    cp = lookup(*extra, rtype, name)
    lines = cp.stdout.splitlines()
    got_records = sorted(l for l in lines if not l.startswith(";;"))
    status_line = next((l for l in lines if l.startswith(";;")), "")
    ok = (cp.returncode == rc and got_records == sorted(records)
          and status_line.startswith(f";; status={status} "))
    if not ok:
        print(f"  rc={cp.returncode} stdout={cp.stdout!r} stderr={cp.stderr!r}")
    check(ok, f"dns lookup {rtype} {name} -> {status} {records}")


expect("MX", "example.test", ["10 mail.example.test", "20 backup.example.test"])
expect("mx", "EXAMPLE.test.", ["10 mail.example.test", "20 backup.example.test"])
expect("MX", "nomail.example.test", ["0 ."])
expect("MX", "second.test", ["5 mx.second.test"])
expect("A", "mail.example.test", ["192.0.2.10"])
expect("A", "mx.second.test", ["192.0.2.20"])
expect("AAAA", "mail.example.test", ["2001:db8::10"])
expect("TXT", "example.test", ['"v=spf1 mx -all"'])
expect("TXT", "quoted.example.test", ['"say \\"hi\\"\\\\"'])
expect("SRV", "_imaps._tcp.example.test", ["0 1 993 mail.example.test"])
expect("SRV", "_xmpp-client._tcp.example.test", ["5 0 5222 mail.example.test"])
expect("TLSA", "_25._tcp.mail.example.test",
       ["3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"])
expect("PTR", f"{NET}.5", ["mail.example.test"])
expect("CNAME", "autoconfig.example.test", ["mail.example.test"])
expect("CAA", "example.test", ['0 issue "letsencrypt.org"'])

# Absence: exit 1, told apart in the status line.
expect("A", "nope.example.test", [], status="nxdomain", rc=1)
expect("AAAA", "example.test", [], status="nodata", rc=1)

# --server overrides dns.servers: knot given explicitly works, and the silent server below is
# reached only through --server.
expect("A", "mail.example.test", ["192.0.2.10"], extra=("--server", f"{KNOT_ADDR}:{KNOT_PORT}"))

# A server that does not answer: temporary (exit 3). A hang would hit run()'s own timeout.
cp = lookup("--server", f"{SILENT}:{KNOT_PORT}", "--timeout", "1500", "A", "mail.example.test")
check(cp.returncode == 3 and ";; status=temporary" in cp.stdout,
      f"silent server -> temporary, exit 3 (rc={cp.returncode} out={cp.stdout.strip()!r})")

# Usage errors: exit 2.
for args, what in [(["BOGUS", "example.test"], "unknown type"),
                   (["MX"], "missing name"),
                   (["PTR", "not-an-ip"], "PTR without an IP"),
                   (["--server", "dns.example", "A", "x.test"], "--server not an IP"),
                   (["--timeout", "soon", "A", "x.test"], "bad --timeout")]:
    cp = lookup(*args)
    check(cp.returncode == 2 and cp.stderr.startswith("hearth:"), f"usage error: {what} -> exit 2")
cp = run(["dns", "lookup", "--help"], check_rc=False)
check(cp.returncode == 0 and "TYPE" in cp.stdout, "dns lookup --help")
cp = run(["dns", "--help"], check_rc=False)
check(cp.returncode == 0 and "lookup" in cp.stdout, "dns --help")
cp = run(["dns", "frobnicate"], check_rc=False)
check(cp.returncode == 2, "unknown dns command -> exit 2")

knot.stop()
finish()
