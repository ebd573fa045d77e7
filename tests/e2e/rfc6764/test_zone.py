#!/usr/bin/python3
"""`hearth dns zone` and `hearth dkim`, checked by tools that are not Hearth's own.

The zone that `dns zone` prints for a quickstart instance (with a test SOA/NS in front) must be
accepted by kzonecheck and named-checkzone, load into knotd (NET.53:5353), and every planned
record (the --json form) must come back from `dig` as planned: the SRV records clients use
(_caldavs with its path= TXT, _xmpp-client, _xmpps-client, ...), MX, DKIM (equal to what
`hearth dkim list` prints and to the public half of the stored key, derived with openssl),
DMARC, MTA-STS. `dkim generate` with a new selector adds records to the next `dns zone`.
"""
import base64
import json
import os
import re
import sqlite3
import subprocess

import hearth_test as ht
from hearth_test import NET, check, finish
from knot import Knot

KNOT_ADDR = f"{NET}.53"
KNOT_PORT = 5353
DOMAIN = "example.test"
HOST = f"mail.{DOMAIN}"
IP4 = f"{NET}.1"

inst = ht.Instance(f"demo@{DOMAIN}", extra=["--ip4", IP4])
work = inst.dir

SOA = (f"{DOMAIN}. 3600 IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. {{serial}} 3600 600 86400 300\n"
       f"{DOMAIN}. 3600 IN NS ns.{DOMAIN}.\n"
       f"ns.{DOMAIN}. 3600 IN A {KNOT_ADDR}\n")


def zone(*extra):
    return inst.cli(["dns", "zone", DOMAIN, *extra]).stdout


def with_soa(text, serial=1):
    return SOA.format(serial=serial) + text


def validate(text, what):
    path = os.path.join(work, "validate.zone")
    with open(path, "w") as f:
        f.write(with_soa(text))
    for tool in (["kzonecheck", "-o", DOMAIN, path], ["named-checkzone", DOMAIN, path]):
        cp = subprocess.run(tool, capture_output=True, text=True, timeout=60)
        if cp.returncode != 0:
            print(f"  {cp.stdout}{cp.stderr}")
        check(cp.returncode == 0, f"{tool[0]} accepts {what}")


def txt_strings(text):
    """The character-strings of a presentation-form TXT RDATA, unescaped and joined."""
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', text):
        s = re.sub(r"\\(\d{3})", lambda d: chr(int(d.group(1))), m.group(1))
        out.append(re.sub(r"\\(.)", r"\1", s))
    return "".join(out)


def dig(rtype, name):
    cp = subprocess.run(["dig", f"@{KNOT_ADDR}", "-p", str(KNOT_PORT), "+short", "+time=2", "+tries=2",
                         rtype, name], capture_output=True, text=True, timeout=30)
    return [l for l in cp.stdout.splitlines() if l.strip()]


def dig_txt(name):
    return sorted(txt_strings(l) for l in dig("TXT", name))


def expected_answer(rec):
    """What `dig +short` prints for a planned record (names get their final dot)."""
    v, t = rec["value"], rec["type"]
    if t == "CNAME":
        return v + "."
    if t == "MX":
        pref, host = v.split(" ")
        return f"{pref} {host}."
    if t == "SRV":
        f = v.split(" ")
        return " ".join(f[:3] + [f[3] if f[3] == "." else f[3] + "."])
    return v


def dkim_list():
    """{selector: joined TXT value} from `hearth dkim list`."""
    out, sel = {}, None
    for line in inst.cli(["dkim", "list", DOMAIN]).stdout.splitlines():
        if not line.startswith(" "):
            sel = line.split(" ")[0]
        elif " IN TXT " in line:
            out[sel] = txt_strings(line.split(" IN TXT ", 1)[1])
    return out


# --- the zone file ------------------------------------------------------------------------
text = zone()
check(f"$ORIGIN {DOMAIN}." in text and "$TTL " in text, "dns zone prints $ORIGIN and $TTL")
validate(text, "the generated zone")
doc = json.loads(zone("--json"))
records = doc["records"]
rr_lines = [l for l in text.splitlines() if l and not l.startswith((";", "$"))]
check(doc["domain"] == DOMAIN and len(records) == len(rr_lines) >= 25,
      f"--json parses and has the zone file's record count ({len(records)} / {len(rr_lines)})")
check(all(set(r) >= {"name", "type", "ttl", "value", "comment"} for r in records), "every JSON record has its fields")
check(any("PTR" in n and IP4 in n for n in doc["notes"]), "the PTR to ask the provider for is a note")

knot = Knot(KNOT_ADDR, KNOT_PORT, {DOMAIN: with_soa(text)})
knot.start()

# --- what resolvers see -------------------------------------------------------------------
check(dig("MX", DOMAIN) == [f"10 {HOST}."], "MX -> 10 mail.example.test.")
check(dig("A", HOST) == [IP4], f"A of the host is --ip4 ({IP4})")
check(dig("SRV", f"_caldavs._tcp.{DOMAIN}") == [f"0 1 {inst.port('https')} {HOST}."], "_caldavs._tcp SRV")
check(dig_txt(f"_caldavs._tcp.{DOMAIN}") == ["path=/.well-known/caldav"], "_caldavs._tcp TXT path=")
check(dig_txt(f"_carddavs._tcp.{DOMAIN}") == ["path=/.well-known/carddav"], "_carddavs._tcp TXT path=")
check(dig("SRV", f"_caldav._tcp.{DOMAIN}") == ["0 0 0 ."], "_caldav._tcp is \"0 0 0 .\" (no plaintext)")
check(dig("SRV", f"_xmpp-client._tcp.{DOMAIN}") == [f"0 1 {inst.port('xmpp_client')} {HOST}."],
      "_xmpp-client._tcp SRV carries the configured (offset) port")
check(dig("SRV", f"_xmpps-client._tcp.{DOMAIN}") == [f"0 1 {inst.port('xmpps_client')} {HOST}."],
      "_xmpps-client._tcp SRV")
check(dig("SRV", f"_imaps._tcp.{DOMAIN}") == [f"0 1 {inst.port('imaps')} {HOST}."], "_imaps._tcp SRV")
# XEP-0156: where web clients connect, both transports at one name.
web = f"{HOST}:{inst.port('https')}"
check(dig_txt(f"_xmppconnect.{DOMAIN}") == sorted([f"_xmpp-client-websocket=wss://{web}/xmpp-websocket",
                                                  f"_xmpp-client-xbosh=https://{web}/http-bind"]),
      "_xmppconnect TXT names the WebSocket and BOSH URLs")
check(dig_txt(f"_dmarc.{DOMAIN}") == [f"v=DMARC1; p=quarantine; rua=mailto:postmaster@{DOMAIN}"], "_dmarc TXT")
mta_sts = dig_txt(f"_mta-sts.{DOMAIN}")
check(len(mta_sts) == 1 and re.fullmatch(r"v=STSv1; id=[0-9a-f]{20}", mta_sts[0]) is not None, "_mta-sts TXT")
check(dig("CNAME", f"mta-sts.{DOMAIN}") == [f"{HOST}."], "mta-sts CNAME -> the host")
check(dig_txt(f"_smtp._tls.{DOMAIN}") == [f"v=TLSRPTv1; rua=mailto:postmaster@{DOMAIN}"], "_smtp._tls TXT")
check(dig_txt(DOMAIN) == [f"v=spf1 mx ip4:{IP4} -all"], "SPF TXT")
ua = dig_txt(f"_ua-auto-config.{DOMAIN}")
check(len(ua) == 1 and re.fullmatch(r"v=UAAC1; a=sha256; d=[A-Za-z0-9+/]{43}=", ua[0]) is not None,
      "_ua-auto-config TXT (PACC digest)")

# Every planned record is served exactly as planned.
planned = {}
for r in records:
    planned.setdefault((r["name"], r["type"]), []).append(r)
bad = []
for (name, rtype), recs in sorted(planned.items()):
    if rtype == "TXT":
        got, want = dig_txt(name), sorted(r["value"] for r in recs)
    else:
        got, want = sorted(dig(rtype, name)), sorted(expected_answer(r) for r in recs)
    if got != want:
        bad.append(f"{name} {rtype}: got {got} want {want}")
for b in bad:
    print("  " + b)
check(not bad, f"all {len(planned)} planned RRsets are served by knot as planned")

# --- DKIM: the record equals `dkim list` and the stored private key's public half ---------
listed = dkim_list()
check(set(listed) == {"hearth", "hearth-ed25519"}, f"dkim list shows quickstart's two keys ({sorted(listed)})")
for sel in listed:
    served = dig_txt(f"{sel}._domainkey.{DOMAIN}")
    check(served == [listed[sel]], f"DKIM TXT of {sel} (joined strings) equals `dkim list`")

db = sqlite3.connect(os.path.join(work, "data", "hearth.db"), timeout=10)
for sel, pem in db.execute("SELECT selector, private_pem FROM dkim_keys ORDER BY selector"):
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem.encode(),
                         capture_output=True, timeout=30).stdout
    # RFC 6376: p= is the SubjectPublicKeyInfo for RSA; RFC 8463 §4.2: the raw 32 bytes for Ed25519.
    raw = der[-32:] if sel.endswith("ed25519") else der
    p = base64.b64encode(raw).decode()
    check(listed.get(sel, "").endswith("; p=" + p), f"DKIM p= of {sel} is the stored key's public half (openssl)")
db.close()

# --- dkim generate -----------------------------------------------------------------------
cp = inst.cli(["dkim", "generate", DOMAIN, "--selector", "e2e2026"], check_rc=False)
check(cp.returncode == 0 and "e2e2026._domainkey" in cp.stdout and "e2e2026-ed25519._domainkey" in cp.stdout,
      "dkim generate --selector adds an RSA and an Ed25519 key")
cp = inst.cli(["dkim", "generate", DOMAIN, "--selector", "e2e2026"], check_rc=False)
check(cp.returncode == 1 and "exists" in cp.stderr, "dkim generate refuses an existing selector")
cp = inst.cli(["dkim", "generate", DOMAIN, "--selector", "solo", "--algorithm", "ed25519"], check_rc=False)
check(cp.returncode == 0 and "solo._domainkey" in cp.stdout and "solo-ed25519" not in cp.stdout,
      "dkim generate --algorithm ed25519 adds one key under the given selector")
cp = inst.cli(["dkim", "generate", DOMAIN, "--algorithm", "dsa"], check_rc=False)
check(cp.returncode == 2, "dkim generate --algorithm dsa is a usage error")
cp = inst.cli(["dkim", "generate", "other.test"], check_rc=False)
check(cp.returncode == 1, "dkim generate for a foreign domain fails")

text2 = zone()
records2 = json.loads(zone("--json"))["records"]
check(len(records2) == len(records) + 3, f"the next dns zone has three more records ({len(records)} -> {len(records2)})")
validate(text2, "the zone with the new keys")
knot.update(DOMAIN, with_soa(text2, serial=2))
listed = dkim_list()
for sel in ("e2e2026", "e2e2026-ed25519", "solo"):
    check(dig_txt(f"{sel}._domainkey.{DOMAIN}") == [listed.get(sel)], f"new selector {sel} is served, equal to `dkim list`")

# --- options and errors -------------------------------------------------------------------
over = json.loads(zone("--json", "--ip4", f"{NET}.2", "--ip6", "::1"))["records"]
check({(r["type"], r["value"]) for r in over if r["name"] == HOST} == {("A", f"{NET}.2"), ("AAAA", "::1")},
      "--ip4/--ip6 override the configured addresses")
cp = inst.cli(["dns", "zone", "other.test"], check_rc=False)
check(cp.returncode == 1 and "other.test" in cp.stderr, "dns zone for a foreign domain exits 1")
for args, what in [([], "no domain"), ([DOMAIN, "--ip4", "not-an-ip"], "bad --ip4"),
                   ([DOMAIN, "--ip6", IP4], "IPv4 given to --ip6"), ([DOMAIN, "--frob"], "unknown option")]:
    cp = inst.cli(["dns", "zone", *args], check_rc=False)
    check(cp.returncode == 2, f"dns zone usage error: {what} -> exit 2")
cp = ht.run(["dns", "zone", "--help"], check_rc=False)
check(cp.returncode == 0 and "usage" in cp.stdout, "dns zone --help")
cp = ht.run(["dkim", "--help"], check_rc=False)
check(cp.returncode == 0 and "generate" in cp.stdout, "dkim --help")

knot.stop()
finish()
