#!/usr/bin/python3
"""The admin console's Reports view: DMARC aggregate and TLS-RPT reports that other servers
send over SMTP to postmaster@a.test (the report address of `hearth dns zone`) are shown per
domain and day, with the sending IPs to act on, over the API (GET /api/v1/admin/reports with
an admin token) and on the page #/admin-reports in Debian's headless Chromium.

The reports are the fixtures of tests/e2e/reports/: a day at google.test (gzip) where our own
server passes, a forgotten service fails DKIM only and a forger fails both; the next day from
outlook.test (zip); the RFC 8460 example as application/tlsrpt+gzip. Knot (NET.1:5353) serves
the reporters' SPF records. The screenshot is kept in web-reports-artifacts/.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reports"))
import reports_lib  # noqa: E402,F401 (first: puts mailauth_lib and queue_lib on the path)
from hearth_test import NET, Instance, check, finish  # noqa: E402
from knot import Knot  # noqa: E402
from mailauth_lib import DNS_ADDR, DNS_PORT, configure, mx_send  # noqa: E402
from queue_lib import log_lines, wait_for  # noqa: E402
from reports_lib import data, dmarc_xml, gz, report_message, zipped  # noqa: E402
from admin_lib import TokenApi, error_code  # noqa: E402

NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not os.path.isdir(os.path.join(NPM, "node_modules", "playwright-core")) or not os.path.exists(CHROMIUM) \
        or not shutil.which("certutil"):
    print(f"SKIP: needs playwright-core in {NPM} (scripts/setup.sh installs it), {CHROMIUM} and certutil")
    sys.exit(77)

DAY = 1767225600  # 2026-01-01T00:00:00Z
SRC = f"{NET}.20"  # the reporters send from here; their SPF records allow it
zones = {"a.test": f"@ MX 10 mail\nmail A {NET}.2\n"}
for org in ("google.test", "outlook.test", "acme.test"):
    zones[org] = f'@ TXT "v=spf1 ip4:{SRC} -all"\n'
Knot(addr=DNS_ADDR, port=DNS_PORT, zones=zones).start()
a = Instance("alice@a.test", host=2)
configure(a)
a.cli(["user", "admin", a.email, "on"])
a.start(wait_for="https")
token = a.cli(["token", "create", a.email, "reports test"]).stdout.strip().splitlines()[-1]
api = TokenApi(a, token)

st, body = api.call("GET", "/api/v1/admin/reports")
check(st == 200 and body["dmarc"]["reports"] == 0 and body["dmarc"]["days"] == [] and body["tls"]["days"] == [],
      f"before any report: empty lists ({st} {body})")


def deliver(what, subject, maintype, subtype, filename, payload, tls=False, org="google.test"):
    msg = report_message(f"noreply@{org}", "postmaster@a.test", subject, maintype, subtype, filename, payload, tls)
    code, text = mx_send(a, f"noreply@{org}", "postmaster@a.test", msg, source=SRC)
    check(code == 250, f"{what}: accepted over SMTP ({code} {text!r})")


day1 = dmarc_xml("google.test", "g-1", "a.test", DAY, [
    (f"{NET}.2", 40, "none", "pass", "pass", "a.test"),
    ("198.51.100.7", 12, "none", "fail", "pass", "a.test"),
    ("203.0.113.9", 3, "quarantine", "fail", "fail", "a.test"),
])
deliver("DMARC, gzip", "Report domain: a.test Submitter: google.test Report-ID: g-1",
        "application", "gzip", "google.test!a.test!1767225600!1767311999.xml.gz", gz(day1))
day2 = dmarc_xml("outlook.test", "o-7", "a.test", DAY + 86400, [(f"{NET}.2", 9, "none", "pass", "pass", "a.test")])
deliver("DMARC, zip", "Report Domain: a.test Submitter: outlook.test Report-ID: o-7",
        "application", "zip", "outlook.test!a.test!1767312000!1767398399.zip",
        zipped("outlook.test!a.test!1767312000!1767398399.xml", day2), org="outlook.test")
tls_example = data("rfc8460-example.json").replace(b"company-y.example", b"a.test")
deliver("TLS-RPT, gzip", "Report Domain: a.test Submitter: company-x.example Report-ID: <5065427c>",
        "application", "tlsrpt+gzip", "company-x.example!a.test!1459468800!1459555199.json.gz", gz(tls_example),
        tls=True)
check(bool(wait_for(lambda: len(log_lines(a, "reports.received")) >= 3, timeout=30)), "the three reports are read")

# The API, as a script would read it.
st, body = api.call("GET", "/api/v1/admin/reports")
check(st == 200, f"GET /api/v1/admin/reports: 200 ({st})")
dm, tl = body["dmarc"], body["tls"]
check(dm["reports"] == 2 and tl["reports"] == 1, f"two DMARC reports, one TLS-RPT report ({dm['reports']}, {tl['reports']})")
days = {(d["domain"], d["day"]): d for d in dm["days"]}
d1 = days.get(("a.test", "2026-01-01"))
check(d1 is not None and (d1["messages"], d1["dmarc_pass"], d1["dmarc_fail"]) == (55, 52, 3)
      and d1["reporters"] == ["google.test"], f"day 1: 55 messages, 52 pass, 3 fail, from google.test ({d1})")
d2 = days.get(("a.test", "2026-01-02"))
check(d2 is not None and (d2["messages"], d2["dmarc_fail"]) == (9, 0), f"day 2: 9 messages, none failing ({d2})")
verdicts = {s["source_ip"]: s["verdict"] for s in dm["sources"]}
check(verdicts == {f"{NET}.2": "ok", "198.51.100.7": "forgotten", "203.0.113.9": "spoofing"},
      f"our server is ok, the service without DKIM is forgotten, the forger spoofs ({verdicts})")
row = next((r for r in dm["rows"] if r["source_ip"] == "198.51.100.7"), None)
check(row is not None and (row["messages"], row["dkim_pass"], row["spf_pass"]) == (12, 0, 12),
      f"the forgotten service's row: 12 messages, DKIM 0, SPF 12 ({row})")
t = next((d for d in tl["days"] if d["day"] == "2016-04-01"), None)
check(t is not None and (t["success"], t["failure"]) == (5326, 303), f"TLS-RPT counts of the RFC 8460 example ({t})")
fails = {(f["result_type"], f["receiving_mx"], f["count"]) for f in (t or {}).get("failures", [])}
check(("starttls-not-supported", "mx2.mail.a.test", 200) in fails, f"a TLS failure names the MX ({fails})")

st, body = api.call("GET", "/api/v1/admin/reports", query="?since=2026-01-02")
check(st == 200 and [d["day"] for d in body["dmarc"]["days"]] == ["2026-01-02"] and body["tls"]["days"] == [],
      f"since= keeps the later days only ({st})")
st, body = api.call("GET", "/api/v1/admin/reports", query="?domain=elsewhere.test")
check(st == 200 and body["dmarc"]["days"] == [] and body["tls"]["days"] == [], "domain= filters by domain")
st, body = api.call("GET", "/api/v1/admin/reports", query="?since=yesterday")
check(st == 400 and error_code(body) == "invalid", f"a bad since: 400 invalid ({st} {body})")

# The page, in Chromium.
home = tempfile.mkdtemp(prefix="web-reports-home-")
nss = os.path.join(home, ".pki", "nssdb")
os.makedirs(nss)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "hearth-dev-ca", "-i", a.ca_file()], check=True)
out = os.path.join(os.getcwd(), "web-reports-artifacts")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
env = dict(os.environ, HOME=home, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM, HOST_RULES=f"MAP {a.hostname} {a.addr}")
cp = subprocess.run(["node", os.path.join(HERE, "reports_browser.mjs"), f"https://{a.hostname}:{a.port('https')}",
                     a.email, a.password, out], env=env, capture_output=True, text=True, timeout=120)
lines = cp.stdout.splitlines()
with open(os.path.join(out, "browser.log"), "w") as f:
    f.write(cp.stdout + cp.stderr)
if cp.returncode != 0:
    print("\n".join(lines[-20:]) + cp.stderr[-2000:])
check("step signed-in" in lines and "step nav-link" in lines, "signed in; the navigation links the Reports page")
check("dmarc-day 2026-01-01 a.test 55 52 3" in lines, "the page shows day 1: 55 messages, 52 pass, 3 fail")
check("dmarc-day 2026-01-02 a.test 9 9 0" in lines, "and day 2")
check("source 198.51.100.7 forgotten" in lines and "source 203.0.113.9 spoofing" in lines,
      "the page points at the forgotten service and the spoofer")
check(f"source {NET}.2 ok" not in lines, "our own server is not listed as a problem")
check("tls-day 2016-04-01 a.test 5326 303" in lines, "the TLS-RPT day with its counts")
check(any(l.startswith("tls-failure") and "starttls-not-supported" in l and "mx2.mail.a.test" in l for l in lines),
      "a TLS failure line names the result type and the MX")
check(not any(l.startswith("pageerror") for l in lines), "no script error on the page")
check(os.path.exists(os.path.join(out, "reports.png")), "screenshot reports.png kept")
shutil.rmtree(home, ignore_errors=True)
finish()
